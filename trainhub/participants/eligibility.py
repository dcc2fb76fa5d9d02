"""The eligibility engine of DESIGN §5: a call's rules (data) evaluated to one outcome per rule.

Facts are gathered for many memberships at once (a fixed number of queries), rules are
evaluated by pure functions, and only a person records a decision; a later change of the facts
marks that decision stale instead of rewriting it.
"""
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from trainhub.audit.services import record, update_audited
from trainhub.core.errors import Problems
from trainhub.core.formats import number
from trainhub.core.labels import label
from trainhub.core.models import utcnow
from trainhub.courses.models import Enrollment
from trainhub.enterprises.models import DeMinimisAid, SizeClass
from trainhub.journey.models import Voucher, VoucherCharge
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import Project

BLOCKING, WARNING = "blocking", "warning"
SEVERITIES = (BLOCKING, WARNING)
#: chunk size of IN (...) lists, well below every database's parameter limit
CHUNK = 500

#: the rule kinds the engine knows, with the parameters each takes (DESIGN §5.1)
RULE_KINDS: dict[str, tuple[str, ...]] = {
    "employment_status_in": ("values",),
    "age_between": ("min", "max"),
    "employer_required": (),
    "employer_size_in": ("values",),
    "employer_region_in": ("from_project", "values"),
    "employer_caen_not_in": ("values",),
    "de_minimis_ceiling": ("ceiling_eur", "years", "this_aid_eur"),
    "not_in_other_project_of_call": (),
    "field_complete": ("fields",),
}
#: participant fields a `field_complete` rule may require
COMPLETABLE_FIELDS = ("cnp", "last_name", "first_name", "email", "phone", "county",
                      "environment", "isced", "employment_status", "enterprise_id", "job_title")
POSSIBLE_DUPLICATE = "possible_duplicate"


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; it is translated when shown."""
    return message


#: what decided a rule, by key: the English sentence frozen into the evidence; pages show
#: `detail_text`, the same sentence in the reader's language
DETAILS: dict[str, str] = {
    "employment_status": N_("employment status: %(status)s"),
    "age": N_("age %(age)s on %(day)s"),
    "employer": "%(name)s",
    "no_employer": N_("no employer"),
    "size_unknown": N_("size unknown: headcount, turnover or balance sheet missing"),
    "size_class": N_("size class: %(size)s"),
    "region": N_("region %(region)s (%(county)s)"),
    "caen": "CAEN %(caen)s",
    "de_minimis": "EUR %(total)s of %(ceiling)s over %(num)s years",
    "member_of": N_("member of %(projects)s"),
    "member_of_allowed": N_("member of %(projects)s; allowed by the managing authority on "
                            "%(day)s: %(reason)s"),
    "missing_fields": N_("missing: %(fields)s"),
    "unknown_kind": N_("unknown rule kind %(kind)s"),
}
#: details made only of names and codes, shown as they are in every language
VERBATIM = {"employer", "caen"}
#: how each named value of a detail is shown to the reader (labels in lower case: they stand
#: in the middle of a sentence)
_SHOWN = {
    "status": lambda value: label(value, "employment_status", gettext("missing")).lower(),
    "size": lambda value: label(value, "size").lower(),
    "region": lambda value: value or gettext("unknown"),
    "total": lambda value: number(value, 2),
    "ceiling": lambda value: number(value, 0),
    "fields": lambda value: ", ".join(str(FIELD_LABELS.get(name, name)) for name in value),
}
#: the participant fields a `field_complete` rule names, as the forms call them
FIELD_LABELS = {
    "cnp": _l("CNP"), "last_name": _l("Last name"), "first_name": _l("First name"),
    "email": _l("E-mail"), "phone": _l("Phone"), "county": _l("County of residence"),
    "environment": _l("Environment"), "isced": _l("Education (ISCED)"),
    "employment_status": _l("Employment status"), "enterprise_id": _l("Employer"),
    "job_title": _l("Job title"),
}


def _english_detail(key: str, args: dict) -> str:
    """The detail as frozen into the evidence: English, figures as Python writes them."""
    values = dict(args)
    if key == "de_minimis":
        values.update(total=f"{Decimal(args['total']):,.2f}",
                      ceiling=f"{Decimal(args['ceiling']):,.0f}")
    elif key == "employment_status":
        values["status"] = args["status"] or "missing"
    elif key == "region":
        values["region"] = args["region"] or "unknown"
    elif key == "missing_fields":
        values["fields"] = ", ".join(args["fields"])
    return DETAILS[key] % values


def detail_text(outcome) -> str:
    """What decided a rule, in the reader's language; `outcome` is an Outcome or its stored
    dict. Outcomes stored before details had keys show their stored English detail."""
    if isinstance(outcome, dict):
        key, args, stored = (outcome.get("detail_key"), outcome.get("detail_args") or {},
                             outcome.get("detail", ""))
    else:
        key, args, stored = outcome.detail_key, outcome.detail_args, outcome.detail
    if key not in DETAILS:
        return stored
    try:
        shown = {name: _SHOWN[name](value) if name in _SHOWN else value
                 for name, value in args.items()}
        if key == "de_minimis":
            return ngettext("%(total)s EUR of %(ceiling)s EUR over %(num)s year",
                            "%(total)s EUR of %(ceiling)s EUR over %(num)s years",
                            int(args["num"]), total=shown["total"], ceiling=shown["ceiling"])
        if key in VERBATIM:
            return DETAILS[key] % shown
        return gettext(DETAILS[key], **shown)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return stored  # values stored by hand or by an older version: shown as stored


@dataclass
class Outcome:
    """One rule's verdict on one person; `detail` names the fact that decided it."""

    code: str
    kind: str
    passed: bool
    severity: str
    message_ro: str
    message_en: str
    detail: str = ""
    detail_key: str = ""
    detail_args: dict = field(default_factory=dict)
    #: ids of the other people a possible duplicate is about; never their data, which each
    #: reader is shown only as far as they may see them (participants.services.reader_view)
    people: list[int] = field(default_factory=list)

    def message(self, locale: str) -> str:
        return self.message_en if locale == "en" else self.message_ro

    def as_dict(self) -> dict:
        values = asdict(self)
        if not values["people"]:
            del values["people"]  # the stored reasons of every other rule stay as they were
        return values

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == BLOCKING


class NewMember(NamedTuple):
    """A membership about to be written, as `gather_facts` reads one."""

    participant_id: int
    project_id: int
    double_financing_override: dict | None = None


@dataclass
class Facts:
    """What the rules look at for one membership, gathered in bulk by `gather_facts`."""

    participant: Participant
    project: Project
    aids_eur: Decimal = Decimal(0)
    other_projects: list[str] = field(default_factory=list)
    #: ids of the other people with the same last name and birth date
    namesakes: list[int] = field(default_factory=list)
    #: the managing authority's override of the double-financing rule, if any
    double_financing_override: dict | None = None

    def snapshot(self, when: date) -> dict:
        """The facts as plain JSON, frozen into a decision's evidence."""
        person, employer = self.participant, self.participant.enterprise
        return {
            "on": when.isoformat(),
            "participant": {name: _plain(getattr(person, name)) for name in (
                "cnp", "last_name", "first_name", "sex", "birth_date", "county", "environment",
                "isced", "employment_status", "disability", "minority_or_migrant", "job_title")},
            "age": person.age_on(when),
            "employer": None if employer is None else {name: _plain(getattr(employer, name)) for name in (
                "cui", "name", "caen", "county", "nuts2", "employees", "turnover_eur",
                "balance_eur", "size_class")},
            "de_minimis_eur": str(self.aids_eur),
            "other_projects_of_call": self.other_projects,
            "double_financing_override": self.double_financing_override,
        }


def years_before(when: date, years: int) -> date:
    """The same day `years` earlier (28 February for a 29 February)."""
    try:
        return when.replace(year=when.year - years)
    except ValueError:
        return when.replace(year=when.year - years, day=28)


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _aid_years(rules: list[dict]) -> int:
    years = [rule["params"].get("years", 3) for rule in rules
             if rule.get("kind") == "de_minimis_ceiling"]
    return max(years, default=3)


def gather_facts(db_session: Session, memberships: list[Membership], when: date, *,
                 people: dict[int, Participant] | None = None) -> list[Facts]:
    """Facts for every membership, in a fixed number of queries whatever their number.

    A membership may also be one about to be written (`NewMember`). `people` are persons the
    caller holds already, by id, their `enterprise` set (a bulk import's new people); the
    others are loaded.
    """
    if not memberships:
        return []
    participants: dict[int, Participant] = {}
    for chunk in _chunks([id_ for id_ in {m.participant_id for m in memberships}
                          if people is None or id_ not in people]):
        participants.update((p.id, p) for p in db_session.scalars(
            select(Participant).options(joinedload(Participant.enterprise))
            .where(Participant.id.in_(chunk))))
    if people:
        participants.update((id_, people[id_]) for id_ in {m.participant_id for m in memberships}
                            if id_ in people)
    project_ids = {m.project_id for m in memberships}
    projects = {p.id: p for p in db_session.scalars(
        select(Project).options(joinedload(Project.call)).where(Project.id.in_(project_ids)))}
    years = max(_aid_years(project.call.rules) for project in projects.values())
    since = years_before(when, years)
    employer_ids = list({p.enterprise_id for p in participants.values() if p.enterprise_id})
    aids: dict[int, Decimal] = {}
    for chunk in _chunks(employer_ids):
        aids.update(db_session.execute(
            select(DeMinimisAid.enterprise_id, func.sum(DeMinimisAid.amount_eur))
            .where(DeMinimisAid.enterprise_id.in_(chunk), DeMinimisAid.granted_on > since,
                   DeMinimisAid.granted_on <= when)
            .group_by(DeMinimisAid.enterprise_id)).all())
        # the training paid from a project's skills voucher is de minimis aid too (DESIGN §17),
        # granted on the enrollment's date
        for enterprise_id, spent in db_session.execute(
                select(Voucher.enterprise_id, func.sum(VoucherCharge.amount_eur))
                .join(VoucherCharge, VoucherCharge.voucher_id == Voucher.id)
                .join(Enrollment, Enrollment.id == VoucherCharge.enrollment_id)
                .where(Voucher.enterprise_id.in_(chunk), VoucherCharge.refunded_on.is_(None),
                       Enrollment.enrolled_on > since, Enrollment.enrolled_on <= when)
                .group_by(Voucher.enterprise_id)):
            aids[enterprise_id] = Decimal(aids.get(enterprise_id) or 0) + Decimal(spent)
    others: dict[tuple[int, int], list[str]] = defaultdict(list)
    call_of = {project.id: project.call_id for project in projects.values()}
    ids = list(participants)
    for chunk in _chunks(ids):
        for participant_id, project_id, call_id, code in db_session.execute(
                select(Membership.participant_id, Project.id, Project.call_id, Project.code)
                .join(Project).where(Membership.participant_id.in_(chunk))):
            for own_project_id, own_call_id in call_of.items():
                if call_id == own_call_id and project_id != own_project_id:
                    others[(participant_id, own_project_id)].append(code)
    namesakes: dict[tuple[str, date], list[int]] = defaultdict(list)
    keys = sorted({(p.last_name.strip().lower(), p.birth_date) for p in participants.values()})
    for chunk in _chunks(keys):
        chunk_keys = set(chunk)
        # two lists rather than one of pairs, which PostgreSQL compares pair by pair with every
        # row: the index on both columns finds the rows; the pairs are matched below
        for person_id, last_name, birth_date in db_session.execute(
                select(Participant.id, Participant.last_name, Participant.birth_date)
                .where(func.lower(Participant.last_name).in_({name for name, _day in chunk}),
                       Participant.birth_date.in_({day for _name, day in chunk}))):
            key = (last_name.strip().lower(), birth_date)
            if key in chunk_keys:
                namesakes[key].append(person_id)
    facts = []
    for membership in memberships:
        person = participants[membership.participant_id]
        twins = namesakes.get((person.last_name.strip().lower(), person.birth_date), [])
        facts.append(Facts(
            participant=person, project=projects[membership.project_id],
            aids_eur=Decimal(aids.get(person.enterprise_id, 0) or 0),
            other_projects=sorted(others.get((person.id, membership.project_id), [])),
            namesakes=sorted(person_id for person_id in twins if person_id != person.id),
            double_financing_override=membership.double_financing_override,
        ))
    return facts


# --- rule kinds: each returns (passed, detail key, the detail's values) -------------------

Verdict = tuple[bool, str, dict]


def _employment_status_in(params: dict, facts: Facts, when: date) -> Verdict:
    status = facts.participant.employment_status
    return status in params.get("values", []), "employment_status", {"status": status or ""}


def _age_between(params: dict, facts: Facts, when: date) -> Verdict:
    age = facts.participant.age_on(when)
    return (params.get("min", 0) <= age <= params.get("max", 200), "age",
            {"age": age, "day": when.isoformat()})


def _employer_required(params: dict, facts: Facts, when: date) -> Verdict:
    employer = facts.participant.enterprise
    if employer is None:
        return False, "no_employer", {}
    return True, "employer", {"name": employer.name}


def _employer_size_in(params: dict, facts: Facts, when: date) -> Verdict:
    employer = facts.participant.enterprise
    if employer is None:
        return False, "no_employer", {}
    if employer.size_class == SizeClass.UNKNOWN:
        return False, "size_unknown", {}
    return (employer.size_class in params.get("values", []), "size_class",
            {"size": str(employer.size_class)})


def _employer_region_in(params: dict, facts: Facts, when: date) -> Verdict:
    employer = facts.participant.enterprise
    regions = facts.project.regions if params.get("from_project") else params.get("values", [])
    if employer is None:
        return False, "no_employer", {}
    return (employer.nuts2 in regions, "region",
            {"region": employer.nuts2 or "", "county": employer.county})


def _employer_caen_not_in(params: dict, facts: Facts, when: date) -> Verdict:
    employer = facts.participant.enterprise
    if employer is None:
        return False, "no_employer", {}
    return employer.caen not in params.get("values", []), "caen", {"caen": employer.caen}


def _de_minimis_ceiling(params: dict, facts: Facts, when: date) -> Verdict:
    total = facts.aids_eur + Decimal(str(params.get("this_aid_eur", 0)))
    ceiling = Decimal(str(params.get("ceiling_eur", 200000)))
    return total <= ceiling, "de_minimis", {"total": str(total), "ceiling": str(ceiling),
                                            "num": int(params.get("years", 3))}


def _not_in_other_project_of_call(params: dict, facts: Facts, when: date) -> Verdict:
    """Only the other projects' codes are named, never who else is in them; the managing
    authority's override (with its reason) lets the rule pass."""
    if not facts.other_projects:
        return True, "", {}
    projects = ", ".join(facts.other_projects)
    override = facts.double_financing_override
    if override:
        return True, "member_of_allowed", {"projects": projects, "day": override["at"][:10],
                                           "reason": override["reason"]}
    return False, "member_of", {"projects": projects}


def _field_complete(params: dict, facts: Facts, when: date) -> Verdict:
    missing = [name for name in params.get("fields", [])
               if getattr(facts.participant, name, None) in (None, "")]
    if missing:
        return False, "missing_fields", {"fields": missing}
    return True, "", {}


EVALUATORS: dict[str, Callable[[dict, Facts, date], Verdict]] = {
    "employment_status_in": _employment_status_in,
    "age_between": _age_between,
    "employer_required": _employer_required,
    "employer_size_in": _employer_size_in,
    "employer_region_in": _employer_region_in,
    "employer_caen_not_in": _employer_caen_not_in,
    "de_minimis_ceiling": _de_minimis_ceiling,
    "not_in_other_project_of_call": _not_in_other_project_of_call,
    "field_complete": _field_complete,
}


def evaluate(rules: list[dict], facts: Facts, when: date) -> list[Outcome]:
    """Every rule's outcome for one person, then a warning for a possible duplicate."""
    outcomes = []
    for rule in rules:
        evaluator = EVALUATORS.get(rule.get("kind"))
        if evaluator is None:
            passed, key, args = False, "unknown_kind", {"kind": repr(rule.get("kind"))}
        else:
            passed, key, args = evaluator(rule.get("params") or {}, facts, when)
        outcomes.append(Outcome(rule["code"], rule.get("kind", ""), passed,
                                rule.get("severity", BLOCKING), rule.get("message_ro", ""),
                                rule.get("message_en", ""),
                                _english_detail(key, args) if key else "", key, args))
    if facts.namesakes:
        # who they are is left to the reader's view: an SME may not see another company's people
        outcomes.append(Outcome(
            POSSIBLE_DUPLICATE, POSSIBLE_DUPLICATE, False, WARNING,
            "Posibil duplicat: o altă persoană are același nume și aceeași dată a nașterii.",
            "Possible duplicate: another person has the same last name and birth date.",
            people=facts.namesakes))
    return outcomes


def evaluate_memberships(db_session: Session, memberships: list[Membership],
                         when: date) -> dict[int, list[Outcome]]:
    """Outcomes per membership id, for any number of memberships in a fixed number of queries."""
    facts = gather_facts(db_session, memberships, when)
    return {membership.id: evaluate(each.project.call.rules, each, when)
            for membership, each in zip(memberships, facts, strict=True)}


def _verdict(outcomes: list[Outcome]) -> list[tuple[str, bool]]:
    return sorted((outcome.code, outcome.passed) for outcome in outcomes
                  if outcome.code != POSSIBLE_DUPLICATE)


def pending_reasons(outcomes: list[Outcome]) -> list[dict]:
    """What a pending member's `reasons` hold: every rule that fails, as stored."""
    return [o.as_dict() for o in outcomes if not o.passed]


def refresh(db_session: Session, memberships: list[Membership], when: date | None = None) -> int:
    """Re-evaluate after a change of data: pending members get the current failures as reasons,
    decided ones are marked stale when the verdict differs from the one decided on.

    Returns how many decisions became stale. The decision itself is never changed here.
    """
    when = when or date.today()
    newly_stale = 0
    for membership, facts in zip(memberships, gather_facts(db_session, memberships, when),
                                 strict=True):
        outcomes = evaluate(facts.project.call.rules, facts, when)
        if membership.eligibility_status == Eligibility.PENDING:
            reasons = pending_reasons(outcomes)
            if membership.reasons != reasons:
                membership.reasons = reasons
            continue
        decided = [(o["code"], o["passed"]) for o in membership.evidence.get("outcomes", [])
                   if o["code"] != POSSIBLE_DUPLICATE]
        if decided and sorted(decided) != _verdict(outcomes) and not membership.decision_stale:
            membership.decision_stale = True
            newly_stale += 1
    return newly_stale


def refresh_new_members(db_session: Session, members: list[tuple[int, NewMember]], *,
                        people: dict[int, Participant] | None = None,
                        when: date | None = None) -> None:
    """`refresh` for memberships just inserted in bulk, pending and without reasons yet, by id:
    their reasons are written in bulk (and audited), without loading them."""
    when = when or date.today()
    facts = gather_facts(db_session, [member for _, member in members], when, people=people)
    update_audited(db_session, Membership, [
        (membership_id, {"reasons": []},
         {"reasons": pending_reasons(evaluate(each.project.call.rules, each, when))})
        for (membership_id, _), each in zip(members, facts, strict=True)])


def decide(db_session: Session, membership: Membership, status: str, *, user_id: int | None,
           note: str = "", when: date | None = None, documents: list[dict] | None = None,
           source: str = "manual") -> list[Outcome]:
    """Record a person's decision with the evidence it used; refused when it contradicts a
    blocking rule (eligible) or has no reason at all (ineligible)."""
    when = when or date.today()
    if status not in (Eligibility.ELIGIBLE, Eligibility.INELIGIBLE):
        raise Problems([_l("Choose eligible or ineligible.")])
    facts = gather_facts(db_session, [membership], when)[0]
    outcomes = evaluate(facts.project.call.rules, facts, when)
    blocking = [o for o in outcomes if o.blocks]
    if status == Eligibility.ELIGIBLE and blocking:
        raise Problems([_l("Cannot be declared eligible while a blocking rule fails: %(codes)s.",
                           codes=", ".join(o.code for o in blocking))])
    if status == Eligibility.INELIGIBLE and not blocking and not note.strip():
        raise Problems([_l("Every rule passes: say why the person is ineligible.")])
    reasons = [o.as_dict() for o in outcomes if not o.passed]
    if note.strip():
        reasons.append(Outcome("coordinator_note", "note", False, BLOCKING, note.strip(),
                               note.strip()).as_dict())
    membership.eligibility_status = status
    membership.reasons = reasons
    membership.evidence = {
        "source": source,
        "facts": facts.snapshot(when),
        "outcomes": [o.as_dict() for o in outcomes],
        "documents": documents or [],
        "rules": facts.project.call.rules,
    }
    membership.decision_stale = False
    membership.decided_at = utcnow()
    membership.decided_by_id = user_id
    record(db_session, "eligibility.decide", membership, {"status": status, "note": note.strip()},
           user_id=user_id)
    return outcomes



def record_imported_decision(db_session: Session,
                             decided: list[tuple[Membership, str, date | None]], *,
                             user_id: int | None) -> None:
    """Decisions a project made before TrainHub, recorded as given by the importing user.

    The evidence is marked "imported"; a decision the rules contradict is marked stale so
    someone looks at it, but it is not changed.
    """
    memberships = [membership for membership, _, _ in decided]
    facts = gather_facts(db_session, memberships, date.today())
    for (membership, status, decided_on), each in zip(decided, facts, strict=True):
        when = decided_on or date.today()
        outcomes = evaluate(each.project.call.rules, each, when)
        membership.eligibility_status = status
        membership.reasons = [o.as_dict() for o in outcomes if not o.passed]
        membership.evidence = {"source": "imported", "facts": each.snapshot(when),
                               "outcomes": [o.as_dict() for o in outcomes], "documents": []}
        membership.decision_stale = status == Eligibility.ELIGIBLE and any(o.blocks for o in outcomes)
        membership.decided_at = (datetime.combine(decided_on, time(12), tzinfo=UTC)
                                 if decided_on else utcnow())
        membership.decided_by_id = user_id
        record(db_session, "eligibility.import", membership,
               {"status": status, "decided_on": when.isoformat()}, user_id=user_id)


#: the longest reason an override keeps
OVERRIDE_REASON_MAX = 500


def override_double_financing(db_session: Session, membership: Membership, reason: str, *,
                              user) -> None:
    """The managing authority lets a person be financed by this project although they are a
    member of another project of the same call (DESIGN §14): the reason is required and kept
    on the membership, the change is audited, and every evaluation respects it from then on
    (a pending person's reasons are refreshed; a decision taken without it becomes stale)."""
    reason, problems = _override_reason(user, reason, _l(
        "Say why the person may be financed by this project too."))
    if not gather_facts(db_session, [membership], date.today())[0].other_projects:
        problems.append(_l("The person is in no other project of the call: there is nothing "
                           "to override."))
    if problems:
        raise Problems(problems)
    membership.double_financing_override = {"reason": reason, "by_id": user.id,
                                            "at": utcnow().isoformat()}
    record(db_session, "eligibility.double_financing_override", membership,
           {"reason": reason}, user_id=user.id)
    refresh(db_session, [membership])


def withdraw_double_financing_override(db_session: Session, membership: Membership,
                                       reason: str, *, user) -> None:
    """The managing authority takes its override back: the reason is required, the override
    it withdraws is kept in the audit trail, and the person is evaluated again without it (a
    pending person's reasons are refreshed; a decision taken with it becomes stale)."""
    reason, problems = _override_reason(user, reason, _l(
        "Say why the person may no longer be financed by this project too."))
    if not membership.double_financing_override:
        problems.append(_l("The person has no double-financing override to withdraw."))
    if problems:
        raise Problems(problems)
    withdrawn = membership.double_financing_override
    membership.double_financing_override = None
    record(db_session, "eligibility.double_financing_override_withdrawn", membership,
           {"reason": reason, "override": withdrawn}, user_id=user.id)
    refresh(db_session, [membership])


def _override_reason(user, reason: str, missing) -> tuple[str, list]:
    """The trimmed reason of an override or its withdrawal and what is wrong (only the
    managing authority; a reason, at most OVERRIDE_REASON_MAX characters)."""
    from trainhub.auth.permissions import can

    if not can(user, "participants.override_double_financing"):
        raise Problems([_l("Only the managing authority may override the double-financing "
                           "rule.")])
    reason = (reason or "").strip()
    problems = []
    if not reason:
        problems.append(missing)
    elif len(reason) > OVERRIDE_REASON_MAX:
        problems.append(_l("The reason is too long (at most %(n)s characters).",
                           n=OVERRIDE_REASON_MAX))
    return reason, problems
