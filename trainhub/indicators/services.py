"""The monitoring indicators of DESIGN §8, computed in the database, and locked snapshots.

One subquery lists the counted participants of a project with the facts the indicators need
(sex, age at entry, status, ISCED, flags, employer, entry and exit); the same conditions
select the people behind a cell. The table folds the counted participants into one row per
combination of facts and adds those up, each cell a SUM(n) FILTER (WHERE ...): for the pages
from the trigger-kept facts table (`facts.py`), for locked snapshots from the source tables.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, bindparam, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from trainhub.audit.services import record
from trainhub.core.bounds import DAY_OUT_OF_RANGE, day_in_range
from trainhub.core.errors import Problems
from trainhub.courses.models import Cohort, Course, Enrollment, EnrollmentStatus
from trainhub.enterprises.models import Enterprise
from trainhub.indicators.facts import FACTS, counted_conditions, live_facts, unpack
from trainhub.indicators.models import IndicatorFact, IndicatorSnapshot
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import Project, ReportingPeriod

SEXES = (("men", "M"), ("women", "F"))


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    #: the condition on the counted-participants subquery `c`
    condition: Callable
    #: which date puts a person in a period: entry (output) or exit (result indicators)
    basis: str = "entry"
    total_only: bool = False


def counted_subquery(project_id: int):
    """Counted participants of a project (DESIGN §8) with the facts every indicator uses."""
    # one hash join against the completed memberships, not a correlated EXISTS per row
    completed = (select(Enrollment.membership_id)
                 .where(Enrollment.status == EnrollmentStatus.COMPLETED)
                 .group_by(Enrollment.membership_id).subquery("completed"))
    facts = live_facts() | {"completed": completed.c.membership_id.is_not(None)}
    return (
        select(Membership.id.label("membership_id"), Participant.id.label("participant_id"),
               *(fact.label(name) for name, fact in facts.items()),
               Participant.county.label("county"), Participant.enterprise_id.label("enterprise_id"),
               Membership.entry_date.label("entry_date"), Membership.exit_date.label("exit_date"))
        .join(Participant, Participant.id == Membership.participant_id)
        .outerjoin(completed, completed.c.membership_id == Membership.id)
        .where(Membership.project_id == project_id, *counted_conditions())
        .subquery("c")
    )


INDICATORS: list[Indicator] = [
    Indicator("TOTAL", "All participants", lambda c: literal(True)),
    Indicator("CO01", "Unemployed, including long-term unemployed",
              lambda c: c.c.status.in_(["unemployed", "long_term_unemployed"])),
    Indicator("CO02", "Long-term unemployed", lambda c: c.c.status == "long_term_unemployed"),
    Indicator("CO03", "Inactive", lambda c: c.c.status == "inactive"),
    Indicator("CO05", "Employed, including self-employed",
              lambda c: c.c.status.in_(["employed", "self_employed"])),
    Indicator("CO06", "Below 25 years of age", lambda c: c.c.age < 25),
    Indicator("CO07", "Participants above 54 years of age", lambda c: c.c.age > 54),
    Indicator("AGE55_64", "Participants aged 55 to 64", lambda c: c.c.age.between(55, 64)),
    Indicator("CO09", "With primary (ISCED 1) or lower secondary education (ISCED 2)",
              lambda c: c.c.isced.in_([1, 2])),
    Indicator("CO10", "With upper secondary (ISCED 3) or post-secondary education (ISCED 4)",
              lambda c: c.c.isced.in_([3, 4])),
    Indicator("CO11", "With tertiary education (ISCED 5 to 8)", lambda c: c.c.isced.between(5, 8)),
    Indicator("CO15", "Migrants, participants with a foreign background, minorities "
              "(including marginalised communities such as the Roma)",
              lambda c: c.c.minority.is_(True)),
    Indicator("CO16", "Participants with disabilities", lambda c: c.c.disability.is_(True)),
    Indicator("CO19", "Participants from rural areas", lambda c: c.c.environment == "rural"),
    Indicator("CO23", "Number of supported micro, small and medium-sized enterprises",
              lambda c: literal(True), total_only=True),
    Indicator("CR03", "Participants gaining a qualification upon leaving",
              lambda c: c.c.completed.is_(True), basis="exit"),
]
BY_CODE = {indicator.code: indicator for indicator in INDICATORS}

#: what a project may promise a number of (DESIGN §14): every indicator, and women
TARGET_CODES: list[str] = ["TOTAL", "WOMEN"] + [i.code for i in INDICATORS if i.code != "TOTAL"]
#: their labels in the reader's language (lazy: resolved when shown)
TARGET_LABELS: dict[str, str] = {i.code: _l(i.label) for i in INDICATORS} | {
    "WOMEN": _l("Women participants")}


@dataclass(frozen=True)
class TargetProgress:
    """One target of a project beside the value reached."""

    code: str
    label: str
    target: int
    actual: int

    @property
    def percent(self) -> int:
        """Share of the target reached, in whole percent (100 for a target of 0)."""
        return round(100 * self.actual / self.target) if self.target else 100


def actual(values: dict[str, dict], code: str) -> int:
    """The value of a target code in an indicator table; WOMEN is the women column of TOTAL."""
    if code == "WOMEN":
        return values["TOTAL"]["women"] or 0
    return (values[code]["total"] or 0) if code in values else 0


def target_progress(targets: dict[str, int], values: dict[str, dict]) -> list[TargetProgress]:
    """Every target the project has, in TARGET_CODES order, with the value from `values` (the
    indicator table); WOMEN is the women column of TOTAL."""
    known = [code for code in TARGET_CODES if code in targets]
    others = sorted(code for code in targets if code not in TARGET_CODES)
    return [TargetProgress(code, TARGET_LABELS.get(code, code), targets[code],
                           actual(values, code)) for code in known + others]


def _in_period(c, indicator: Indicator, start: date, end: date):
    day = c.c.exit_date if indicator.basis == "exit" else c.c.entry_date
    return day.between(start, end)


def compute(db_session: Session, project: Project, start: date, end: date) -> dict[str, dict]:
    """{code: {"men", "women", "total"}} for the period, read from the trigger-kept facts table.

    The counted memberships of the period are grouped by their profile (one integer, read off
    an index), the few thousand profiles unpacked into facts, and each cell adds up the groups
    its condition selects.
    """
    cells, employers = _fact_statements()
    params = {"project_id": project.id, "start": start, "end": end}
    row = db_session.execute(cells, params).one()._mapping
    return _values(row, db_session.scalar(employers, params))


@cache
def _fact_statements():
    """compute's two statements, built once with the project and the period as bound parameters
    (the table's fifty filtered sums cost more to build each time than to run)."""
    project_id, start, end = bindparam("project_id"), bindparam("start"), bindparam("end")
    in_entry = IndicatorFact.entry_date.between(start, end)
    in_exit = IndicatorFact.exit_date.between(start, end)
    by_profile = (select(IndicatorFact.profile, func.count().filter(in_entry).label("n_entry"),
                         func.count().filter(in_exit).label("n_exit"))
                  .where(IndicatorFact.project_id == project_id, or_(in_entry, in_exit))
                  .group_by(IndicatorFact.profile).subquery("by_profile"))
    grouped = select(*(value.label(name) for name, value in unpack(by_profile.c.profile).items()),
                     by_profile.c.n_entry, by_profile.c.n_exit).subquery("grouped")
    project_facts = select(IndicatorFact).where(IndicatorFact.project_id == project_id).subquery()
    return (select(*_cells(grouped)).select_from(grouped),
            select(func.count()).select_from(_new_employers(project_facts, start, end)))


def compute_live(db_session: Session, project: Project, start: date, end: date) -> dict[str, dict]:
    """The same table computed from the source tables, for locked snapshots and checks."""
    c = counted_subquery(project.id)
    in_entry, in_exit = c.c.entry_date.between(start, end), c.c.exit_date.between(start, end)
    facts = [c.c[name] for name in live_facts()]
    grouped = (select(*facts, func.count().filter(in_entry).label("n_entry"),
                      func.count().filter(in_exit).label("n_exit"))
               .where(or_(in_entry, in_exit)).group_by(*facts).subquery("grouped"))
    return _table(db_session, grouped,
                  select(func.count()).select_from(_new_employers(c, start, end)))


def _table(db_session: Session, grouped, employers_stmt) -> dict[str, dict]:
    """Each cell a SUM of the group counts its indicator's condition selects (one query);
    CO23 from `employers_stmt`."""
    row = db_session.execute(select(*_cells(grouped)).select_from(grouped)).one()._mapping
    return _values(row, db_session.scalar(employers_stmt))


def _cells(grouped) -> list:
    """One SUM(n) FILTER (WHERE condition AND sex) column per cell of the table (CO23 apart)."""
    columns = []
    for indicator in INDICATORS:
        if indicator.total_only:
            continue
        n = grouped.c.n_exit if indicator.basis == "exit" else grouped.c.n_entry
        for key, sex in SEXES:
            columns.append(func.coalesce(func.sum(n).filter(
                and_(indicator.condition(grouped), grouped.c.sex == sex)), 0)
                .label(f"{indicator.code}_{key}"))
    return columns


def _values(row, employers: int) -> dict[str, dict]:
    """{code: {"men", "women", "total"}} from a row of `_cells` (None: nobody) and CO23."""
    values = {}
    for indicator in INDICATORS:
        if indicator.total_only:
            values[indicator.code] = {"men": None, "women": None, "total": employers or 0}
            continue
        men = int(row[f"{indicator.code}_men"]) if row is not None else 0
        women = int(row[f"{indicator.code}_women"]) if row is not None else 0
        values[indicator.code] = {"men": men, "women": women, "total": men + women}
    return values


# --- a whole call (DESIGN §14) ---------------------------------------------------------

def _digit_weight(name: str) -> int:
    """What one unit of the fact `name` weighs in a profile."""
    weight = 1
    for fact in FACTS:
        if fact.name == name:
            return weight
        weight *= fact.radix
    raise KeyError(name)


#: a person's call profile is built from their memberships' profiles: every fact but age and
#: completion belongs to the person, age is the most significant digit and completion the next
assert [fact.name for fact in FACTS[-2:]] == ["completed", "age"]


def call_people(project_ids):
    """The counted people of the projects `project_ids` (a list or a SELECT of ids) of one call,
    each person ONCE whatever the number of their memberships, read from the facts table:
    entered on their first entry at the age of that day (the least profile: age is its most
    significant digit), left on their final exit (none while a membership is still open),
    qualified when any membership completed."""
    weight = _digit_weight("completed")

    def completed(profile):
        return (profile // weight) % FACTS[-2].radix

    first = func.min(IndicatorFact.profile)
    return (select((first + (func.max(completed(IndicatorFact.profile)) - completed(first))
                    * weight).label("profile"),
                   func.min(IndicatorFact.entry_date).label("entry_date"),
                   case((func.count(IndicatorFact.exit_date) == func.count(),
                         func.max(IndicatorFact.exit_date)), else_=None).label("exit_date"))
            .join(Membership, Membership.id == IndicatorFact.membership_id)
            .where(IndicatorFact.project_id.in_(project_ids))
            .group_by(Membership.participant_id).subquery("people"))


def compute_call(db_session: Session, project_ids, start: date, end: date) -> dict[str, dict]:
    """The indicator table of a call (its projects `project_ids`), each person counted once;
    CO23: the employers whose first counted participant in those projects entered in the period."""
    people = call_people(project_ids)
    in_entry, in_exit = people.c.entry_date.between(start, end), people.c.exit_date.between(start, end)
    by_profile = (select(people.c.profile, func.count().filter(in_entry).label("n_entry"),
                         func.count().filter(in_exit).label("n_exit"))
                  .where(or_(in_entry, in_exit)).group_by(people.c.profile).subquery("by_profile"))
    grouped = select(*(value.label(name) for name, value in unpack(by_profile.c.profile).items()),
                     by_profile.c.n_entry, by_profile.c.n_exit).subquery("grouped")
    facts = select(IndicatorFact).where(IndicatorFact.project_id.in_(project_ids)).subquery()
    return _table(db_session, grouped,
                  select(func.count()).select_from(_new_employers(facts, start, end)))


@dataclass(frozen=True)
class CallTable:
    """The indicator table of a call beside one table per project, with their targets."""

    #: the call's table, each person counted once
    values: dict[str, dict]
    #: the projects' targets added up, by code
    targets: dict[str, int]
    #: (project, its table, its targets by code), in the order given
    projects: list[tuple[Project, dict[str, dict], dict[str, int]]]

    @property
    def projects_total(self) -> int:
        """TOTAL of the projects' rows added up: more than the call's TOTAL by the people
        counted in more than one project."""
        return sum(values["TOTAL"]["total"] for _, values, _ in self.projects)


def call_table(db_session: Session, projects: list[Project], start: date,
               end: date) -> CallTable:
    """The call table of `projects` (one call's, as far as the reader may see them; their
    targets loaded) for the period, in a fixed number of queries whatever their number."""
    ids = [project.id for project in projects]
    by_project = compute_by_project(db_session, ids, start, end)
    rows, totals = [], {}
    for project in projects:
        targets = {t.indicator_code: t.value for t in project.targets}
        for code, value in targets.items():
            totals[code] = totals.get(code, 0) + value
        rows.append((project, by_project[project.id], targets))
    return CallTable(compute_call(db_session, ids, start, end), totals, rows)


def compute_by_project(db_session: Session, project_ids: list[int], start: date,
                       end: date) -> dict[int, dict[str, dict]]:
    """{project id: its indicator table} for many projects in two queries (the facts table,
    as `compute` reads it for one)."""
    in_entry = IndicatorFact.entry_date.between(start, end)
    in_exit = IndicatorFact.exit_date.between(start, end)
    by_profile = (select(IndicatorFact.project_id, IndicatorFact.profile,
                         func.count().filter(in_entry).label("n_entry"),
                         func.count().filter(in_exit).label("n_exit"))
                  .where(IndicatorFact.project_id.in_(project_ids), or_(in_entry, in_exit))
                  .group_by(IndicatorFact.project_id, IndicatorFact.profile)
                  .subquery("by_profile"))
    grouped = select(by_profile.c.project_id,
                     *(value.label(name) for name, value in unpack(by_profile.c.profile).items()),
                     by_profile.c.n_entry, by_profile.c.n_exit).subquery("grouped")
    rows = {row.project_id: row._mapping for row in db_session.execute(
        select(grouped.c.project_id, *_cells(grouped)).group_by(grouped.c.project_id))}
    first_entries = (select(IndicatorFact.project_id, IndicatorFact.enterprise_id)
                     .where(IndicatorFact.project_id.in_(project_ids),
                            IndicatorFact.enterprise_id.is_not(None))
                     .group_by(IndicatorFact.project_id, IndicatorFact.enterprise_id)
                     .having(func.min(IndicatorFact.entry_date).between(start, end)).subquery())
    employers = dict(db_session.execute(
        select(first_entries.c.project_id, func.count()).group_by(first_entries.c.project_id)
    ).all())
    return {project_id: _values(rows.get(project_id), employers.get(project_id, 0))
            for project_id in project_ids}


def _new_employers(c, start: date, end: date):
    """Employers whose first counted participant entered within the period (CO23)."""
    return (select(c.c.enterprise_id).where(c.c.enterprise_id.is_not(None))
            .group_by(c.c.enterprise_id)
            .having(func.min(c.c.entry_date).between(start, end)).subquery())


def members_stmt(project: Project, start: date, end: date, code: str, sex: str | None = None):
    """SELECT of the membership ids behind one cell (CO23: each new employer's participants)."""
    indicator = BY_CODE[code]
    c = counted_subquery(project.id)
    if indicator.total_only:
        employers = _new_employers(c, start, end)
        stmt = (select(c.c.membership_id).where(c.c.enterprise_id.in_(select(employers.c.enterprise_id)),
                                                 c.c.entry_date.between(start, end)))
    else:
        stmt = select(c.c.membership_id).where(indicator.condition(c),
                                               _in_period(c, indicator, start, end))
    return stmt.where(c.c.sex == sex) if sex else stmt


def members_behind(db_session: Session, project: Project, start: date, end: date,
                   code: str, sex: str | None = None) -> list[int]:
    """Membership ids behind one cell, in order."""
    return sorted(db_session.scalars(members_stmt(project, start, end, code, sex)))


def all_members(db_session: Session, project: Project, start: date, end: date) -> dict[str, dict]:
    """{code: {"men": [ids], "women": [ids]}} for a snapshot (CO23: {"total": [ids]})."""
    result = {}
    for indicator in INDICATORS:
        if indicator.total_only:
            result[indicator.code] = {"total": members_behind(db_session, project, start, end,
                                                              indicator.code)}
        else:
            result[indicator.code] = {key: members_behind(db_session, project, start, end,
                                                          indicator.code, sex)
                                      for key, sex in SEXES}
    return result


#: why someone who took part is not counted, in the reader's language
NOT_COUNTED_REASONS = {
    Eligibility.PENDING: _l("eligibility is pending"),
    Eligibility.INELIGIBLE: _l("eligibility is ineligible"),
    "employment_status": _l("employment status missing"),
    "isced": _l("education level (ISCED) missing"),
}


def not_counted(db_session: Session, project: Project, start: date, end: date) -> list[dict]:
    """People who took part in the period (entry in it) but are not counted, with the reasons
    (lazy strings, read in the reader's language)."""
    rows = db_session.execute(
        select(Membership.id, Participant.id, Participant.last_name, Participant.first_name,
               Membership.eligibility_status, Participant.employment_status, Participant.isced,
               Membership.entry_date)
        .join(Participant, Participant.id == Membership.participant_id)
        .where(Membership.project_id == project.id, Membership.entry_date.between(start, end),
               or_(Membership.eligibility_status != Eligibility.ELIGIBLE,
                   Participant.employment_status.is_(None), Participant.isced.is_(None)))
        .order_by(Participant.last_name, Participant.first_name)).all()
    result = []
    for membership_id, participant_id, last, first, status, employment, isced, entry in rows:
        reasons = []
        if status != Eligibility.ELIGIBLE:
            reasons.append(NOT_COUNTED_REASONS[status])
        if employment is None:
            reasons.append(NOT_COUNTED_REASONS["employment_status"])
        if isced is None:
            reasons.append(NOT_COUNTED_REASONS["isced"])
        result.append({"membership_id": membership_id, "participant_id": participant_id,
                       "name": f"{last} {first}", "entry_date": entry, "reasons": reasons})
    return result


AGE_BANDS = (("< 25", 0, 24), ("25–54", 25, 54), ("55–64", 55, 64), ("65+", 65, 200))


def counted_facts(project_id: int):
    """`counted_subquery`'s columns the breakdowns and the trend read, from the facts table:
    sex and age out of the profile, the county through left joins on primary keys (which the
    database leaves out of the queries that do not read it)."""
    unpacked = unpack(IndicatorFact.profile)
    return (
        select(IndicatorFact.membership_id.label("membership_id"),
               unpacked["sex"].label("sex"), unpacked["age"].label("age"),
               Participant.county.label("county"),
               IndicatorFact.enterprise_id.label("enterprise_id"),
               IndicatorFact.entry_date.label("entry_date"),
               IndicatorFact.exit_date.label("exit_date"))
        .outerjoin(Membership, Membership.id == IndicatorFact.membership_id)
        .outerjoin(Participant, Participant.id == Membership.participant_id)
        .where(IndicatorFact.project_id == project_id)
        .subquery("c")
    )


def breakdowns(db_session: Session, project: Project, start: date, end: date, *,
               counted=None) -> dict[str, list]:
    """TOTAL split by county, course category, SME size class, age band and sex (GROUP BY),
    of `counted` (default: the facts table's counted_facts; counted_subquery computes it live)."""
    c = counted if counted is not None else counted_facts(project.id)
    in_period = c.c.entry_date.between(start, end)

    def grouped(key, *joins):
        stmt = select(key.label("key"), func.count(func.distinct(c.c.membership_id))).select_from(c)
        for target, on in joins:
            stmt = stmt.join(target, on)
        return [(k if k is not None else "—", n) for k, n in db_session.execute(
            stmt.where(in_period).group_by(key).order_by(key))]

    band = case(*[(c.c.age.between(low, high), label) for label, low, high in AGE_BANDS])
    return {
        "county": grouped(c.c.county),
        "course_category": grouped(Course.category,
                                   (Enrollment, Enrollment.membership_id == c.c.membership_id),
                                   (Cohort, Cohort.id == Enrollment.cohort_id),
                                   (Course, Course.id == Cohort.course_id)),
        "size_class": grouped(Enterprise.size_class, (Enterprise, Enterprise.id == c.c.enterprise_id)),
        "age_band": grouped(band),
        "sex": grouped(c.c.sex),
    }


def monthly_entries(db_session: Session, project: Project, start: date, end: date, *,
                    counted=None) -> list[tuple]:
    """(YYYY-MM, counted participants entering that month) for the trend chart (`counted`: as
    for breakdowns)."""
    c = counted if counted is not None else counted_facts(project.id)
    month = func.substr(cast(c.c.entry_date, String), 1, 7)
    return [tuple(row) for row in db_session.execute(
        select(month, func.count()).where(c.c.entry_date.between(start, end))
        .group_by(month).order_by(month))]


# --- reporting periods and snapshots ---------------------------------------------------

def create_period(db_session: Session, project: Project, label: str, start: date,
                  end: date) -> ReportingPeriod:
    from trainhub.programme.services import overlaps

    problems = []
    if not label.strip():
        problems.append(_l("the period needs a label"))
    if end < start:
        problems.append(_l("the period ends before it starts"))
    if not (day_in_range(start) and day_in_range(end)):
        problems.append(DAY_OUT_OF_RANGE)
    if db_session.scalar(select(ReportingPeriod.id).where(
            ReportingPeriod.project_id == project.id, ReportingPeriod.label == label.strip())):
        problems.append(_l("the project already has a period %(label)s", label=repr(label.strip())))
    if end >= start and overlaps(db_session.execute(
            select(ReportingPeriod.start_date, ReportingPeriod.end_date)
            .where(ReportingPeriod.project_id == project.id)).all(), start, end):
        problems.append(_l("the period overlaps another period of the project"))
    if problems:
        raise Problems(problems)
    period = ReportingPeriod(project=project, label=label.strip(), start_date=start, end_date=end)
    db_session.add(period)
    db_session.flush()
    return period


class PeriodNotOver(Problems):
    """Locking a period that has not ended yet needs an explicit confirmation."""


def lock_period(db_session: Session, period: ReportingPeriod, *, user_id: int | None,
                note: str = "", today: date | None = None,
                confirmed: bool = False) -> IndicatorSnapshot:
    """Freeze the period's values and the people behind them as the next version.

    Version 1 locks the period; a later version is a correction and needs a note. A period
    that has not ended by `today` is locked only when `confirmed` (PeriodNotOver otherwise):
    people entering after the lock would be missing from it.
    """
    if period.end_date >= (today or date.today()) and not confirmed:
        raise PeriodNotOver([_l("The period runs until %(day)s: confirm to lock it before it "
                                "ends.", day=period.end_date.isoformat())])
    version = 1 + max((s.version for s in period.snapshots), default=0)
    if version > 1 and not note.strip():
        raise Problems([_l("a correction needs a note saying why")])
    project = period.project
    snapshot = IndicatorSnapshot(
        period=period, version=version, locked_by_id=user_id, note=note.strip(),
        values=compute_live(db_session, project, period.start_date, period.end_date),
        members=all_members(db_session, project, period.start_date, period.end_date))
    db_session.add(snapshot)
    db_session.flush()
    record(db_session, "indicators.lock" if version == 1 else "indicators.correct", snapshot,
           {"period": period.label, "version": version}, user_id=user_id)
    return snapshot


def snapshot_diff(old: IndicatorSnapshot, new: IndicatorSnapshot) -> list[dict]:
    """The cells that changed between two versions, with the people who moved in or out."""
    changes = []
    for indicator in INDICATORS:
        for key in ("total",) if indicator.total_only else ("men", "women"):
            before = old.values.get(indicator.code, {}).get(key)
            after = new.values.get(indicator.code, {}).get(key)
            old_ids = set(old.members.get(indicator.code, {}).get(key, []))
            new_ids = set(new.members.get(indicator.code, {}).get(key, []))
            if before != after or old_ids != new_ids:
                changes.append({"code": indicator.code, "cell": key, "before": before,
                                "after": after, "added": sorted(new_ids - old_ids),
                                "removed": sorted(old_ids - new_ids)})
    return changes
