"""Prefilled PDFs to sign: the MySMIS registration and entity forms and the consent receipt."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import force_locale

from trainhub.core.formats import number
from trainhub.core.geography import county_name
from trainhub.core.identifiers import mask_cnp
from trainhub.core.labels import (
    EMPLOYMENT_LABELS,
    ENVIRONMENT_LABELS,
    ISCED_LABELS,
    SEX_LABELS,
    SIZE_LABELS,
)
from trainhub.core.pdf import Letterhead, new_document
from trainhub.enterprises.models import Enterprise
from trainhub.participants.models import Membership, Participant

BLANK = "________________________"


def _ro(labels: dict, key) -> str:
    """A label in Romanian, whoever asks: the forms are the Romanian forms of record."""
    if key is None or key not in labels:
        return BLANK
    with force_locale("ro"):
        return str(labels[key])


def _day(value: date | datetime | None) -> str:
    if value is None:
        return BLANK
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M UTC")
    return value.strftime("%d.%m.%Y")


def _yes_no(value: bool | None, shown: bool) -> str:
    """Da/Nu, or two boxes to tick by hand when the reader may not see the answer."""
    if not shown or value is None:
        return "☐ Da   ☐ Nu"
    return "Da" if value else "Nu"


def _title(pdf, text: str, subtitle: str = "") -> None:
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    if subtitle:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 5, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _section(pdf, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")


def _rows(pdf, rows: list[tuple[str, str]]) -> None:
    pdf.set_font("DejaVu", "", 10)
    with pdf.table(col_widths=(70, 120), line_height=7, first_row_as_headings=False) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value or BLANK)


def _signature(pdf, who: str) -> None:
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"{who}: ______________________________", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Semnătura: ______________________    Data: ______________",
             new_x="LMARGIN", new_y="NEXT")


def registration_form(participant: Participant, membership: Membership | None, *,
                      full_cnp: bool = True, special_categories: bool = True,
                      letterhead: Letterhead | None = None) -> bytes:
    """The individual registration form of a person (MySMIS): the entry part, and the exit
    part filled once the person has left. `full_cnp`/`special_categories` follow what the
    reader may see; what they may not see is left blank to fill by hand."""
    pdf = new_document(letterhead)
    project = membership.project if membership is not None else None
    _title(pdf, "Formular individual de înregistrare a participanților în grupul țintă",
           f"Proiect: {project.code} — {project.title}" if project else "")
    employer = participant.enterprise
    _section(pdf, "Secțiunea A. La intrarea în operațiune")
    _rows(pdf, [
        ("Nume", participant.last_name),
        ("Prenume", participant.first_name),
        ("CNP", participant.cnp if full_cnp else mask_cnp(participant.cnp)),
        ("Sex", _ro(SEX_LABELS, participant.sex)),
        ("Data nașterii", _day(participant.birth_date)),
        ("Județul de domiciliu", county_name(participant.county) or BLANK),
        ("Mediul de rezidență", _ro(ENVIRONMENT_LABELS, participant.environment)),
        ("E-mail / telefon", " / ".join(v for v in (participant.email, participant.phone) if v)),
        ("Nivel de educație (ISCED)", _ro(ISCED_LABELS, participant.isced)),
        ("Statut pe piața muncii", _ro(EMPLOYMENT_LABELS, participant.employment_status)),
        ("Angajator", f"{employer.name} (CUI {employer.cui})" if employer else BLANK),
        ("Funcția", participant.job_title),
        ("Data intrării în operațiune", _day(membership.entry_date if membership else None)),
    ])
    _section(pdf, "Persoane aparținând grupurilor vulnerabile")
    _rows(pdf, [
        ("Persoană cu dizabilități", _yes_no(participant.disability, special_categories)),
        ("Minoritate (inclusiv romi) / migrant",
         _yes_no(participant.minority_or_migrant, special_categories)),
        ("Vârstă 55–64 de ani", _yes_no(participant.flags().get("age_55_64"), True)),
        ("Mediul rural", _yes_no(participant.environment == "rural"
                                 if participant.environment else None, True)),
    ])
    _section(pdf, "Acordul privind prelucrarea datelor personale")
    if membership is not None and membership.consent_given_at is not None:
        consent = (f"Acord dat la {_day(membership.consent_given_at)}, versiunea textului "
                   f"{membership.consent_text_version}, {membership.consent_method}.")
    else:
        consent = ("Sunt de acord cu prelucrarea datelor mele personale în scopul "
                   "implementării proiectului (Regulamentul (UE) 2016/679).  ☐ Da   ☐ Nu")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, consent, new_x="LMARGIN", new_y="NEXT")
    _signature(pdf, "Numele participantului")
    _section(pdf, "Secțiunea B. La ieșirea din operațiune")
    exited = membership is not None and membership.exit_date is not None
    _rows(pdf, [
        ("Data ieșirii din operațiune", _day(membership.exit_date) if exited else BLANK),
        ("Situația la ieșire", (membership.exit_reason or BLANK) if exited else BLANK),
    ])
    _signature(pdf, "Numele participantului")
    return bytes(pdf.output())


def _eur(value: Decimal | None) -> str:
    return f"{number(value, 2, locale='ro')} EUR" if value is not None else BLANK


def entity_form(enterprise: Enterprise, letterhead: Letterhead | None = None) -> bytes:
    """The entity form of an SME (MySMIS): identification, activity and size class."""
    pdf = new_document(letterhead)
    _title(pdf, "Formular de înregistrare a entității (IMM)",
           "Date de identificare ale întreprinderii din grupul țintă")
    _rows(pdf, [
        ("Denumire", enterprise.name),
        ("Cod unic de înregistrare (CUI)", enterprise.cui),
        ("Județ", county_name(enterprise.county) or BLANK),
        ("Localitate", enterprise.locality),
        ("Cod CAEN (rev. 2)", enterprise.caen),
        ("Categoria întreprinderii", _ro(SIZE_LABELS, enterprise.size_class)),
        ("Număr mediu de salariați", str(enterprise.employees)
         if enterprise.employees is not None else BLANK),
        ("Cifra de afaceri anuală netă", _eur(enterprise.turnover_eur)),
        ("Active totale (bilanț)", _eur(enterprise.balance_eur)),
        ("Persoană de contact", enterprise.contact_name),
        ("E-mail / telefon de contact", " / ".join(
            v for v in (enterprise.contact_email, enterprise.contact_phone) if v)),
    ])
    _signature(pdf, "Reprezentant legal")
    return bytes(pdf.output())


def consent_receipt(membership: Membership, consent_text: str,
                    letterhead: Letterhead | None = None) -> bytes:
    """The receipt of a consent given on the trainee page: who, which project, when, what."""
    participant, project = membership.participant, membership.project
    pdf = new_document(letterhead)
    _title(pdf, "Confirmare: acord privind prelucrarea datelor personale",
           f"Proiect: {project.code} — {project.title}")
    _rows(pdf, [
        ("Participant", participant.full_name),
        ("Data și ora acordului", _day(membership.consent_given_at)),
        ("Versiunea textului", membership.consent_text_version),
        ("Modul", membership.consent_method),
    ])
    _section(pdf, "Textul acceptat")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, consent_text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
