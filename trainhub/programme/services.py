"""Programme-wide services: the dashboard figures, the call rule editor, calls and projects
set up in the UI (targets, reporting periods), project teams."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from trainhub.audit.services import record
from trainhub.auth.models import Role, User
from trainhub.auth.scoping import scoped, visible_condition
from trainhub.core.bounds import DAY_OUT_OF_RANGE, MAX_ID, day_in_range
from trainhub.core.errors import Problems
from trainhub.courses.models import Cohort, TrainingSession
from trainhub.documents.models import Document, DocumentStatus
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import (
    Call,
    Project,
    ProjectMember,
    ProjectTarget,
    ReportingPeriod,
    TeamRole,
)


def overview_for(user, today: date | None = None) -> dict:
    """Counts the user may see, each scoped to the user's rows; a fixed number of queries."""
    today = today or date.today()
    counts: dict = {}
    counts["enterprises"] = db.session.scalar(
        select(func.count(Enterprise.id)).where(visible_condition(Enterprise, user))
    )
    counts["participants"] = db.session.scalar(
        select(func.count(Participant.id)).where(visible_condition(Participant, user))
    )
    eligibility = db.session.execute(
        select(Membership.eligibility_status, func.count(Membership.id))
        .where(visible_condition(Membership, user))
        .group_by(Membership.eligibility_status)
    ).all()
    counts["eligibility"] = {status.value: 0 for status in Eligibility} | dict(eligibility)
    counts["cohorts"] = db.session.scalar(
        select(func.count(Cohort.id)).where(visible_condition(Cohort, user))
    )
    counts["upcoming_sessions"] = db.session.execute(
        select(TrainingSession, Cohort.code)
        .join(Cohort)
        .where(TrainingSession.date >= today, visible_condition(TrainingSession, user))
        .order_by(TrainingSession.date, TrainingSession.start_time)
        .limit(5)
    ).all()
    if user.role in (Role.ADMIN, Role.COORDINATOR, Role.SME):
        counts["pending_documents"] = db.session.scalar(
            select(func.count(Document.id)).where(
                Document.status == DocumentStatus.PENDING, visible_condition(Document, user)
            )
        )
    counts["projects"] = db.session.scalars(
        scoped(select(Project).order_by(Project.code), Project, user)).all()
    return counts


def _number(value: str, label, problems: list, low: float = 0) -> float | int | None:
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        problems.append(_l("%(field)s: %(value)s is not a number", field=label, value=repr(value)))
        return None
    if number < low:
        problems.append(_l("%(field)s: must be at least %(low)s", field=label, low=f"{low:g}"))
        return None
    return int(number) if number.is_integer() else number


def _codes(value: str) -> list[str]:
    return [part.strip() for part in str(value).replace(";", ",").split(",") if part.strip()]


def rules_from_form(rules: list[dict], form: dict) -> list[dict]:
    """The call's rules with the parameters and severities posted by the admin page.

    Every value is checked; Problems lists each bad one and nothing is changed.
    """
    from trainhub.core.geography import NUTS2_REGIONS
    from trainhub.enterprises.models import SizeClass
    from trainhub.participants.eligibility import COMPLETABLE_FIELDS, SEVERITIES
    from trainhub.participants.models import EmploymentStatus

    problems: list[str] = []
    updated = []
    for rule in rules:
        code, kind = rule["code"], rule.get("kind")
        params = dict(rule.get("params") or {})
        field = f"{code}-"
        severity = form.get(field + "severity", rule.get("severity"))
        if severity not in SEVERITIES:
            problems.append(_l("%(code)s: the severity must be blocking or warning", code=code))
        if kind == "age_between":
            low = _number(form.get(field + "min", params.get("min")),
                          _l("%(code)s: minimum age", code=code), problems)
            high = _number(form.get(field + "max", params.get("max")),
                           _l("%(code)s: maximum age", code=code), problems)
            if low is not None and high is not None:
                if high < low:
                    problems.append(_l("%(code)s: the maximum age is below the minimum", code=code))
                params.update(min=int(low), max=int(high))
        elif kind in ("employment_status_in", "employer_size_in", "employer_caen_not_in",
                      "field_complete", "employer_region_in"):
            values = _codes(form.get(field + "values", ",".join(
                params.get("fields" if kind == "field_complete" else "values", []))))
            allowed = {
                "employment_status_in": {s.value for s in EmploymentStatus},
                "employer_size_in": {SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM},
                "field_complete": set(COMPLETABLE_FIELDS),
                "employer_region_in": set(NUTS2_REGIONS),
            }.get(kind)
            bad = [v for v in values if (allowed is not None and v not in allowed)
                   or (kind == "employer_caen_not_in" and not (v.isdigit() and len(v) == 4))]
            if bad:
                problems.append(_l("%(code)s: not allowed: %(values)s", code=code,
                                   values=", ".join(bad)))
            if kind == "field_complete":
                params["fields"] = values
            elif kind == "employer_region_in":
                params["from_project"] = bool(form.get(field + "from_project"))
                params["values"] = values
                if not params["from_project"] and not values:
                    problems.append(_l("%(code)s: name the regions or take them from the project",
                                       code=code))
            else:
                if not values and kind != "employer_caen_not_in":
                    problems.append(_l("%(code)s: at least one value is needed", code=code))
                params["values"] = values
        elif kind == "de_minimis_ceiling":
            ceiling = _number(form.get(field + "ceiling_eur", params.get("ceiling_eur")),
                              _l("%(code)s: ceiling", code=code), problems, low=1)
            years = _number(form.get(field + "years", params.get("years", 3)),
                            _l("%(code)s: years", code=code), problems, low=1)
            if ceiling is not None and years is not None:
                params.update(ceiling_eur=ceiling, years=int(years))
        updated.append(rule | {"params": params, "severity": severity})
    if problems:
        raise Problems(problems)
    return updated


def project_for_import(db_session, code: str, call_code: str, *, create: bool) -> Project | None:
    """The project of that code; with `create`, a new one (and its call, seeded) when missing.

    A created project is only flushed: it is committed with the import, or not at all.
    """
    from trainhub.core.geography import NUTS2_REGIONS
    from trainhub.programme.presets import seed_call

    project = db_session.scalar(select(Project).where(Project.code == code))
    if project is not None or not create:
        return project
    call = db_session.scalar(select(Call).where(Call.code == call_code)) or seed_call(
        db_session, call_code)
    today = date.today()
    project = Project(call=call, code=code, title=code, start_date=today,
                      end_date=today.replace(year=today.year + 2),
                      # POCU's less developed regions: all but București-Ilfov
                      regions=[code for code in NUTS2_REGIONS if code != "RO32"])
    db_session.add(project)
    db_session.flush()
    return project


# --- calls and projects set up in the UI ------------------------------------------------------

#: the largest target a project may promise for one indicator
MAX_TARGET = 1_000_000
#: the most reporting periods a project may have
MAX_PERIODS = 200
#: how reporting periods are generated: calendar quarters, calendar semesters, or typed rows
PERIOD_SCHEMES = ("quarterly", "semester", "custom")


class FieldProblems(Problems):
    """A form's values were refused: `fields` maps each field name to its messages."""

    def __init__(self, fields: dict[str, list]):
        super().__init__([message for messages in fields.values() for message in messages])
        self.fields = fields


def create_call(db_session, *, code: str, name: str, preset: str,
                user_id: int | None) -> Call:
    """A new call with the chosen preset's rules and checklists; FieldProblems when the code is
    taken or the preset unknown. Flushed, not committed."""
    from trainhub.programme.presets import PRESETS, apply_preset

    code, name = (code or "").strip(), (name or "").strip()
    fields: dict[str, list] = {}
    if not code or len(code) > 40:
        fields["code"] = [_l("Give the call's code (at most 40 characters).")]
    elif db_session.scalar(select(Call.id).where(func.lower(Call.code) == code.lower())):
        fields["code"] = [_l("Another call already has the code %(code)s.", code=code)]
    if not name or len(name) > 300:
        fields["name"] = [_l("Give the call's name (at most 300 characters).")]
    if preset not in PRESETS:
        fields["preset"] = [_l("Choose one of the presets.")]
    if fields:
        raise FieldProblems(fields)
    call = Call(code=code, name=name)
    db_session.add(call)
    apply_preset(db_session, call, preset)
    db_session.flush()
    record(db_session, "call.create", call, {"code": code, "preset": preset}, user_id=user_id)
    return call


@dataclass(frozen=True)
class PlannedPeriod:
    """A reporting period to be: its label and first and last day."""

    label: str
    start_date: date
    end_date: date


def _calendar_blocks(start: date, end: date, months: int, prefix: str) -> list[PlannedPeriod]:
    """[start, end] cut at the calendar quarters (months=3) or semesters (months=6)."""
    blocks, cursor = [], start
    while cursor <= end:
        number = (cursor.month - 1) // months
        first_month_after = (number + 1) * months + 1
        block_after = (date(cursor.year + 1, 1, 1) if first_month_after > 12
                       else date(cursor.year, first_month_after, 1))
        last = min(block_after - timedelta(days=1), end)
        blocks.append(PlannedPeriod(f"{prefix}{number + 1} {cursor.year}", cursor, last))
        cursor = block_after
    return blocks


def _free_parts(period: PlannedPeriod, taken: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The parts of `period` that no (start, end) of `taken` covers."""
    parts = [(period.start_date, period.end_date)]
    for first, last in taken:
        next_parts = []
        for start, end in parts:
            if last < start or first > end:
                next_parts.append((start, end))
                continue
            if start < first:
                next_parts.append((start, first - timedelta(days=1)))
            if last < end:
                next_parts.append((last + timedelta(days=1), end))
        parts = next_parts
    return parts


def overlaps(spans, start: date, end: date) -> bool:
    """Whether [start, end] shares a day with any (first, last) of `spans`: the one test of the
    rule that a project's reporting periods never overlap."""
    return any(first <= end and start <= last for first, last in spans)


def plan_periods(start: date, end: date, scheme: str, *, locked: list | tuple = (),
                 custom: list[PlannedPeriod] | None = None) -> list[PlannedPeriod]:
    """The reporting periods of a project running from `start` to `end` (DESIGN §14).

    `quarterly` and `semester` cut the span at calendar quarters or semesters (a project that
    starts or ends inside one gets a shorter first or last period); `custom` takes the typed
    rows as they are. `locked` periods (objects with label, start_date, end_date) are never
    changed: generated periods leave out the days they cover (a label that would repeat one
    gets its dates added), custom rows may not overlap them. Periods never overlap.
    Problems lists every reason a plan is refused.
    """
    taken = sorted((period.start_date, period.end_date) for period in locked)
    labels = {period.label for period in locked}
    problems: list = []
    if end < start:
        raise Problems([_l("The project must end after it starts.")])
    if scheme in ("quarterly", "semester"):
        months, prefix = (3, "T") if scheme == "quarterly" else (6, "S")
        plan = []
        for block in _calendar_blocks(start, end, months, prefix):
            parts = _free_parts(block, taken)
            for first, last in parts:
                label = block.label
                if label in labels or len(parts) > 1:
                    label = f"{block.label} ({first.isoformat()} – {last.isoformat()})"
                labels.add(label)
                plan.append(PlannedPeriod(label, first, last))
    elif scheme == "custom":
        plan = sorted(custom or [], key=lambda period: period.start_date)
        for index, period in enumerate(plan):
            if not period.label.strip() or len(period.label.strip()) > 80:
                problems.append(_l("Each period needs a label of at most 80 characters."))
            elif period.label.strip() in labels:
                problems.append(_l("The label %(label)s is used twice.", label=period.label))
            labels.add(period.label.strip())
            if period.end_date < period.start_date:
                problems.append(_l("Period %(label)s ends before it starts.", label=period.label))
            if period.start_date < start or period.end_date > end:
                problems.append(_l("Period %(label)s is not within the project's dates.",
                                   label=period.label))
            others = taken + [(p.start_date, p.end_date) for p in plan[:index]]
            if overlaps(others, period.start_date, period.end_date):
                problems.append(_l("Period %(label)s overlaps another period.",
                                   label=period.label))
        plan = [PlannedPeriod(p.label.strip(), p.start_date, p.end_date) for p in plan]
    else:
        raise Problems([_l("Choose how the reporting periods are generated.")])
    if len(plan) + len(taken) > MAX_PERIODS:
        problems.append(_l("A project may have at most %(count)s reporting periods.",
                           count=MAX_PERIODS))
    if problems:
        raise Problems(problems)
    return plan


def parse_custom_periods(text_value: str) -> list[PlannedPeriod]:
    """Rows typed as `label; first day; last day` (YYYY-MM-DD or DD.MM.YYYY), one per line."""
    rows, problems = [], []
    for number, line in enumerate((text_value or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        days = [_day(part) for part in parts[1:]] if len(parts) == 3 else []
        if len(days) != 2 or None in days:
            problems.append(_l("Line %(number)s: write label; first day; last day "
                               "(e.g. P1; 2026-01-01; 2026-06-30).", number=number))
            continue
        rows.append(PlannedPeriod(parts[0], days[0], days[1]))
        if len(rows) > MAX_PERIODS:
            problems.append(_l("A project may have at most %(count)s reporting periods.",
                               count=MAX_PERIODS))
            break
    if problems:
        raise Problems(problems)
    return rows


def _day(value: str) -> date | None:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def set_periods(db_session, project: Project, plan: list[PlannedPeriod]) -> None:
    """Make the project's open periods those of `plan`: an open period the plan repeats exactly
    is kept (its id and links with it), the other open ones go; locked ones are never touched.
    """
    wanted = {(p.label, p.start_date, p.end_date) for p in plan}
    existing = set()
    for period in list(project.periods):
        key = (period.label, period.start_date, period.end_date)
        if period.locked:
            continue
        if key in wanted:
            existing.add(key)
        else:
            project.periods.remove(period)
            db_session.delete(period)
    db_session.flush()  # the deleted labels are free before the new rows take them
    for period in plan:
        if (period.label, period.start_date, period.end_date) not in existing:
            project.periods.append(ReportingPeriod(label=period.label, start_date=period.start_date,
                                                   end_date=period.end_date))


@dataclass
class ProjectData:
    """What the project form sets (DESIGN §14); `targets` maps an indicator code to its
    number, None for no target; `periods` is None to leave the periods as they are."""

    call_id: int | None
    code: str
    title: str
    start_date: date | None
    end_date: date | None
    regions: list[str]
    beneficiary: str = ""
    partners: list[str] = field(default_factory=list)
    completion_threshold: Decimal = Decimal("0.800")
    retention_years: int | None = None
    targets: dict[str, int | None] = field(default_factory=dict)
    periods: str | None = None
    custom_periods: list[PlannedPeriod] | None = None


def save_project(db_session, project: Project | None, data: ProjectData, *,
                 user_id: int | None) -> Project:
    """Create (project=None) or update a project with its targets and periods.

    Every value is checked first; FieldProblems names each bad one by its form field and
    nothing is written. Flushed and audited, not committed.
    """
    from trainhub.core.geography import NUTS2_REGIONS
    from trainhub.indicators.services import TARGET_CODES

    fields: dict[str, list] = {}
    code, title = (data.code or "").strip(), (data.title or "").strip()
    if not code or len(code) > 40:
        fields["code"] = [_l("Give the project's code (at most 40 characters).")]
    elif db_session.scalar(select(Project.id).where(
            func.lower(Project.code) == code.lower(),
            Project.id != (project.id if project is not None else -1))):
        fields["code"] = [_l("Another project already has the code %(code)s.", code=code)]
    if not title or len(title) > 400:
        fields["title"] = [_l("Give the project's title (at most 400 characters).")]
    if not 0 < (data.call_id or 0) <= MAX_ID or db_session.get(Call, data.call_id) is None:
        fields["call_id"] = [_l("Choose the call of the project.")]
    for name in ("start_date", "end_date"):
        day = getattr(data, name)
        if day is None:
            fields[name] = [_l("Give a date.")]
        elif not day_in_range(day):
            fields[name] = [DAY_OUT_OF_RANGE]
    if not fields.get("start_date") and not fields.get("end_date") and (
            data.end_date <= data.start_date):
        fields["end_date"] = [_l("The project must end after it starts.")]
    regions = list(dict.fromkeys(data.regions or []))
    if not regions or any(region not in NUTS2_REGIONS for region in regions):
        fields["regions"] = [_l("Choose at least one region.")]
    beneficiary = (data.beneficiary or "").strip()
    partners = [name.strip() for name in data.partners or [] if name.strip()]
    if len(beneficiary) > 300:
        fields["beneficiary"] = [_l("At most %(count)s characters.", count=300)]
    if len(partners) > 50 or any(len(name) > 300 for name in partners):
        fields["partners"] = [_l("At most 50 partners of at most 300 characters each.")]
    threshold = data.completion_threshold
    if threshold is None or not Decimal("0.01") <= threshold <= 1:
        fields["completion_threshold"] = [_l("Between 1 and 100 per cent.")]
    if data.retention_years is not None and not 1 <= data.retention_years <= 100:
        fields["retention_years"] = [_l("Between 1 and 100 years, or empty.")]
    targets = {code_: value for code_, value in (data.targets or {}).items() if value is not None}
    for code_, value in targets.items():
        if code_ not in TARGET_CODES:
            fields.setdefault("targets", []).append(_l("Unknown indicator %(code)s.", code=code_))
        elif not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
            fields[f"target_{code_}"] = [_l("A whole number from 0 to %(max)s.", max=MAX_TARGET)]
    plan = None
    if data.periods is not None and not fields.get("start_date") and not fields.get("end_date"):
        locked = [period for period in (project.periods if project is not None else [])
                  if period.locked]
        try:
            plan = plan_periods(data.start_date, data.end_date, data.periods, locked=locked,
                                custom=data.custom_periods)
        except Problems as problems:
            fields.setdefault("periods", []).extend(problems.problems)
    if fields:
        raise FieldProblems(fields)
    created = project is None
    if created:
        project = Project()
        db_session.add(project)
    project.call_id, project.code, project.title = data.call_id, code, title
    project.beneficiary, project.partners = beneficiary, partners
    project.start_date, project.end_date, project.regions = data.start_date, data.end_date, regions
    project.completion_threshold = threshold.quantize(Decimal("0.001"))
    project.retention_years = data.retention_years
    current = {target.indicator_code: target for target in project.targets}
    for code_, target in current.items():
        if code_ not in targets:
            project.targets.remove(target)
    for code_, value in targets.items():
        if code_ in current:
            current[code_].value = value
        else:
            project.targets.append(ProjectTarget(indicator_code=code_, value=value))
    db_session.flush()
    if plan is not None:
        set_periods(db_session, project, plan)
        db_session.flush()
    creator = db_session.get(User, user_id) if created and user_id else None
    if creator is not None and creator.role == Role.COORDINATOR:
        add_team_member(db_session, project, creator, user_id=user_id)
    record(db_session, "project.create" if created else "project.update", project,
           {"code": code, "targets": targets, "periods": data.periods}, user_id=user_id)
    return project


# --- project teams ---------------------------------------------------------------------------

def may_manage_team(user, project: Project) -> bool:
    """Admins and the project's own coordinators add and remove its team members."""
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.COORDINATOR and db.session.scalar(
        select(ProjectMember.id).where(ProjectMember.project_id == project.id,
                                       ProjectMember.user_id == user.id)) is not None


def team_candidates(db_session, project: Project) -> list[User]:
    """Active coordinators and trainers not yet on the project's team."""
    return list(db_session.scalars(
        select(User).where(User.role.in_([role.value for role in TeamRole]), User.active,
                           User.id.not_in(select(ProjectMember.user_id)
                                          .where(ProjectMember.project_id == project.id)))
        .order_by(User.full_name, User.email)))


def add_team_member(db_session, project: Project, user: User | None, *,
                    user_id: int | None) -> ProjectMember:
    """Put a coordinator or trainer on the project's team (idempotent); flushed and audited.

    Problems when `user` is missing, inactive or neither a coordinator nor a trainer.
    """
    if user is None or not user.active or user.role not in {role.value for role in TeamRole}:
        raise Problems([_l("Only an active coordinator or trainer can join a project's team.")])
    member = db_session.scalar(select(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.user_id == user.id))
    if member is not None:
        return member
    member = ProjectMember(project=project, user=user, role=user.role)
    db_session.add(member)
    db_session.flush()
    record(db_session, "project.team_add", project, {"user_id": user.id, "role": user.role},
           user_id=user_id)
    return member


def remove_team_member(db_session, project: Project, member_id: int, *,
                       user_id: int | None) -> ProjectMember:
    """Take a member off the project's team; flushed and audited.

    Problems when the member is not on this project's team.
    """
    member = db_session.scalar(select(ProjectMember).where(
        ProjectMember.id == member_id, ProjectMember.project_id == project.id)) \
        if 0 < member_id <= MAX_ID else None
    if member is None:
        raise Problems([_l("That person is not on the project's team.")])
    details = {"user_id": member.user_id, "role": member.role}
    db_session.delete(member)
    db_session.flush()
    record(db_session, "project.team_remove", project, details, user_id=user_id)
    return member
