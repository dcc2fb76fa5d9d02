"""Participant rules: cleaning and saving a person (one CNP, one person), membership, filters."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from trainhub.auth.permissions import can
from trainhub.core import cleaning
from trainhub.core.cleaning import Cleaned, bounded_text, email_address, whole_number
from trainhub.core.identifiers import mask_cnp
from trainhub.core.models import apply_values, taken_by_another
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import FieldProblems, enterprise_matches
from trainhub.imports.services import parse_bool, parse_choice, text
from trainhub.participants.eligibility import refresh
from trainhub.participants.models import (
    Eligibility,
    EmploymentStatus,
    Environment,
    Membership,
    Participant,
    Sex,
)
from trainhub.programme.models import Project

#: the columns of a participant, as in the import file (DESIGN §9) and the form
PARTICIPANT_COLUMNS = ["cnp", "last_name", "first_name", "email", "phone", "enterprise_cui",
                       "job_title", "county", "environment", "isced", "employment_status",
                       "disability", "minority_or_migrant"]
PARTICIPANT_ALIASES = {
    "nume": "last_name", "prenume": "first_name", "telefon": "phone", "judet": "county",
    "mediu": "environment", "mediu_de_rezidenta": "environment", "nivel_isced": "isced",
    "statut": "employment_status", "statut_ocupational": "employment_status",
    "cui_angajator": "enterprise_cui", "cui": "enterprise_cui", "functie": "job_title",
    "ocupatie": "job_title", "dizabilitate": "disability",
    "minoritate_sau_migrant": "minority_or_migrant", "eligibilitate": "eligibility",
    "data_deciziei": "decided_on",
}
#: Romanian spellings accepted in files for the coded columns
_ENVIRONMENTS = {"urban": "urban", "rural": "rural"}
_EMPLOYMENT = {status.value: status.value for status in EmploymentStatus} | {
    "angajat": "employed", "salariat": "employed", "independent": "self_employed",
    "somer": "unemployed", "șomer": "unemployed", "somer_de_lunga_durata": "long_term_unemployed",
    "inactiv": "inactive",
}
AGE_BANDS = {"under_25": (0, 24), "25_54": (25, 54), "55_64": (55, 64), "65_plus": (65, 200)}
FLAG_FILTERS = ("age_55_64", "woman", "rural")
#: special-category data (GDPR art. 9): shown only to roles that need it
SPECIAL_CATEGORIES = ("disability", "minority_or_migrant")








def _coded(mapping: dict[str, str]):
    choose = parse_choice(set(mapping))

    def parse(value: object) -> str:
        return mapping[choose("_".join(text(value).lower().split()))]

    return parse


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
    cleaned.take(raw, "environment", _coded(_ENVIRONMENTS))
    cleaned.take(raw, "isced", whole_number(0, 8))
    cleaned.take(raw, "employment_status", _coded(_EMPLOYMENT))
    cleaned.take(raw, "disability", parse_bool)
    cleaned.take(raw, "minority_or_migrant", parse_bool)
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


def participant_list(*, search: str = "", enterprise_id: int | None = None, employer: str = "",
                     county: str | None = None, sex: str | None = None,
                     age_band: str | None = None, eligibility: str | None = None,
                     flags: tuple[str, ...] = (), today: date | None = None) -> Select:
    """People matching the list page's search and filters, by name, employer loaded."""
    today = today or date.today()
    stmt = (select(Participant).options(joinedload(Participant.enterprise))
            .order_by(Participant.last_name, Participant.first_name, Participant.id))
    search = search.strip()
    if search:
        stmt = stmt.where(or_(
            Participant.last_name.ilike(f"%{search}%"), Participant.first_name.ilike(f"%{search}%"),
            Participant.cnp.startswith(search) if search.isdigit() else False))
    if enterprise_id:
        stmt = stmt.where(Participant.enterprise_id == enterprise_id)
    if employer.strip():
        stmt = stmt.where(Participant.enterprise_id.in_(
            select(Enterprise.id).where(enterprise_matches(employer))))
    if county:
        stmt = stmt.where(Participant.county == county)
    if sex in set(Sex):
        stmt = stmt.where(Participant.sex == sex)
    if age_band in AGE_BANDS:
        stmt = stmt.where(*_age_between(*AGE_BANDS[age_band], today))
    if eligibility in set(Eligibility):
        stmt = stmt.where(Participant.id.in_(select(Membership.participant_id).where(
            Membership.eligibility_status == eligibility)))
    if "age_55_64" in flags:
        stmt = stmt.where(*_age_between(55, 64, today))
    if "woman" in flags:
        stmt = stmt.where(Participant.sex == Sex.FEMALE)
    if "rural" in flags:
        stmt = stmt.where(Participant.environment == Environment.RURAL)
    return stmt


def _age_between(low: int, high: int, today: date) -> list:
    """Birth-date bounds of people aged `low`..`high` full years on `today`."""
    from trainhub.participants.eligibility import years_before

    latest_birth = years_before(today, low)
    earliest_birth = years_before(today, high + 1)
    return [Participant.birth_date <= latest_birth, Participant.birth_date > earliest_birth]


def memberships_by_participant(db_session: Session, participant_ids: list[int], *,
                               badges_only: bool = False) -> dict[int, list[Membership]]:
    """Every membership of these people with its project, in one query.

    `badges_only` (list pages): rows of just the participant id, eligibility status and stale
    mark instead of Membership objects (no project, no JSON reasons and evidence to decode).
    """
    result: dict[int, list[Membership]] = {pid: [] for pid in participant_ids}
    if badges_only:
        memberships = db_session.execute(
            select(Membership.participant_id, Membership.eligibility_status,
                   Membership.decision_stale)
            .where(Membership.participant_id.in_(participant_ids))
            .order_by(Membership.project_id))
    else:
        memberships = db_session.scalars(
            select(Membership).options(joinedload(Membership.project))
            .where(Membership.participant_id.in_(participant_ids))
            .order_by(Membership.project_id))
    for membership in memberships:
        result[membership.participant_id].append(membership)
    return result


def default_project(db_session: Session) -> Project | None:
    """The project new people join when nobody chose one: the latest started."""
    return db_session.scalar(select(Project).order_by(Project.start_date.desc(), Project.id.desc()))


@dataclass(frozen=True)
class Disclosure:
    """How much of a person's record a reader may see."""

    full_cnp: bool
    special_categories: bool

    def cnp(self, cnp: str) -> str:
        return cnp if self.full_cnp else mask_cnp(cnp)

    def flags(self, participant: Participant, when: date | None = None) -> dict[str, bool]:
        """The person's target-group flags, without the special categories unless allowed."""
        flags = participant.flags(when)
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
