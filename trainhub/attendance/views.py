"""The attendance grid of a cohort: read for everyone allowed, marked by trainers and coordinators."""
import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from trainhub.attendance.models import MarkStatus
from trainhub.attendance.services import (
    AttendanceError,
    is_expected,
    load_grid,
    mark_all_present,
    save_grid,
)
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, visible_condition
from trainhub.courses.models import Cohort, Enrollment
from trainhub.extensions import db

bp = Blueprint("attendance", __name__, url_prefix="/attendance")

_CELL = re.compile(r"^status-(\d+)-(\d+)$")


def _grid_for(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    return load_grid(db.session, cohort, visible_condition(Enrollment, current_user))


@bp.route("/cohorts/<int:cohort_id>")
@permission_required("attendance.read")
def grid(cohort_id: int):
    return render_template("attendance/grid.html", grid=_grid_for(cohort_id), today=date.today(),
                           statuses=[s.value for s in MarkStatus], is_expected=is_expected,
                           errors=[], editable=can(current_user, "attendance.write"))


@bp.route("/cohorts/<int:cohort_id>", methods=["POST"])
@permission_required("attendance.write")
def save(cohort_id: int):
    grid = _grid_for(cohort_id)
    try:
        if request.form.get("all_present"):
            if not request.form["all_present"].isdigit():
                abort(400)
            changed = mark_all_present(db.session, grid, int(request.form["all_present"]),
                                       current_user.id)
        else:
            entries = {}
            for key, status in request.form.items():
                match = _CELL.match(key)
                if match:
                    session_id, enrollment_id = map(int, match.groups())
                    hours = request.form.get(f"hours-{session_id}-{enrollment_id}", "")
                    entries[(session_id, enrollment_id)] = (status, hours)
            changed = save_grid(db.session, grid, entries, current_user.id)
    except AttendanceError as error:
        db.session.rollback()
        return render_template("attendance/grid.html", grid=_grid_for(cohort_id),
                               today=date.today(), statuses=[s.value for s in MarkStatus],
                               is_expected=is_expected, errors=error.problems, editable=True,
                               submitted=request.form), 422
    flash(_("%(n)s marks saved.", n=changed), "success")
    return redirect(url_for("attendance.grid", cohort_id=cohort_id))
