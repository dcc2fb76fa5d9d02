"""Participant rules: cleaning and saving a person (one CNP, one person), membership, filters."""
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select, true
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from trainhub.audit.services import insert_audited
from trainhub.auth.permissions import can
from trainhub.auth.scoping import scoped, visible_condition
from trainhub.core import cleaning
from trainhub.core.cleaning import Cleaned, bounded_text, email_address
from trainhub.core.identifiers import (
    age_on,
    cnp_birth_date,
    cnp_sex,
    cnps_in,
    mask_cnp,
    mask_cnps_in,
)
from trainhub.core.models import apply_values, taken_by_another
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import FieldProblems, enterprise_matches
from trainhub.imports.services import (
    DERIVED_FIELD,
    CellError,
    fold,
    parse_bool,
    parse_date,
    parse_vocabulary,
    synonyms,
    text,
)
from trainhub.participants.eligibility import CHUNK, POSSIBLE_DUPLICATE, refresh
from trainhub.participants.models import (
    Eligibility,
    EmploymentStatus,
    Environment,
    Membership,
    Participant,
    Sex,
    derived_from_cnp,
    target_group_flags,
)
from trainhub.programme.models import Project

#: the columns of a participant, as in the import file (DESIGN §9) and the form
PARTICIPANT_COLUMNS = ["cnp", "last_name", "first_name", "email", "phone", "enterprise_cui",
                       "job_title", "county", "environment", "isced", "employment_status",
                       "disability", "minority_or_migrant"]
#: every column under its Romanian and English names (DESIGN §13 "Synonyms")
PARTICIPANT_ALIASES = synonyms({
    "cnp": ["cod numeric personal", "cnp participant", "personal numeric code"],
    "last_name": ["nume", "nume de familie", "numele", "surname", "family name"],
    "first_name": ["prenume", "prenumele", "given name"],
    "email": ["e-mail", "e mail", "adresa de e-mail", "adresa email", "mail"],
    "phone": ["telefon", "nr. telefon", "număr de telefon", "mobil", "telephone"],
    "enterprise_cui": ["cui angajator", "cif angajator", "cod fiscal angajator", "cui", "cif",
                       "angajator cui", "employer cui", "employer"],
    "job_title": ["funcție", "funcția", "ocupație", "ocupația", "post", "job"],
    "county": ["județ", "județul", "județ domiciliu", "județ de domiciliu", "county of residence"],
    "environment": ["mediu", "mediu de rezidență", "mediul de rezidență", "mediu rezidență",
                    "mediu urban/rural", "urban/rural", "residence"],
    "isced": ["nivel de educație", "nivel educație", "nivel isced", "isced level", "studii",
              "nivelul de educație", "nivel de studii", "education", "education level"],
    "employment_status": ["statut pe piața muncii", "situația pe piața muncii",
                          "statut ocupațional", "statut", "statutul pe piața muncii",
                          "labour market status"],
    "disability": ["dizabilitate", "persoană cu dizabilități", "cu dizabilități", "handicap"],
    "minority_or_migrant": ["minoritate sau migrant", "minoritate", "etnie romă",
                            "aparține unei minorități", "migrant", "minority"],
    "eligibility": ["eligibilitate", "eligibil"],
    "decided_on": ["data deciziei", "data deciziei de eligibilitate", "decision date"],
    "sex": ["gen", "sexul", "gender"],
    "birth_date": ["data nașterii", "data naşterii", "dată naștere", "data de naștere",
                   "date of birth"],
    DERIVED_FIELD: ["vârstă", "vârsta", "varsta ani", "age"],
})
_YES_NO_HINT = "da, nu, x, 1, 0"
#: the coded columns' spellings in hand-made files, ro + en (DESIGN §13 "Values")
_ENVIRONMENTS = {"urban": "urban", "rural": "rural", "u": "urban", "r": "rural",
                 "mediu urban": "urban", "mediu rural": "rural", "oras": "urban", "sat": "rural"}
_EMPLOYMENT = {status.value.replace("_", " "): status.value for status in EmploymentStatus} | {
    "angajat": "employed", "angajata": "employed", "salariat": "employed",
    "salariata": "employed", "persoana angajata": "employed", "employee": "employed",
    "pfa": "self_employed", "independent": "self_employed", "liber profesionist": "self_employed",
    "lucrator pe cont propriu": "self_employed", "persoana fizica autorizata": "self_employed",
    "self-employed": "self_employed", "intreprindere individuala": "self_employed",
    "somer": "unemployed", "somera": "unemployed", "persoana in cautarea unui loc de munca":
    "unemployed", "somer de lunga durata": "long_term_unemployed",
    "somera de lunga durata": "long_term_unemployed", "long term unemployed":
    "long_term_unemployed", "inactiv": "inactive", "inactiva": "inactive",
    "persoana inactiva": "inactive",
}
#: education levels by their Romanian names (ISCED 2011)
_ISCED_WORDS = [("doctorat", 8), ("master", 7), ("licenta", 6), ("postliceal", 4),
                ("postuniversitar", 7), ("liceu", 3), ("liceal", 3), ("profesional", 3),
                ("gimnaziu", 2), ("gimnazial", 2), ("primar", 1), ("prescolar", 0),
                ("fara studii", 0)]
_SEXES = {"f": "F", "m": "M", "feminin": "F", "masculin": "M", "femeie": "F", "barbat": "M",
          "female": "F", "male": "M", "woman": "F", "man": "M"}
AGE_BANDS = {"under_25": (0, 24), "25_54": (25, 54), "55_64": (55, 64), "65_plus": (65, 200)}
FLAG_FILTERS = ("age_55_64", "woman", "rural")
#: special-category data (GDPR art. 9): shown only to roles that need it
SPECIAL_CATEGORIES = ("disability", "minority_or_migrant")








_environment = parse_vocabulary(_ENVIRONMENTS, "urban, rural, U, R")
_employment = parse_vocabulary(
    _EMPLOYMENT, "angajat, PFA, independent, șomer, șomer de lungă durată, inactiv; employed,"
                 " self_employed, unemployed, long_term_unemployed, inactive")
_sex = parse_vocabulary(_SEXES, "F, M, feminin, masculin")


def isced_level(value: object) -> int:
    """ISCED 0–8 as a digit anywhere in the cell ("ISCED 3 - Liceu") or a level word."""
    raw = text(value)
    digits = re.findall(r"\d+", raw)
    if len(digits) == 1 and int(digits[0]) <= 8:
        return int(digits[0])
    if not digits:
        folded = fold(raw)
        for word, level in _ISCED_WORDS:
            if word in folded:
                return level
    raise CellError(_l("'%(value)s' is not an ISCED level (0 to 8, or primar, gimnaziu, liceu,"
                       " postliceal, licență, master, doctorat)", value=raw))


def _check_derived(raw: dict, cleaned: Cleaned) -> None:
    """A sex or birth date column must agree with the CNP (a mismatch shows a mistyped CNP)."""
    cnp = cleaned.values.get("cnp")
    if cnp is None:
        return
    sex = Cleaned()
    sex.take(raw, "sex", _sex)
    sex.take(raw, "birth_date", parse_date)
    cleaned.errors.update(sex.errors)
    typed, derived = sex.values.get("sex"), cnp_sex(cnp)
    if typed is not None and typed != derived:
        cleaned.errors["sex"] = _l("'%(typed)s' does not match the CNP %(cnp)s, which says"
                                   " %(derived)s", typed=text(raw.get("sex")), cnp=cnp,
                                   derived=derived)
    born, derived_birth = sex.values.get("birth_date"), cnp_birth_date(cnp)
    if born is not None and born != derived_birth:
        cleaned.errors["birth_date"] = _l(
            "'%(typed)s' does not match the CNP %(cnp)s, which says %(derived)s",
            typed=text(raw.get("birth_date")), cnp=cnp, derived=derived_birth.strftime("%d.%m.%Y"))


def clean_participant(raw: dict) -> Cleaned:
    """Clean values of a person from raw form or file values, with per-column errors.

    `enterprise_cui` stays a CUI here; the caller resolves it to an employer.
    """
    cleaned = Cleaned()
    cleaned.take(raw, "cnp", cleaning.cnp, required=True)
    cleaned.take(raw, "last_name", bounded_text(120), required=True)
    cleaned.take(raw, "first_name", bounded_text(120), required=True)
    cleaned.take(raw, "email", email_address, default="")
    cleaned.take(raw, "phone", bounded_text(40), default="")
    cleaned.take(raw, "enterprise_cui", cleaning.cui)
    cleaned.take(raw, "job_title", bounded_text(200), default="")
    cleaned.take(raw, "county", cleaning.county)
    cleaned.take(raw, "environment", _environment)
    cleaned.take(raw, "isced", isced_level)
    cleaned.take(raw, "employment_status", _employment)
    cleaned.take(raw, "disability", parse_bool)
    cleaned.take(raw, "minority_or_migrant", parse_bool)
    _check_derived(raw, cleaned)
    return cleaned


def resolve_employer(db_session: Session, cleaned: Cleaned,
                     employers: dict[str, int] | None = None) -> None:
    """Replace `enterprise_cui` by `enterprise_id` (an error when no such enterprise)."""
    cui = cleaned.values.pop("enterprise_cui", None)
    if "enterprise_cui" in cleaned.errors:
        return
    if cui is None:
        cleaned.values["enterprise_id"] = None
        return
    if employers is None:
        enterprise_id = db_session.scalar(select(Enterprise.id).where(Enterprise.cui == cui))
    else:
        enterprise_id = employers.get(cui)
    if enterprise_id is None:
        cleaned.errors["enterprise_cui"] = _l("no enterprise with CUI %(cui)s is registered", cui=cui)
    else:
        cleaned.values["enterprise_id"] = enterprise_id


def save_participant(db_session: Session, participant: Participant | None, raw: dict,
                     project: Project | None, *, today: date | None = None,
                     only_enterprise_id: int | None = None) -> Participant:
    """Create or update a person and make them a member of `project`; FieldProblems on bad data.

    `only_enterprise_id` pins the employer (an SME user registers only its own employees).
    """
    cleaned = clean_participant(raw)
    resolve_employer(db_session, cleaned)
    if only_enterprise_id is not None:
        cleaned.values["enterprise_id"] = only_enterprise_id
        cleaned.errors.pop("enterprise_cui", None)
    if "cnp" not in cleaned.errors and taken_by_another(db_session, Participant.cnp,
                                                        cleaned.values["cnp"], participant):
        cleaned.errors["cnp"] = _l("this CNP is already registered: the same person exists")
    if cleaned.errors:
        raise FieldProblems(cleaned.errors)
    if participant is None:
        participant = Participant(**cleaned.values)
        db_session.add(participant)
        db_session.flush()
    elif apply_values(participant, cleaned.values):
        db_session.flush()
    memberships = list(participant.memberships)
    if project is not None and not any(m.project_id == project.id for m in memberships):
        membership = Membership(project_id=project.id, participant=participant, reasons=[],
                                evidence={})
        db_session.add(membership)
        db_session.flush()
        memberships.append(membership)
    refresh(db_session, memberships, today)
    return participant


def add_people(db_session: Session, rows: list[dict],
               employers: dict[int, Enterprise]) -> list[Participant]:
    """Insert new people in bulk, audited (an import's new rows), sex and birth date derived
    from the CNP as on every write. Returns them as objects outside the session, with their ids
    and their employer from `employers` (by id), for the eligibility engine to read."""
    written = insert_audited(db_session, Participant,
                             [values | derived_from_cnp(values["cnp"]) for values in rows])
    people = []
    for row in written:
        person = Participant(**row)
        set_committed_value(person, "enterprise", employers.get(row["enterprise_id"]))
        people.append(person)
    return people


def add_members(db_session: Session, project: Project, participant_ids: list[int]) -> list[int]:
    """Make these people members of `project` in bulk, audited, pending and not yet evaluated
    (`eligibility.refresh_new_members` does that); the ids of the new memberships, in order."""
    return [row["id"] for row in insert_audited(db_session, Membership, [
        {"project_id": project.id, "participant_id": participant_id, "reasons": [],
         "evidence": {}} for participant_id in participant_ids])]


def participant_list(*, search: str = "", enterprise_id: int | None = None, employer: str = "",
                     county: str | None = None, sex: str | None = None,
                     age_band: str | None = None, eligibility: str | None = None,
                     flags: tuple[str, ...] = (), today: date | None = None) -> Select:
    """People matching the list page's search and filters, by name, employer loaded."""
    return (select(Participant).options(joinedload(Participant.enterprise))
            .where(*_list_filters(search, enterprise_id, employer, county, sex, age_band,
                                  eligibility, flags, today or date.today()))
            .order_by(*LIST_ORDER))


#: the list page's order (the index ix_participants_name_order)
LIST_ORDER = (Participant.last_name, Participant.first_name, Participant.id)
#: what a row of the list page shows of a person, and their employer's name (None: no employer)
_LIST_COLUMNS = (Participant.id, Participant.cnp, Participant.last_name, Participant.first_name,
                 Participant.birth_date, Participant.sex, Participant.environment,
                 Participant.isced, Participant.disability, Participant.minority_or_migrant,
                 Participant.county, Enterprise.name.label("employer"))


def participant_rows(*, search: str = "", enterprise_id: int | None = None, employer: str = "",
                     county: str | None = None, sex: str | None = None,
                     age_band: str | None = None, eligibility: str | None = None,
                     flags: tuple[str, ...] = (), today: date | None = None) -> Select:
    """The people of participant_list (same filters, same order) as plain rows of the columns
    the list page shows, with the employer's name."""
    return (select(*_LIST_COLUMNS)
            .outerjoin(Enterprise, Enterprise.id == Participant.enterprise_id)
            .where(*_list_filters(search, enterprise_id, employer, county, sex, age_band,
                                  eligibility, flags, today or date.today()))
            .order_by(*LIST_ORDER))


def _list_filters(search: str, enterprise_id: int | None, employer: str, county: str | None,
                  sex: str | None, age_band: str | None, eligibility: str | None,
                  flags: tuple[str, ...], today: date) -> list:
    """The WHERE conditions of the list page's search and filters (a bad value filters nothing)."""
    conditions = []
    search = search.strip()
    if search:
        conditions.append(or_(
            Participant.last_name.ilike(f"%{search}%"), Participant.first_name.ilike(f"%{search}%"),
            Participant.cnp.startswith(search) if search.isdigit() else False))
    if enterprise_id:
        conditions.append(Participant.enterprise_id == enterprise_id)
    if employer.strip():
        conditions.append(Participant.enterprise_id.in_(
            select(Enterprise.id).where(enterprise_matches(employer))))
    if county:
        conditions.append(Participant.county == county)
    if sex in set(Sex):
        conditions.append(Participant.sex == sex)
    if age_band in AGE_BANDS:
        conditions.extend(_age_between(*AGE_BANDS[age_band], today))
    if eligibility in set(Eligibility):
        conditions.append(Participant.id.in_(select(Membership.participant_id).where(
            Membership.eligibility_status == eligibility)))
    if "age_55_64" in flags:
        conditions.extend(_age_between(55, 64, today))
    if "woman" in flags:
        conditions.append(Participant.sex == Sex.FEMALE)
    if "rural" in flags:
        conditions.append(Participant.environment == Environment.RURAL)
    return conditions


def _age_between(low: int, high: int, today: date) -> list:
    """Birth-date bounds of people aged `low`..`high` full years on `today`."""
    from trainhub.participants.eligibility import years_before

    latest_birth = years_before(today, low)
    earliest_birth = years_before(today, high + 1)
    return [Participant.birth_date <= latest_birth, Participant.birth_date > earliest_birth]


def memberships_by_participant(db_session: Session, participant_ids: list[int], *,
                               badges_only: bool = False,
                               user=None) -> dict[int, list[Membership]]:
    """Every membership of these people with its project (those `user`, when given, may see:
    another project's membership is not shown), in one query.

    `badges_only` (list pages): rows of just the participant id, eligibility status and stale
    mark instead of Membership objects (no project, no JSON reasons and evidence to decode).
    """
    result: dict[int, list[Membership]] = {pid: [] for pid in participant_ids}
    seen = visible_condition(Membership, user) if user is not None else true()
    if badges_only:
        memberships = db_session.execute(
            select(Membership.participant_id, Membership.eligibility_status,
                   Membership.decision_stale)
            .where(Membership.participant_id.in_(participant_ids), seen)
            .order_by(Membership.project_id))
    else:
        memberships = db_session.scalars(
            select(Membership).options(joinedload(Membership.project))
            .where(Membership.participant_id.in_(participant_ids), seen)
            .order_by(Membership.project_id))
    for membership in memberships:
        result[membership.participant_id].append(membership)
    return result


def default_project(db_session: Session, user=None) -> Project | None:
    """The project new people join when nobody chose one: the latest started (of those `user`,
    when given, may see)."""
    stmt = select(Project).order_by(Project.start_date.desc(), Project.id.desc()).limit(1)
    return db_session.scalar(scoped(stmt, Project, user) if user is not None else stmt)


@dataclass(frozen=True)
class Disclosure:
    """How much of a person's record a reader may see."""

    full_cnp: bool
    special_categories: bool

    def cnp(self, cnp: str) -> str:
        return cnp if self.full_cnp else mask_cnp(cnp)

    def flags(self, participant, when: date | None = None) -> dict[str, bool]:
        """The person's target-group flags, without the special categories unless allowed
        (`participant`: a Participant or a row of its columns)."""
        flags = target_group_flags(
            age_on(participant.birth_date, when or date.today()), participant.sex,
            participant.environment, participant.isced, participant.disability,
            participant.minority_or_migrant)
        if not self.special_categories:
            for name in SPECIAL_CATEGORIES:
                flags.pop(name, None)
        return flags


def disclosure_for(user) -> Disclosure:
    """The full CNP only with full-export rights (DESIGN §11); disability and minority status
    (special-category data) only for the roles that decide on participants (admin,
    coordinator)."""
    return Disclosure(
        full_cnp=can(user, "participants.export_full"),
        special_categories=can(user, "participants.special_categories"))


#: what stands in, inside a text, for the CNP of a person the reader may not see
HIDDEN_CNP = "*" * 13


class ReaderView:
    """What one reader may read of the people named in reasons, evidence and audit changes.

    `people` are the named people the reader may see (anything with id, cnp, last_name and
    first_name); everyone else is hidden: their CNP becomes HIDDEN_CNP, and a possible-duplicate
    warning about nobody the reader may see is left out altogether (saying that a namesake
    exists elsewhere would already tell an SME about another company's employee).
    """

    def __init__(self, disclosure: Disclosure, people: Iterable):
        self.disclosure = disclosure
        self.people = {person.id: person for person in people}
        self._cnps = {person.cnp for person in self.people.values()}

    def _cnp(self, cnp: str) -> str:
        return self.disclosure.cnp(cnp) if cnp in self._cnps else HIDDEN_CNP

    def text(self, value):
        """`value` (a text or plain JSON) with every CNP in it as this reader may see it."""
        return mask_cnps_in(value, self._cnp)

    def reasons(self, reasons: list) -> list:
        """Rule outcomes (dicts) as this reader may read them."""
        shown = []
        for reason in reasons or []:
            if isinstance(reason, dict) and reason.get("code") == POSSIBLE_DUPLICATE:
                named = [person for person_id, person in sorted(self.people.items())
                         if person_id in _named_ids(reason)
                         or person.cnp in cnps_in(str(reason.get("detail") or ""))]
                if not named:
                    continue
                reason = reason | {"people": [person.id for person in named], "detail": ", ".join(
                    f"#{person.id} {person.last_name} {person.first_name} "
                    f"(CNP {self.disclosure.cnp(person.cnp)})" for person in named)}
            shown.append(self.text(reason))
        return shown

    def evidence(self, evidence: dict) -> dict:
        """An evidence snapshot as this reader may read it."""
        evidence = evidence or {}
        if isinstance(evidence.get("outcomes"), list):
            evidence = evidence | {"outcomes": self.reasons(evidence["outcomes"])}
        return self.text(evidence)


def _named_ids(reason: dict) -> set[int]:
    people = reason.get("people")
    return {person_id for person_id in people if isinstance(person_id, int)} \
        if isinstance(people, list) else set()


def _named_in(value, ids: set[int], cnps: set[str]) -> None:
    """Collect the people ids of duplicate warnings and the CNPs of every text in `value`."""
    if isinstance(value, str):
        cnps.update(cnps_in(value))
    elif isinstance(value, dict):
        if value.get("code") == POSSIBLE_DUPLICATE:
            ids.update(_named_ids(value))
        for item in value.values():
            _named_in(item, ids, cnps)
    elif isinstance(value, list | tuple):
        for item in value:
            _named_in(item, ids, cnps)


def reader_view(db_session: Session, user, values: Iterable) -> ReaderView:
    """`user`'s view of the people named inside `values` (lists of reasons, evidence, audit
    changes): whom of them `user` may see (the row scoping) and how their CNP is shown (the
    disclosure); one query for a page of values (more only past CHUNK names)."""
    ids: set[int] = set()
    cnps: set[str] = set()
    _named_in(list(values), ids, cnps)
    names = [("id", person_id) for person_id in ids] + [("cnp", cnp) for cnp in cnps]
    people = []
    for start in range(0, len(names), CHUNK):
        chunk = names[start:start + CHUNK]
        stmt = select(Participant.id, Participant.cnp, Participant.last_name,
                      Participant.first_name).where(
            Participant.pseudonymised_at.is_(None),
            or_(Participant.id.in_([value for kind, value in chunk if kind == "id"]),
                Participant.cnp.in_([value for kind, value in chunk if kind == "cnp"])))
        people.extend(db_session.execute(scoped(stmt, Participant, user)))
    return ReaderView(disclosure_for(user), people)


def subject_view(participant: Participant) -> ReaderView:
    """The view of a data-subject export: the person's own data in full, nobody else's."""
    return ReaderView(Disclosure(full_cnp=True, special_categories=True), [participant])

