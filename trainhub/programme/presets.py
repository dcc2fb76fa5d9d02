"""Ready-made eligibility rule sets and document checklists that a new call starts from."""
import copy
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.documents.models import DocumentRequirement, RequirementLevel
from trainhub.participants.models import EmploymentStatus
from trainhub.programme.models import Call

CALL_CODE = "POCU/3.12"
CALL_NAMES = {CALL_CODE: "Competențe digitale pentru angajații IMM"}

#: the default eligibility rule set of POCU/3.12 (DESIGN §5.1)
DEFAULT_RULES: list[dict] = [
    {
        "code": "employment_status",
        "kind": "employment_status_in",
        "params": {"values": [EmploymentStatus.EMPLOYED.value, EmploymentStatus.SELF_EMPLOYED.value]},
        "severity": "blocking",
        "message_ro": "Persoana trebuie să fie angajată sau să desfășoare o activitate independentă.",
        "message_en": "The person must be employed or self-employed.",
    },
    {
        "code": "age",
        "kind": "age_between",
        "params": {"min": 18, "max": 64},
        "severity": "blocking",
        "message_ro": "La data deciziei, persoana trebuie să aibă între 18 și 64 de ani.",
        "message_en": "On the decision date the person must be between 18 and 64 years old.",
    },
    {
        "code": "employer",
        "kind": "employer_required",
        "params": {},
        "severity": "blocking",
        "message_ro": "Persoana trebuie să fie angajată a unui IMM înregistrat în program.",
        "message_en": "The person must work for an SME registered in the programme.",
    },
    {
        "code": "employer_size",
        "kind": "employer_size_in",
        "params": {"values": ["micro", "small", "medium"]},
        "severity": "blocking",
        "message_ro": "Angajatorul trebuie să fie microîntreprindere, întreprindere mică sau mijlocie.",
        "message_en": "The employer must be a micro, small or medium-sized enterprise.",
    },
    {
        "code": "employer_region",
        "kind": "employer_region_in",
        "params": {"from_project": True},
        "severity": "blocking",
        "message_ro": "Sediul angajatorului trebuie să fie într-o regiune de implementare a proiectului.",
        "message_en": "The employer must be located in one of the project's regions.",
    },
    {
        "code": "employer_caen",
        "kind": "employer_caen_not_in",
        "params": {"values": ["0111", "0311", "1200"]},
        "severity": "blocking",
        "message_ro": "Activitatea principală a angajatorului (cod CAEN) este exclusă de la finanțare.",
        "message_en": "The employer's main activity (CAEN code) is excluded from funding.",
    },
    {
        "code": "de_minimis",
        "kind": "de_minimis_ceiling",
        "params": {"ceiling_eur": 200000, "years": 3},
        "severity": "blocking",
        "message_ro": "Ajutoarele de minimis ale angajatorului din ultimii 3 ani, inclusiv acesta, "
                      "depășesc plafonul de 200.000 EUR.",
        "message_en": "The employer's de minimis aid over the last 3 years, this one included, "
                      "exceeds the EUR 200,000 ceiling.",
    },
    {
        "code": "double_financing",
        "kind": "not_in_other_project_of_call",
        "params": {},
        "severity": "blocking",
        "message_ro": "Persoana face deja parte din grupul țintă al altui proiect finanțat prin "
                      "același apel (dublă finanțare).",
        "message_en": "The person is already in the target group of another project of the same "
                      "call (double financing).",
    },
    {
        "code": "mandatory_data",
        "kind": "field_complete",
        "params": {"fields": ["cnp", "last_name", "first_name", "employment_status", "isced"]},
        "severity": "blocking",
        "message_ro": "Lipsesc date obligatorii: CNP, nume, prenume, statut pe piața muncii sau "
                      "nivel de educație (ISCED).",
        "message_en": "Mandatory data is missing: CNP, last name, first name, employment status "
                      "or education level (ISCED).",
    },
]

#: the default document checklists of POCU/3.12 (DESIGN §6):
#: (level, code, title_ro, title_en, condition, validity_days)
DEFAULT_CHECKLISTS: list[tuple[str, str, str, str, str, int | None]] = [
    (RequirementLevel.ENTERPRISE.value, "registration_certificate",
     "Certificat constatator emis de Oficiul Național al Registrului Comerțului",
     "Registration certificate from the Trade Register", "", None),
    (RequirementLevel.ENTERPRISE.value, "sme_declaration",
     "Declarație privind încadrarea în categoria întreprinderilor mici și mijlocii",
     "SME self-declaration", "", None),
    (RequirementLevel.ENTERPRISE.value, "de_minimis_declaration",
     "Declarație privind ajutoarele de minimis primite",
     "De minimis aid declaration", "", None),
    (RequirementLevel.ENTERPRISE.value, "financial_statement",
     "Ultima situație financiară anuală depusă",
     "Latest annual financial statement", "", None),
    (RequirementLevel.ENTERPRISE.value, "commitment_letter",
     "Scrisoare de angajament / acord de parteneriat",
     "Commitment or partnership letter", "", None),
    (RequirementLevel.PARTICIPANT.value, "id_card",
     "Copie a actului de identitate",
     "Copy of the identity card", "", None),
    (RequirementLevel.PARTICIPANT.value, "employment_certificate",
     "Adeverință de salariat (emisă cu cel mult 30 de zile înainte de intrare)",
     "Employment certificate (issued at most 30 days before entry)", "", 30),
    (RequirementLevel.PARTICIPANT.value, "registration_form",
     "Formular individual de înregistrare în grupul țintă, cu acordul privind prelucrarea "
     "datelor personale (GDPR)",
     "Individual registration form with GDPR consent", "", None),
    (RequirementLevel.PARTICIPANT.value, "diploma",
     "Copie a ultimei diplome de studii (dovada nivelului ISCED)",
     "Copy of the latest diploma (ISCED evidence)", "", None),
    (RequirementLevel.PARTICIPANT.value, "no_double_financing",
     "Declarație pe propria răspundere privind evitarea dublei finanțări",
     "Declaration of no double financing", "", None),
    (RequirementLevel.PARTICIPANT.value, "disability_certificate",
     "Certificat de încadrare în grad de handicap",
     "Disability certificate", "disability", None),
]


#: checklist lines (level, code) whose form TrainHub prefills as a PDF to sign (DESIGN §16):
#: the MySMIS individual registration form, and the MySMIS entity form, handed in as the SME
#: self-declaration (it states the same identification, headcount and turnover)
PREFILLED_FORMS: dict[tuple[str, str], str] = {
    (RequirementLevel.PARTICIPANT.value, "registration_form"): "registration",
    (RequirementLevel.ENTERPRISE.value, "sme_declaration"): "entity",
}


@dataclass(frozen=True)
class Preset:
    """A named rule set and pair of checklists (DESIGN §5.1, §6) a call may be created with."""

    label: str
    rules: list[dict]
    #: (level, code, title_ro, title_en, condition, validity_days)
    checklists: list[tuple[str, str, str, str, str, int | None]]


POCU_3_12 = "pocu_3_12"
EMPTY = "empty"

#: the presets offered when a call is created, the default first
PRESETS: dict[str, Preset] = {
    POCU_3_12: Preset(_l("POCU 3.12 — digital skills for SME employees (rules and checklists)"),
                      DEFAULT_RULES, DEFAULT_CHECKLISTS),
    EMPTY: Preset(_l("Empty — rules and checklists added by hand"), [], []),
}


def apply_preset(session: Session, call: Call, preset: str) -> Call:
    """Give a new call the preset's rules and checklists (copies: editing them later changes
    only this call)."""
    chosen = PRESETS[preset]
    call.rules = copy.deepcopy(chosen.rules)
    positions: dict[str, int] = {}
    for level, requirement_code, title_ro, title_en, condition, validity_days in chosen.checklists:
        positions[level] = positions.get(level, 0) + 1
        session.add(DocumentRequirement(
            call=call, level=level, code=requirement_code, title_ro=title_ro, title_en=title_en,
            required=True, condition=condition, validity_days=validity_days,
            position=positions[level],
        ))
    return call


def seed_call(session: Session, code: str = CALL_CODE, preset: str = POCU_3_12) -> Call:
    """The call with `code`, created with the preset's rules and checklists when missing."""
    call = session.scalar(select(Call).where(Call.code == code))
    if call is not None:
        return call
    call = Call(code=code, name=CALL_NAMES.get(code, code))
    session.add(call)
    apply_preset(session, call, preset)
    session.flush()
    return call
