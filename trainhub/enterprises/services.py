"""Enterprise rules: cleaning and saving an SME, its size class explained, de minimis totals."""
import re
from datetime import date
from decimal import Decimal

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from trainhub.core import cleaning
from trainhub.core.bounds import AMOUNT_TOO_LARGE, MAX_AMOUNT_EUR
from trainhub.core.cleaning import Cleaned, bounded_text, email_address, whole_number
from trainhub.core.errors import Problems
from trainhub.core.formats import number
from trainhub.core.models import apply_values, taken_by_another
from trainhub.enterprises.models import DeMinimisAid, Enterprise, EurRonRate, SizeClass
from trainhub.imports.services import (
    CellError,
    ImportFailed,
    NumberTooLarge,
    Table,
    parse_decimal,
    says_eur,
    says_lei,
    synonyms,
    text,
)
from trainhub.participants.models import Eligibility, Membership, Participant

#: the columns of an enterprise, as in the import file (DESIGN §9) and the form
ENTERPRISE_COLUMNS = ["cui", "name", "caen", "county", "locality", "employees", "turnover_eur",
                      "balance_eur", "contact_name", "contact_email", "contact_phone"]
#: every column under its Romanian and English names (DESIGN §13 "Synonyms")
ENTERPRISE_ALIASES = synonyms({
    "cui": ["cod fiscal", "cif", "cod unic de înregistrare", "cui/cif", "cif/cui", "cod cui",
            "fiscal code", "vat code"],
    "name": ["denumire", "denumirea", "denumire firmă", "denumire societate", "nume", "firma",
             "firmă", "societate", "operator economic", "company", "company name"],
    "caen": ["cod caen", "caen principal", "cod caen principal", "activitate principală",
             "caen code"],
    "county": ["județ", "județul", "județ sediu", "county"],
    "locality": ["localitate", "localitatea", "oraș", "sediu", "city", "town"],
    "employees": ["nr. angajați", "număr angajați", "numar de angajati", "angajați",
                  "număr mediu de salariați", "nr. mediu de salariați", "nr. salariați",
                  "număr salariați", "headcount", "staff"],
    "turnover_eur": ["cifra de afaceri", "cifra afaceri", "cifra de afaceri eur",
                     "cifra afaceri eur", "cifra de afaceri netă", "turnover", "annual turnover"],
    "balance_eur": ["active totale", "total active", "bilanț", "bilant eur", "total bilanț",
                    "balance sheet", "balance", "total assets"],
    "contact_name": ["persoană de contact", "persoana contact", "contact", "reprezentant",
                     "reprezentant legal", "contact person"],
    "contact_email": ["email contact", "e-mail contact", "e-mail", "email", "adresă e-mail"],
    "contact_phone": ["telefon contact", "telefon", "phone"],
})
#: the amount columns; amounts in lei are converted to EUR (DESIGN §13 "Money in lei")
MONEY_COLUMNS = ("turnover_eur", "balance_eur")


class FieldProblems(Problems):
    """A record refused field by field: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__([f"{name}: {message}" for name, message in errors.items()])
        self.errors = errors




def _caen(value: object) -> str:
    """A 4-digit CAEN code, also when followed by its description ("2932 - Fabricarea …"),
    written 62.01, or a number that lost its leading zero (111 → 0111)."""
    raw = text(value)
    code = re.match(r"\s*(\d{2})\.?(\d{1,2})(?!\d)", raw)
    digits = (code.group(1) + code.group(2)) if code else ""
    if len(digits) == 3 and code.group(0).strip().isdigit():
        digits = "0" + digits  # spreadsheets drop the leading zero of 0111
    if len(digits) != 4 or not code or re.match(r"\s*\d+[.,]\d+[.,]", raw):
        raise CellError(_l("'%(value)s' is not a 4-digit CAEN code", value=raw))
    return digits




def _money(value: object) -> Decimal:
    try:
        amount = parse_decimal(value)
    except NumberTooLarge:
        amount = Decimal(-1 if text(value).startswith("-") else MAX_AMOUNT_EUR + 1)
    if amount < 0:
        raise CellError(_l("must not be negative"))
    if amount > MAX_AMOUNT_EUR:
        raise CellError(AMOUNT_TOO_LARGE)
    return amount.quantize(Decimal("0.01"))


def clean_enterprise(raw: dict) -> Cleaned:
    """Clean values of an enterprise from raw form or file values, with per-column errors."""
    cleaned = Cleaned()
    cleaned.take(raw, "cui", cleaning.cui, required=True)
    cleaned.take(raw, "name", bounded_text(300), required=True)
    cleaned.take(raw, "caen", _caen, required=True)
    cleaned.take(raw, "county", cleaning.county, required=True)
    cleaned.take(raw, "locality", bounded_text(120), default="")
    cleaned.take(raw, "employees", whole_number(0, 1_000_000))
    cleaned.take(raw, "turnover_eur", _money)
    cleaned.take(raw, "balance_eur", _money)
    cleaned.take(raw, "contact_name", bounded_text(200), default="")
    cleaned.take(raw, "contact_email", email_address, default="")
    cleaned.take(raw, "contact_phone", bounded_text(40), default="")
    return cleaned


def save_enterprise(db_session: Session, enterprise: Enterprise | None, raw: dict,
                    today: date | None = None) -> Enterprise:
    """Create or update an enterprise from raw values; FieldProblems lists every bad field."""
    cleaned = clean_enterprise(raw)
    if "cui" not in cleaned.errors and taken_by_another(db_session, Enterprise.cui,
                                                        cleaned.values["cui"], enterprise):
        cleaned.errors["cui"] = _l("another enterprise already has this CUI")
    if cleaned.errors:
        raise FieldProblems(cleaned.errors)
    if enterprise is None:
        enterprise = Enterprise(**cleaned.values)
        db_session.add(enterprise)
        db_session.flush()
    elif apply_values(enterprise, cleaned.values):
        db_session.flush()
        refresh_employees(db_session, [enterprise.id], today)
    return enterprise


def refresh_employees(db_session: Session, enterprise_ids: list[int],
                      today: date | None = None) -> int:
    """Re-evaluate the memberships of these enterprises' employees (their employer changed)."""
    from trainhub.participants.eligibility import refresh

    memberships = db_session.scalars(
        select(Membership).join(Participant)
        .where(Participant.enterprise_id.in_(enterprise_ids))).all()
    return refresh(db_session, list(memberships), today)


def add_aid(db_session: Session, enterprise: Enterprise, granted_on: date, amount_eur: Decimal,
            source: str, today: date | None = None) -> DeMinimisAid:
    """Record a de minimis aid; the employees' eligibility is re-evaluated."""
    today = today or date.today()
    problems = []
    if granted_on > today:
        problems.append(_l("the aid cannot be granted in the future"))
    if amount_eur is None or amount_eur <= 0:
        problems.append(_l("the amount must be above zero"))
    if problems:
        raise Problems(problems)
    aid = DeMinimisAid(enterprise=enterprise, granted_on=granted_on, amount_eur=amount_eur,
                       source=source.strip())
    db_session.add(aid)
    db_session.flush()
    refresh_employees(db_session, [enterprise.id], today)
    return aid


def de_minimis_total(enterprise: Enterprise, when: date, years: int = 3) -> Decimal:
    """Aid granted in the `years` years up to `when` (the rolling window of the ceiling)."""
    from trainhub.participants.eligibility import years_before

    since = years_before(when, years)
    return sum((aid.amount_eur for aid in enterprise.aids if since < aid.granted_on <= when),
               Decimal(0))


def size_reason(enterprise: Enterprise) -> str:
    """Why the enterprise has its size class, in the words of Recommendation 2003/361/EC, in
    the reader's language."""
    if enterprise.size_class == SizeClass.UNKNOWN:
        return gettext("headcount and turnover or balance sheet are needed "
                       "(Recommendation 2003/361/EC)")
    limits = {SizeClass.MICRO: (10, 2, 2), SizeClass.SMALL: (50, 10, 10),
              SizeClass.MEDIUM: (250, 50, 43)}
    figures = gettext("%(employees)s, turnover %(turnover)s, balance sheet %(balance)s",
                      employees=ngettext("%(num)s employee", "%(num)s employees",
                                         enterprise.employees or 0),
                      turnover=_millions(enterprise.turnover_eur),
                      balance=_millions(enterprise.balance_eur))
    if enterprise.size_class == SizeClass.LARGE:
        return gettext("%(figures)s: above the medium-sized limits (< 250 employees and "
                       "turnover ≤ %(turnover)s or balance sheet ≤ %(balance)s)",
                       figures=figures, turnover=_millions(50_000_000),
                       balance=_millions(43_000_000))
    headcount, turnover, balance = limits[SizeClass(enterprise.size_class)]
    return gettext("%(figures)s: < %(headcount)s employees and turnover ≤ %(turnover)s or "
                   "balance sheet ≤ %(balance)s", figures=figures, headcount=headcount,
                   turnover=_millions(turnover * 1_000_000),
                   balance=_millions(balance * 1_000_000))


def _millions(amount: Decimal | int | None) -> str:
    if amount is None:
        return gettext("not given")
    millions = Decimal(amount) / Decimal(1_000_000)
    return gettext("%(amount)s million EUR",
                   amount=number(millions, 0 if millions == millions.to_integral() else 2))


def enterprise_matches(search: str):
    """Enterprises whose name contains `search`, or whose CUI starts with it (`RO` optional)."""
    search = search.strip()
    digits = search.upper().removeprefix("RO").strip()
    return or_(Enterprise.name.ilike(f"%{search}%"),
               Enterprise.cui.startswith(digits) if digits.isdigit() else False)


def enterprise_list(search: str = "", county: str | None = None, size: str | None = None,
                    eligibility: str | None = None) -> Select:
    """Enterprises matching the list page's search and filters, by name."""
    stmt = select(Enterprise).order_by(Enterprise.name, Enterprise.id)
    if search.strip():
        stmt = stmt.where(enterprise_matches(search))
    if county:
        stmt = stmt.where(Enterprise.county == county)
    if size:
        stmt = stmt.where(Enterprise.size_class == size)
    if eligibility in set(Eligibility):
        stmt = stmt.where(Enterprise.id.in_(
            select(Participant.enterprise_id).join(Membership)
            .where(Membership.eligibility_status == eligibility)))
    return stmt


def employee_counts(db_session: Session, enterprise_ids: list[int]) -> dict[int, dict[str, int]]:
    """Employees and their memberships' eligibility per enterprise, in one query."""
    rows = db_session.execute(
        select(Participant.enterprise_id, func.count(func.distinct(Participant.id)),
               *[func.count(case((Membership.eligibility_status == status, Membership.id)))
                 for status in Eligibility])
        .outerjoin(Membership, Membership.participant_id == Participant.id)
        .where(Participant.enterprise_id.in_(enterprise_ids))
        .group_by(Participant.enterprise_id)).all()
    return {row[0]: {"employees": row[1]} | {status.value: count for status, count
                                             in zip(Eligibility, row[2:], strict=True)}
            for row in rows}


# --- EUR/RON rates: amounts in lei become EUR (DESIGN §13 "Money in lei") -----------------

def default_fiscal_year(today: date | None = None) -> int:
    """The financial year whose figures a file holds unless told: the year before."""
    return (today or date.today()).year - 1


def ron_per_eur(db_session: Session, year: int) -> Decimal | None:
    """The recorded annual average EUR/RON rate of `year`, or None."""
    return db_session.scalar(select(EurRonRate.ron_per_eur).where(EurRonRate.year == year))


def set_rate(db_session: Session, year: int, rate: object) -> EurRonRate:
    """Record (or correct) the rate of a year (the audit trail keeps the change); Problems
    when the year or the rate is not plausible."""
    try:
        value = parse_decimal(rate)
    except CellError as problem:
        raise Problems([problem]) from None
    problems = []
    if not 1990 <= year <= 2100:
        problems.append(_l("%(year)s is not a plausible financial year", year=year))
    if not Decimal("0.1") <= value <= Decimal("1000"):
        problems.append(_l("%(rate)s is not a plausible number of lei for one euro",
                           rate=text(rate)))
    if problems:
        raise Problems(problems)
    row = db_session.get(EurRonRate, year)
    if row is None:
        row = EurRonRate(year=year, ron_per_eur=value.quantize(Decimal("0.0001")))
        db_session.add(row)
    else:
        row.ron_per_eur = value.quantize(Decimal("0.0001"))
    db_session.flush()
    return row


def lei_to_eur(db_session: Session, table: Table | None, fiscal_year: int | None
               ) -> tuple[int, Decimal] | None:
    """Convert the amounts of `table` given in lei (its header or the cell says lei/RON) to
    EUR at the annual average rate of the financial year; (year, rate) when any was converted.

    A cell that cannot be read as a number is left as typed, for the row check to refuse.
    """
    if table is None:
        return None
    year = fiscal_year or default_fiscal_year()
    cells = [(row, column) for _, row in table.rows for column in MONEY_COLUMNS
             if text(row.get(column)) and not says_eur(row.get(column))
             and (column in table.lei_columns or says_lei(row.get(column)))]
    if not cells:
        return None
    rate = ron_per_eur(db_session, year)
    if rate is None:
        raise ImportFailed([_l("amounts are in lei but no EUR/RON rate is recorded for %(year)s:"
                               " choose the financial year of the figures, or ask an"
                               " administrator to record that year's rate", year=year)])
    for row, column in cells:
        try:
            amount = parse_decimal(row[column])
        except CellError:
            continue
        row[column] = (amount / rate).quantize(Decimal("0.01"))
    return year, rate
