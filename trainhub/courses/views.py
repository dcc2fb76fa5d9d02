"""Course catalogue pages: list with category filter, detail, create and edit."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from trainhub.auth.permissions import permission_required
from trainhub.core.pagination import paginate
from trainhub.courses.forms import MODALITY_LABELS, CourseForm
from trainhub.courses.models import Course
from trainhub.courses.services import (
    CATEGORY_LABELS,
    CourseError,
    catalogue,
    cohort_counts,
    save_course,
)
from trainhub.extensions import db

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.context_processor
def _labels() -> dict:
    return {"category_labels": CATEGORY_LABELS, "modality_labels": MODALITY_LABELS}


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
            }, planned_hours=form.planned_hours.data)
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
