"""Programme-wide services: the dashboard figures of each role and the call rule editor."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from trainhub.auth.models import Role
from trainhub.auth.scoping import visible_condition
from trainhub.core.errors import Problems
from trainhub.courses.models import Cohort, TrainingSession
from trainhub.documents.models import Document, DocumentStatus
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Eligibility, Membership, Participant
from trainhub.programme.models import Project


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
    counts["projects"] = db.session.scalars(select(Project).order_by(Project.code)).all()
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
    from trainhub.demo import seed_call
    from trainhub.programme.models import Call

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
