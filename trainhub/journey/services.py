"""The digital journey's rules: maturity scores, recommendations, voucher charges and refunds,
exit situations and six-month follow-ups (DESIGN §17). No request, no current user."""
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainhub.audit.services import record
from trainhub.core.errors import Problems
from trainhub.core.models import utcnow
from trainhub.courses.models import Cohort, Course, Enrollment, TrainingSession
from trainhub.enterprises.models import Enterprise
from trainhub.journey.models import (
    MAX_POINTS,
    Answer,
    Assessment,
    AssessmentKind,
    Dimension,
    ExitSituation,
    FollowUp,
    Question,
    Questionnaire,
    Voucher,
    VoucherCharge,
)
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Project

DIMENSION_LABELS = {
    Dimension.STRATEGY: _l("Digital business strategy"),
    Dimension.READINESS: _l("Digital readiness"),
    Dimension.HUMAN: _l("Human-centric digitalisation"),
    Dimension.DATA: _l("Data management"),
    Dimension.AUTOMATION: _l("Automation and artificial intelligence"),
    Dimension.GREEN: _l("Green digitalisation"),
}
CENT = Decimal("0.01")


# --- maturity -----------------------------------------------------------------------------

def latest_questionnaire(db_session: Session) -> Questionnaire:
    """The version offered to new assessments (the highest)."""
    return db_session.scalar(select(Questionnaire).order_by(Questionnaire.version.desc()).limit(1))


def allowed_points(question: Question) -> list[int]:
    """The points an answer to `question` may give: its choices' or the 0–5 scale."""
    if question.choices:
        return [choice["points"] for choice in question.choices]
    return list(range(MAX_POINTS + 1))


def dimension_scores(questions: list[Question], points: dict[int, int]) -> dict[str, int]:
    """Score 0–100 per dimension: the points given over the most that could be given."""
    given: dict[str, int] = defaultdict(int)
    most: dict[str, int] = defaultdict(int)
    for question in questions:
        given[question.dimension] += points[question.id]
        most[question.dimension] += max(allowed_points(question))
    return {dimension.value: round(100 * given[dimension] / most[dimension])
            for dimension in Dimension if most[dimension]}


def save_assessment(db_session: Session, project: Project, enterprise: Enterprise, kind: str,
                    answers: dict[str, object], today: date, *, user_id: int | None) -> Assessment:
    """Record the enterprise's entry or exit self-assessment from `answers` (question code ->
    points as typed), on the latest questionnaire; taking it again replaces the earlier one.

    Problems (nothing written) when the kind is unknown, an answer is missing or off the scale.
    """
    if kind not in {k.value for k in AssessmentKind}:
        raise Problems([_l("Unknown assessment kind.")])
    questionnaire = latest_questionnaire(db_session)
    points, problems = {}, []
    for question in questionnaire.questions:
        raw = answers.get(question.code)
        try:
            value = int(str(raw).strip()) if raw is not None and str(raw).strip() else None
        except ValueError:
            value = -1
        if value is None:
            problems.append(_l("Question %(code)s has no answer.", code=question.code))
        elif value not in allowed_points(question):
            problems.append(_l("The answer to question %(code)s is not one of the choices.",
                               code=question.code))
        else:
            points[question.id] = value
    if problems:
        raise Problems(problems)
    assessment = db_session.scalar(select(Assessment).where(
        Assessment.project_id == project.id, Assessment.enterprise_id == enterprise.id,
        Assessment.kind == kind))
    if assessment is None:
        assessment = Assessment(project=project, enterprise=enterprise, kind=kind)
        db_session.add(assessment)
    else:  # the earlier answers go first: the new ones take their (assessment, question) keys
        assessment.answers.clear()
        db_session.flush()
    assessment.answers = [Answer(question_id=qid, points=value) for qid, value in points.items()]
    assessment.questionnaire = questionnaire
    assessment.taken_on, assessment.filled_by_id = today, user_id
    assessment.scores = dimension_scores(questionnaire.questions, points)
    db_session.commit()
    return assessment


def assessments_of(db_session: Session, project_id: int,
                   enterprise_ids: list[int]) -> dict[int, dict[str, Assessment]]:
    """enterprise id -> kind -> assessment, in one query."""
    found: dict[int, dict[str, Assessment]] = defaultdict(dict)
    for assessment in db_session.scalars(select(Assessment).where(
            Assessment.project_id == project_id, Assessment.enterprise_id.in_(enterprise_ids))):
        found[assessment.enterprise_id][assessment.kind] = assessment
    return found


def score_change(entry: Assessment | None, exit_: Assessment | None) -> dict[str, int] | None:
    """Exit − entry per dimension, when both were taken."""
    if entry is None or exit_ is None:
        return None
    return {d.value: exit_.scores.get(d.value, 0) - entry.scores.get(d.value, 0)
            for d in Dimension}


@dataclass
class MaturityRow:
    enterprise: Enterprise
    entry: Assessment | None
    exit: Assessment | None

    @property
    def change(self) -> dict[str, int] | None:
        return score_change(self.entry, self.exit)


def enterprise_projects(enterprise: Enterprise):
    """The projects the enterprise takes part in (a select of Project)."""
    return select(Project).where(
        Project.id.in_(select(Membership.project_id).join(Participant)
                       .where(Participant.enterprise_id == enterprise.id))
        | Project.id.in_(select(Voucher.project_id).where(Voucher.enterprise_id == enterprise.id))
        | Project.id.in_(select(Assessment.project_id)
                         .where(Assessment.enterprise_id == enterprise.id))
    ).order_by(Project.code)


def project_enterprises(db_session: Session, project: Project):
    """The enterprises of the project: employers of its members, or with a voucher or an
    assessment in it (a select of Enterprise)."""
    return select(Enterprise).where(
        Enterprise.id.in_(select(Participant.enterprise_id).join(Membership)
                          .where(Membership.project_id == project.id))
        | Enterprise.id.in_(select(Voucher.enterprise_id).where(Voucher.project_id == project.id))
        | Enterprise.id.in_(select(Assessment.enterprise_id)
                            .where(Assessment.project_id == project.id))
    ).order_by(Enterprise.name)


def maturity_rows(db_session: Session, project: Project, enterprises: list[Enterprise]
                  ) -> list[MaturityRow]:
    found = assessments_of(db_session, project.id, [e.id for e in enterprises])
    return [MaturityRow(e, found[e.id].get("entry"), found[e.id].get("exit")) for e in enterprises]


def project_change(rows: list[MaturityRow]) -> dict:
    """The project's figures: per dimension the summed and the average exit − entry change
    over the enterprises assessed both times, and how many they are."""
    changes = [row.change for row in rows if row.change is not None]
    total = {d.value: sum(change[d.value] for change in changes) for d in Dimension}
    average = {d.value: (round(total[d.value] / len(changes), 1) if changes else None)
               for d in Dimension}
    return {"count": len(changes), "total": total, "average": average}


def maturity_report(db_session: Session, project: Project) -> list[tuple]:
    """(cui, dimension, entry score, exit score) per enterprise and dimension (CLI, API)."""
    enterprises = db_session.scalars(project_enterprises(db_session, project)).all()
    rows = []
    for row in maturity_rows(db_session, project, enterprises):
        if row.entry is None and row.exit is None:
            continue
        for dimension in Dimension:
            rows.append((row.enterprise.cui, dimension.value,
                         row.entry.scores.get(dimension.value) if row.entry else None,
                         row.exit.scores.get(dimension.value) if row.exit else None))
    return rows


def _label_lines(label: str, longest: int = 18) -> list[str]:
    """A radar label on one line, or on two split at the space nearest the middle."""
    if len(label) <= longest or " " not in label:
        return [label]
    spaces = [i for i, char in enumerate(label) if char == " "]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return [label[:cut], label[cut + 1:]]


def radar_svg(series: list[tuple[dict[str, int], str]], labels: dict, width: int = 520,
              height: int = 340) -> Markup:
    """A radar chart of scores 0–100 on the six dimensions as inline SVG (no script, no style
    attribute: CSP-safe); `series` is (scores, colour) drawn in order."""
    cx, cy, radius = width / 2, height / 2, min(width, height) / 2 - 60
    dimensions = list(Dimension)

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / len(dimensions)
        return (round(cx + radius * value / 100 * math.cos(angle), 1),
                round(cy + radius * value / 100 * math.sin(angle), 1))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" class="radar">']
    for ring in (25, 50, 75, 100):
        ring_points = " ".join(f"{x},{y}" for x, y in (point(i, ring) for i in range(6)))
        parts.append(f'<polygon points="{ring_points}" fill="none" stroke="#ccc"/>')
    for i, dimension in enumerate(dimensions):
        x, y = point(i, 100)
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x}" y2="{y}" stroke="#ccc"/>')
        lx, ly = point(i, 112)
        anchor = "middle" if abs(lx - cx) < 5 else ("start" if lx > cx else "end")
        lines = _label_lines(str(labels[dimension]))
        top = ly - (len(lines) - 1) * 6 if abs(ly - cy) < radius * 0.9 else (
            ly - (len(lines) - 1) * 12 if ly < cy else ly + 8)
        tspans = "".join(f'<tspan x="{lx}" y="{round(top + n * 12, 1)}">{escape(line)}</tspan>'
                         for n, line in enumerate(lines))
        parts.append(f'<text font-size="11" text-anchor="{anchor}">{tspans}</text>')
    for scores, colour in series:
        shape = " ".join(f"{x},{y}" for x, y in (
            point(i, scores.get(d.value, 0)) for i, d in enumerate(dimensions)))
        parts.append(f'<polygon points="{shape}" fill="{colour}" fill-opacity="0.25" '
                     f'stroke="{colour}" stroke-width="2"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def weakest_dimensions(scores: dict[str, int], weakest: int = 2) -> list[str]:
    """The `weakest` dimensions: the lowest scores (ties in a fixed order)."""
    return sorted(scores, key=lambda d: (scores[d], d))[:weakest]


def recommended_courses(db_session: Session, scores: dict[str, int], weakest: int = 2
                        ) -> tuple[list[str], list[Course]]:
    """The `weakest` dimensions and the catalogue's courses tagged with them."""
    if not scores:
        return [], []
    dimensions = weakest_dimensions(scores, weakest)
    courses = [course for course in db_session.scalars(
        select(Course).order_by(Course.category, Course.title))
        if set(course.dimensions or []) & set(dimensions)]
    return dimensions, courses


# --- vouchers -----------------------------------------------------------------------------

class VoucherOverBudget(Problems):
    """An enrollment would spend more than the voucher's balance."""


def grant_voucher(db_session: Session, project: Project, enterprise: Enterprise,
                  budget_eur: Decimal, expires_on: date, *, user_id: int | None) -> Voucher:
    """Grant (or change) the enterprise's voucher in the project; audited. Problems when the
    budget is negative or below what is already spent."""
    voucher = db_session.scalar(select(Voucher).where(Voucher.project_id == project.id,
                                                      Voucher.enterprise_id == enterprise.id))
    spent = spent_eur(db_session, voucher) if voucher else Decimal(0)
    if budget_eur is None or budget_eur < 0:
        raise Problems([_l("The budget must be zero or more.")])
    if budget_eur < spent:
        raise Problems([_l("The budget cannot be less than what is already spent (%(spent)s EUR).",
                           spent=f"{spent:.2f}")])
    before = None
    if voucher is None:
        voucher = Voucher(project=project, enterprise=enterprise)
        db_session.add(voucher)
    else:
        before = {"budget_eur": str(voucher.budget_eur), "expires_on": voucher.expires_on.isoformat()}
    voucher.budget_eur = Decimal(budget_eur).quantize(CENT)
    voucher.expires_on, voucher.granted_by_id = expires_on, user_id
    db_session.flush()
    record(db_session, "voucher.grant", voucher,
           {"before": before, "budget_eur": str(voucher.budget_eur),
            "expires_on": expires_on.isoformat()}, user_id=user_id)
    db_session.commit()
    return voucher


def spent_eur(db_session: Session, voucher: Voucher) -> Decimal:
    """What the voucher's enrollments took, less what was given back."""
    return db_session.scalar(select(func.coalesce(func.sum(VoucherCharge.amount_eur), 0)).where(
        VoucherCharge.voucher_id == voucher.id, VoucherCharge.refunded_on.is_(None))) or Decimal(0)


def spent_by_voucher(db_session: Session, voucher_ids: list[int]) -> dict[int, Decimal]:
    """voucher id -> spent EUR, in one query."""
    rows = db_session.execute(
        select(VoucherCharge.voucher_id, func.sum(VoucherCharge.amount_eur))
        .where(VoucherCharge.voucher_id.in_(voucher_ids), VoucherCharge.refunded_on.is_(None))
        .group_by(VoucherCharge.voucher_id))
    return {voucher_id: Decimal(total) for voucher_id, total in rows}


def cohort_planned_hours(db_session: Session, cohort: Cohort) -> Decimal:
    """The hours of the cohort's sessions, or the course's planned hours before any is set."""
    hours = db_session.scalar(select(func.sum(TrainingSession.hours))
                              .where(TrainingSession.cohort_id == cohort.id))
    return Decimal(hours) if hours else Decimal(cohort.course.planned_hours)


def cohort_value(db_session: Session, cohort: Cohort) -> Decimal:
    """What one enrollment in the cohort is worth: cost per participant-hour × planned hours."""
    return (Decimal(cohort.course.cost_per_hour_eur or 0)
            * cohort_planned_hours(db_session, cohort)).quantize(CENT)


def charge_voucher(db_session: Session, cohort: Cohort, membership: Membership,
                   enrollment: Enrollment | None, on: date, *, override_reason: str = "",
                   user_id: int | None = None) -> VoucherCharge | None:
    """The charge an enrollment of `membership` in `cohort` on day `on` takes from the
    employer's voucher in the cohort's project — the one rule every enrollment path calls.

    None when nothing is charged: no employer, no voucher, an expired one, or the enrollment
    already holds a charge. Over the balance: VoucherOverBudget naming the balance, unless
    `override_reason` (audited). The voucher row is locked (SELECT … FOR UPDATE), so two
    enrollments at once never both spend the last of it. The caller links the returned
    (not yet added) charge to the enrollment and adds it.
    """
    enterprise_id = membership.participant.enterprise_id
    if enterprise_id is None:
        return None
    voucher = db_session.scalar(select(Voucher).where(
        Voucher.project_id == cohort.project_id, Voucher.enterprise_id == enterprise_id)
        .with_for_update())
    if voucher is None or voucher.expires_on < on:
        return None
    charge = None
    if enrollment is not None and enrollment.id is not None:
        charge = db_session.scalar(select(VoucherCharge)
                                   .where(VoucherCharge.enrollment_id == enrollment.id))
        if charge is not None and charge.refunded_on is None:
            return None
    value = cohort_value(db_session, cohort)
    balance = Decimal(voucher.budget_eur) - spent_eur(db_session, voucher)
    reason = " ".join((override_reason or "").split())[:500]
    if value > balance:
        if not reason:
            raise VoucherOverBudget([_l(
                "The course is worth %(value)s EUR but the voucher's balance is %(balance)s EUR.",
                value=f"{value:.2f}", balance=f"{balance:.2f}")])
        record(db_session, "voucher.override", voucher,
               {"reason": reason, "value_eur": str(value), "balance_eur": str(balance),
                "cohort": cohort.code, "membership_id": membership.id}, user_id=user_id)
    if charge is None:
        charge = VoucherCharge(voucher=voucher)
    charge.amount_eur, charge.refunded_on = value, None
    charge.override_reason = reason if value > balance else ""
    return charge


def refund_voucher(db_session: Session, enrollment: Enrollment, on: date) -> None:
    """Give the enrollment's charge back when it is withdrawn (on day `on`) before its cohort
    starts; after the start the value stays spent."""
    start = enrollment.cohort.start_date
    if start is not None and on >= start:
        return
    charge = db_session.scalar(select(VoucherCharge).where(
        VoucherCharge.enrollment_id == enrollment.id, VoucherCharge.refunded_on.is_(None)))
    if charge is not None:
        charge.refunded_on = on


@dataclass
class VoucherLine:
    voucher: Voucher
    spent: Decimal

    @property
    def balance(self) -> Decimal:
        return Decimal(self.voucher.budget_eur) - self.spent

    def expired(self, today: date) -> bool:
        return self.voucher.expires_on < today


def voucher_lines(db_session: Session, stmt) -> list[VoucherLine]:
    """The vouchers of `stmt` with what each has spent (two queries)."""
    vouchers = db_session.scalars(stmt).all()
    spent = spent_by_voucher(db_session, [v.id for v in vouchers])
    return [VoucherLine(v, spent.get(v.id, Decimal(0))) for v in vouchers]


def project_vouchers(project: Project):
    from sqlalchemy.orm import joinedload

    return (select(Voucher).join(Enterprise).where(Voucher.project_id == project.id)
            .options(joinedload(Voucher.enterprise)).order_by(Enterprise.name))


def voucher_report(db_session: Session, project: Project) -> list[tuple]:
    """(cui, name, budget, spent, balance) per voucher of the project (CLI, API)."""
    return [(line.voucher.enterprise.cui, line.voucher.enterprise.name,
             Decimal(line.voucher.budget_eur), line.spent, line.balance)
            for line in voucher_lines(db_session, project_vouchers(project))]


def training_aid(db_session: Session, enterprise: Enterprise) -> list[tuple[str, Decimal]]:
    """The de minimis aid the enterprise receives as training: (project code, EUR spent of its
    voucher) per project."""
    rows = db_session.execute(
        select(Project.code, func.sum(VoucherCharge.amount_eur))
        .select_from(VoucherCharge).join(Voucher).join(Project)
        .where(Voucher.enterprise_id == enterprise.id, VoucherCharge.refunded_on.is_(None))
        .group_by(Project.code).order_by(Project.code))
    return [(code, Decimal(total)) for code, total in rows]


# --- exit and follow-up -------------------------------------------------------------------

FOLLOW_UP_AFTER = timedelta(days=182)
_FOLLOW_UP_SALT = "follow-up"


def record_exit_situation(db_session: Session, membership: Membership, *,
                          qualification_obtained: bool, employed: bool, better_job: bool,
                          user_id: int | None) -> ExitSituation:
    """The person's situation at exit (audited); Problems before the person has exited."""
    if membership.exit_date is None:
        raise Problems([_l("The person has not exited the project yet.")])
    situation = db_session.scalar(select(ExitSituation)
                                  .where(ExitSituation.membership_id == membership.id))
    if situation is None:
        situation = ExitSituation(membership=membership)
        db_session.add(situation)
    situation.qualification_obtained, situation.employed = qualification_obtained, employed
    situation.better_job, situation.recorded_by_id = better_job, user_id
    db_session.flush()
    record(db_session, "membership.exit_situation", membership,
           {"qualification_obtained": qualification_obtained, "employed": employed,
            "better_job": better_job}, user_id=user_id)
    db_session.commit()
    return situation


def follow_up_token(secret_key: str, follow_up: FollowUp) -> str:
    """The signed link token of a follow-up (its own salt: no other token opens it)."""
    return URLSafeSerializer(secret_key, salt=_FOLLOW_UP_SALT).dumps(follow_up.id)


def follow_up_for_token(db_session: Session, secret_key: str, token: str) -> FollowUp | None:
    """The follow-up the token was signed for, or None when tampered with or unknown."""
    try:
        follow_up_id = URLSafeSerializer(secret_key, salt=_FOLLOW_UP_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(follow_up_id, int):
        return None
    return db_session.get(FollowUp, follow_up_id)


def answer_follow_up(db_session: Session, follow_up: FollowUp, *, employed: bool,
                     better_job: bool, qualification_used: bool) -> None:
    """Record the answers once; Problems when the link was already used. The row is locked
    so two submissions at once cannot both answer."""
    db_session.execute(select(FollowUp.id).where(FollowUp.id == follow_up.id).with_for_update())
    db_session.refresh(follow_up)
    if follow_up.answered_at is not None:
        raise Problems([_l("This questionnaire has already been answered.")])
    follow_up.employed, follow_up.better_job = employed, better_job
    follow_up.qualification_used, follow_up.answered_at = qualification_used, utcnow()
    db_session.commit()


def due_follow_ups(db_session: Session, today: date) -> list[Membership]:
    """Members who exited at least six months ago, have an e-mail and no follow-up yet."""
    return db_session.scalars(
        select(Membership).join(Membership.participant)
        .where(Membership.exit_date.is_not(None),
               Membership.exit_date <= today - FOLLOW_UP_AFTER,
               Participant.email != "",
               Membership.id.not_in(select(FollowUp.membership_id)))
        .order_by(Membership.id)).all()


def send_follow_ups(db_session: Session, config, today: date, link_for) -> int:
    """E-mail each due person their follow-up link (`link_for(token)` makes the URL); returns
    how many were sent. A message the server refuses is tried again on the next run."""
    from flask_babel import force_locale, gettext

    from trainhub.mail import Mailer, MailError

    sent = 0
    with Mailer.from_config(config) as mailer:
        for membership in due_follow_ups(db_session, today):
            follow_up = FollowUp(membership=membership)
            db_session.add(follow_up)
            db_session.flush()
            link = link_for(follow_up_token(config["SECRET_KEY"], follow_up))
            with force_locale("ro"):
                subject = gettext("Six months after your training: a short questionnaire")
                body = gettext("Hello %(name)s,\n\nSix months ago you finished a training "
                               "of project %(project)s. Please answer three questions: "
                               "%(link)s\n\nThe link works once.",
                               name=membership.participant.first_name,
                               project=membership.project.code, link=link)
            try:
                mailer.send(membership.participant.email, subject, body)
            except MailError:
                db_session.rollback()
                continue
            follow_up.sent_at = utcnow()
            db_session.commit()
            sent += 1
    return sent


def long_term_results(db_session: Session, project: Project) -> dict:
    """The follow-up answers of the project by sex: sent, answered, response rate, and how
    many are employed, in a better job, using their qualification."""
    rows = db_session.execute(
        select(Participant.sex, FollowUp.answered_at, FollowUp.employed, FollowUp.better_job,
               FollowUp.qualification_used)
        .select_from(FollowUp).join(Membership).join(Participant)
        .where(Membership.project_id == project.id, FollowUp.sent_at.is_not(None))).all()
    table = {sex: {"sent": 0, "answered": 0, "employed": 0, "better_job": 0,
                   "qualification_used": 0} for sex in ("M", "F", "total")}
    for sex, answered_at, employed, better_job, used in rows:
        for key in (sex, "total"):
            cell = table.setdefault(key, dict.fromkeys(table["total"], 0))
            cell["sent"] += 1
            if answered_at is not None:
                cell["answered"] += 1
                cell["employed"] += bool(employed)
                cell["better_job"] += bool(better_job)
                cell["qualification_used"] += bool(used)
    for cell in table.values():
        cell["rate"] = round(100 * cell["answered"] / cell["sent"]) if cell["sent"] else None
    return table
