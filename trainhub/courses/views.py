"""Course catalogue and cohort pages: catalogue, course and cohort forms, cohort sessions."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainhub.auth.models import Role, User
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.bounds import an_id, day_in_range, ids_in
from trainhub.core.identifiers import cnp_tail
from trainhub.core.labels import CATEGORY_LABELS, MODALITY_LABELS
from trainhub.core.pagination import paginate, paginate_list
from trainhub.courses.forms import CohortEditForm, CohortForm, CourseForm, SessionForm
from trainhub.courses.models import (
    Cohort,
    Course,
    Enrollment,
    TrainingSession,
)
from trainhub.courses.services import (
    CohortClosed,
    CourseError,
    EnrollmentRefused,
    candidate_employers,
    catalogue,
    change_enrollment_date,
    cohort_counts,
    cohort_state,
    cohort_trainers,
    cohort_write_problem,
    create_cohort,
    delete_session,
    enroll,
    enroll_many,
    enrollment_candidates,
    enrollment_gates,
    plan_sessions,
    save_course,
    save_session,
    trainer_overlaps,
    update_cohort,
    with_documents,
    withdraw,
)
from trainhub.documents.services import missing_documents_for
from trainhub.extensions import db
from trainhub.participants.models import Eligibility, Membership
from trainhub.programme.models import Project

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.context_processor
def _labels() -> dict:
    return {"category_labels": CATEGORY_LABELS, "modality_labels": MODALITY_LABELS,
            "cohort_state": cohort_state, "today": date.today(), "cnp_tail": cnp_tail}


@bp.route("/")
@permission_required("courses.read")
def catalogue_page():
    category = request.args.get("category") or None
    if category not in CATEGORY_LABELS:
        category = None
    page = paginate(catalogue(category))
    return render_template("courses/catalogue.html", page=page, category=category,
                           cohorts=cohort_counts(db.session, page.items))


@bp.route("/<int:course_id>")
@permission_required("courses.read")
def detail(course_id: int):
    return render_template("courses/detail.html", course=db.get_or_404(Course, course_id))


def _save(course: Course | None):
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        try:
            course = save_course(db.session, course, **{
                name: form[name].data or "" for name in ("code", "category", "title",
                                                         "modality", "description", "competences")
            }, planned_hours=form.planned_hours.data,
                cost_per_hour_eur=form.cost_per_hour_eur.data, dimensions=form.dimensions.data)
        except CourseError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(_("Course %(code)s saved.", code=course.code), "success")
            return redirect(url_for("courses.detail", course_id=course.id))
    return render_template("courses/form.html", form=form, course=course)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("courses.write")
def create():
    return _save(None)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@permission_required("courses.write")
def edit(course_id: int):
    return _save(db.get_or_404(Course, course_id))


@bp.route("/cohorts")
@permission_required("courses.read")
def cohorts():
    stmt = scoped(
        select(Cohort).options(joinedload(Cohort.course), joinedload(Cohort.trainer))
        .order_by(Cohort.start_date.desc(), Cohort.code),
        Cohort, current_user,
    )
    return render_template("courses/cohorts.html", page=paginate(stmt))


@bp.route("/cohorts/<int:cohort_id>")
@permission_required("courses.read")
def cohort(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    enrollments = db.session.scalars(scoped(
        select(Enrollment).options(joinedload(Enrollment.membership).joinedload(Membership.participant),
                                   joinedload(Enrollment.certificate))
        .where(Enrollment.cohort_id == cohort.id).order_by(Enrollment.status, Enrollment.id),
        Enrollment, current_user)).all()
    picker = _enroll_picker(cohort) if can(current_user, "courses.write") else None
    return render_template("courses/cohort.html", cohort=cohort, enrollments=enrollments,
                           picker=picker)


def _enroll_picker(cohort: Cohort) -> dict:
    """The enroll picker of the cohort page: the page of candidates the query arguments name
    (search, company, eligibility, documents complete), with what keeps each one out."""
    filters = {"q": " ".join(request.args.get("q", "").split()),
               "enterprise": request.args.get("enterprise", type=an_id),
               "eligibility": request.args.get("eligibility") or None,
               "documents": request.args.get("documents") or None}
    if filters["eligibility"] not in set(Eligibility):
        filters["eligibility"] = None
    if filters["documents"] not in ("yes", "no"):
        filters["documents"] = None
    stmt = enrollment_candidates(cohort, current_user, search=filters["q"],
                                 enterprise_id=filters["enterprise"],
                                 eligibility=filters["eligibility"])
    if filters["documents"]:
        page = paginate_list(with_documents(db.session, db.session.scalars(stmt).all(),
                                            complete=filters["documents"] == "yes"))
    else:
        page = paginate(stmt)
    blocked = enrollment_gates(db.session, cohort, page.items, override_documents=True)
    missing = missing_documents_for(db.session, page.items)
    return {"page": page, "filters": filters, "blocked": blocked, "missing": missing,
            "employers": candidate_employers(db.session, cohort),
            "filtered": any(filters.values())}


@bp.route("/cohorts/new", methods=["GET", "POST"])
@permission_required("courses.write")
def cohort_new():
    form = CohortForm()
    form.project_id.choices = [(p.id, f"{p.code} · {p.title}") for p in db.session.scalars(
        scoped(select(Project).order_by(Project.code), Project, current_user))]
    form.course_id.choices = [(c.id, f"{c.code} · {c.title}") for c in
                              db.session.scalars(select(Course).order_by(Course.code))]
    form.trainer_id.choices = [(0, "—")] + [
        (u.id, u.full_name or u.email) for u in db.session.scalars(
            select(User).where(User.role == Role.TRAINER, User.active).order_by(User.email))
    ]
    if form.validate_on_submit():
        course = db.session.get(Course, form.course_id.data)
        trainer = db.session.get(User, form.trainer_id.data) if form.trainer_id.data else None
        try:
            slots = plan_sessions(form.first_day.data, set(form.weekdays.data),
                                  form.start_time.data, form.end_time.data, course.planned_hours)
            overlaps = trainer_overlaps(db.session, trainer, slots)
            cohort = create_cohort(
                db.session, project=get_visible_or_404(Project, form.project_id.data,
                                                       current_user),
                course=course, code=form.code.data, capacity=form.capacity.data,
                location=form.location.data or "", trainer=trainer, slots=slots)
        except CourseError as error:
            form[error.field].errors.append(str(error))
        else:
            flash(ngettext("Cohort %(code)s created with %(num)s session.",
                           "Cohort %(code)s created with %(num)s sessions.", len(slots),
                           code=cohort.code), "success")
            _overlap_warnings(overlaps)
            return redirect(url_for("courses.cohort", cohort_id=cohort.id))
    return render_template("courses/cohort_form.html", form=form)


def _closed_refusal(cohort: Cohort):
    """A redirect to the cohort page saying why a closed cohort cannot change, or None."""
    problem = cohort_write_problem(cohort)
    if problem is None:
        return None
    flash(str(problem), "danger")
    return redirect(url_for("courses.cohort", cohort_id=cohort.id))


def _overlap_warnings(overlaps) -> None:
    for day, other_code in overlaps:
        flash(_("Warning: the trainer also teaches %(code)s on %(day)s at an "
                "overlapping time.", code=other_code, day=day.isoformat()), "warning")


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@permission_required("courses.write")
def cohort_edit(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    refusal = _closed_refusal(cohort)
    if refusal is not None:
        return refusal
    form = CohortEditForm(obj=cohort, trainer_id=cohort.trainer_id or 0)
    trainers = cohort_trainers(db.session, cohort.project)
    if cohort.trainer is not None and cohort.trainer not in trainers:
        trainers.append(cohort.trainer)  # kept until someone else is chosen
    form.trainer_id.choices = [(0, "—")] + [(u.id, u.full_name or u.email) for u in trainers]
    if form.validate_on_submit():
        trainer = next((u for u in trainers if u.id == form.trainer_id.data), None)
        try:
            overlaps, promoted = update_cohort(
                db.session, cohort, trainer=trainer, capacity=form.capacity.data,
                location=form.location.data or "", online_link=form.online_link.data or "",
                today=date.today())
        except CourseError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        except CohortClosed as closed:
            db.session.rollback()
            flash(str(closed), "danger")
            return redirect(url_for("courses.cohort", cohort_id=cohort_id))
        else:
            flash(_("Cohort %(code)s saved.", code=cohort.code), "success")
            _overlap_warnings(overlaps)
            for enrollment in promoted:
                flash(_("%(name)s moved from the waiting list into the freed seat.",
                        name=enrollment.membership.participant.full_name), "info")
            return redirect(url_for("courses.cohort", cohort_id=cohort_id))
    return render_template("courses/cohort_edit.html", form=form, cohort=cohort)


@bp.route("/cohorts/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@permission_required("courses.write")
def session_new(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    refusal = _closed_refusal(cohort)
    if refusal is not None:
        return refusal
    form = SessionForm()
    if form.validate_on_submit():
        try:
            overlaps = save_session(db.session, cohort, None, day=form.date.data,
                                    start=form.start_time.data, end=form.end_time.data,
                                    topic=form.topic.data or "")
        except CourseError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            flash(_("Session added."), "success")
            _overlap_warnings(overlaps)
            return redirect(url_for("courses.cohort", cohort_id=cohort_id))
    return render_template("courses/session_form.html", form=form, cohort=cohort,
                           session=None)


@bp.route("/cohorts/<int:cohort_id>/enroll", methods=["POST"])
@permission_required("courses.write")
def enroll_members(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    ids = ids_in(request.form.getlist("membership_ids"))
    memberships = db.session.scalars(scoped(select(Membership).options(
        joinedload(Membership.participant)).where(Membership.id.in_(ids)), Membership,
        current_user)).all()
    if not memberships:
        flash(_("Choose at least one person to enroll."), "warning")
    enrolled_on = _date_field("enrolled_on")
    if enrolled_on is False:
        flash(_("The enrollment date is not a valid date."), "danger")
        return redirect(url_for("courses.cohort", cohort_id=cohort_id))
    override = request.form.get("override_reason", "").strip()
    voucher_override = request.form.get("voucher_override_reason", "")
    reactivation = request.form.get("reactivation_reason", "")
    if override and len(memberships) == 1:
        try:
            enrollment = enroll(db.session, cohort, memberships[0], date.today(),
                                override_reason=override, user_id=current_user.id,
                                enrolled_on=enrolled_on, voucher_override_reason=voucher_override,
                                reactivation_reason=reactivation)
            results = [(memberships[0], enrollment.status, [])]
        except EnrollmentRefused as refused:
            db.session.rollback()
            results = [(memberships[0], "refused", refused.problems)]
    else:
        results = enroll_many(db.session, cohort, memberships, date.today(), current_user.id,
                              enrolled_on=enrolled_on, voucher_override_reason=voucher_override,
                              reactivation_reason=reactivation)
    for membership, outcome, problems in results:
        name = membership.participant.full_name
        if outcome == "refused":
            flash(_("%(name)s was not enrolled: %(problems)s", name=name,
                    problems="; ".join(str(p) for p in problems)), "danger")
        elif outcome == "waiting":
            flash(_("%(name)s is on the waiting list: the cohort is full.", name=name), "warning")
        else:
            flash(_("%(name)s enrolled.", name=name), "success")
    return redirect(url_for("courses.cohort", cohort_id=cohort_id))


def _date_field(name: str) -> date | None | bool:
    """The form's `name` as a date; None when blank, False when it is not a date."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return False


@bp.route("/enrollments/<int:enrollment_id>/enrolled-on", methods=["POST"])
@permission_required("courses.write")
def enrollment_date(enrollment_id: int):
    enrollment = get_visible_or_404(Enrollment, enrollment_id, current_user)
    enrolled_on = _date_field("enrolled_on")
    if not enrolled_on:
        flash(_("The enrollment date is not a valid date."), "danger")
    else:
        try:
            change_enrollment_date(db.session, enrollment, enrolled_on,
                                   request.form.get("reason", ""), user_id=current_user.id)
        except EnrollmentRefused as refused:
            db.session.rollback()
            flash(str(refused), "danger")
        else:
            flash(_("Enrollment date of %(name)s set to %(day)s.",
                    name=enrollment.membership.participant.full_name,
                    day=enrolled_on.isoformat()), "success")
    return redirect(url_for("courses.cohort", cohort_id=enrollment.cohort_id))


@bp.route("/enrollments/<int:enrollment_id>/withdraw", methods=["POST"])
@permission_required("courses.write")
def withdraw_enrollment(enrollment_id: int):
    enrollment = get_visible_or_404(Enrollment, enrollment_id, current_user)
    try:
        promoted = withdraw(db.session, enrollment, date.today())
    except EnrollmentRefused as refused:
        flash(str(refused), "danger")
    else:
        flash(_("Withdrawn."), "success")
        if promoted is not None:
            flash(_("%(name)s moved from the waiting list into the freed seat.",
                    name=promoted.membership.participant.full_name), "info")
    return redirect(url_for("courses.cohort", cohort_id=enrollment.cohort_id))


@bp.route("/sessions/<int:session_id>/delete", methods=["POST"])
@permission_required("courses.write")
def session_delete(session_id: int):
    training_session = get_visible_or_404(TrainingSession, session_id, current_user)
    cohort_id = training_session.cohort_id
    try:
        delete_session(db.session, training_session)
    except EnrollmentRefused as refused:
        flash(str(refused), "danger")
    else:
        flash(_("Session deleted."), "success")
    return redirect(url_for("courses.cohort", cohort_id=cohort_id))


@bp.route("/sessions")
@permission_required("courses.read")
def calendar():
    """Sessions from today on (or from ?from=YYYY-MM-DD), by day: a trainer sees their own."""
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = date.today()
    if not day_in_range(start):
        start = date.today()
    stmt = scoped(
        select(TrainingSession).join(Cohort)
        .options(joinedload(TrainingSession.cohort).joinedload(Cohort.course),
                 joinedload(TrainingSession.cohort).joinedload(Cohort.trainer))
        .where(TrainingSession.date >= start)
        .order_by(TrainingSession.date, TrainingSession.start_time, Cohort.code),
        TrainingSession, current_user)
    return render_template("courses/calendar.html", page=paginate(stmt, per_page=50), start=start)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@permission_required("courses.write")
def session_edit(session_id: int):
    training_session = get_visible_or_404(TrainingSession, session_id, current_user)
    form = SessionForm(obj=training_session)
    if form.validate_on_submit():
        try:
            overlaps = save_session(db.session, training_session.cohort, training_session,
                                    day=form.date.data, start=form.start_time.data,
                                    end=form.end_time.data, topic=form.topic.data or "")
        except CourseError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error))
        else:
            flash(_("Session saved."), "success")
            _overlap_warnings(overlaps)
            return redirect(url_for("courses.cohort", cohort_id=training_session.cohort_id))
    return render_template("courses/session_form.html", form=form, session=training_session,
                           cohort=training_session.cohort)
