"""The attendance grid of a cohort: read for everyone allowed, marked by trainers and coordinators."""
import re
import zipfile
from datetime import date
from io import BytesIO

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainhub.attendance import pdf
from trainhub.attendance import register as attendance_register
from trainhub.attendance.grid_markup import (
    GridMarkup,
    grid_body,
    grid_head,
    session_heads,
    upload_forms,
    upload_of,
)
from trainhub.attendance.models import Certificate, CertificateRevision
from trainhub.attendance.services import (
    GRID_TABLES,
    AttendanceError,
    certificate_document,
    certificate_figures,
    check_in,
    check_in_code,
    close_cohort,
    closing_preview,
    initials,
    is_expected,
    issue_certificates,
    load_grid,
    mark_all_present,
    reopen_cohort,
    save_grid,
    scanned_sessions,
    sessions_of_week,
    sheet_scans,
    store_signed_sheet,
    unbacked_sessions,
)
from trainhub.auth.permissions import can, permission_required, public
from trainhub.auth.scoping import get_visible_or_404, visible_condition
from trainhub.core.counts import kept_named_value
from trainhub.core.downloads import PDF, ZIP, download_response
from trainhub.core.errors import Problems
from trainhub.courses.models import Cohort, Enrollment, TrainingSession
from trainhub.courses.services import cohort_state
from trainhub.extensions import db, limiter
from trainhub.programme.identity import document_letterhead

bp = Blueprint("attendance", __name__, url_prefix="/attendance")
#: the public certificate check, at the short address printed in the QR code
verification_bp = Blueprint("verification", __name__)

_CELL = re.compile(r"^status-(\d+)-(\d+)$")


def _grid_for(cohort_id: int, read_only: bool = False, with_marks: bool = True):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    return load_grid(db.session, cohort, visible_condition(Enrollment, current_user),
                     read_only=read_only, with_marks=with_marks)


@bp.route("/cohorts/<int:cohort_id>")
@permission_required("attendance.read")
def grid(cohort_id: int):
    return _render_grid(cohort_id)


def _render_grid(cohort_id: int, errors: list | None = None, submitted=None):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    editable = can(current_user, "attendance.write") and cohort.closed_at is None
    today = date.today()
    return render_template("attendance/grid.html", cohort=cohort,
                           grid=_grid_markup(cohort, today, editable, submitted),
                           upload_forms=upload_forms, errors=errors or [], editable=editable,
                           state=cohort_state(cohort, today))


def _grid_markup(cohort: Cohort, today: date, editable: bool, submitted=None) -> GridMarkup:
    """The grid's rows and headers as the reader sees them; kept while the rows they read
    are unchanged (core/counts.py), unless they show a refused form's values (`submitted`)."""
    def make() -> GridMarkup:
        grid = load_grid(db.session, cohort, visible_condition(Enrollment, current_user),
                         read_only=True)
        scans = scanned_sessions(db.session, [session.id for session in grid.sessions])
        heads = session_heads(grid.sessions)
        return GridMarkup(
            head=grid_head(heads, scans, unbacked_sessions(grid, scans), editable, today),
            body=grid_body(grid, today, editable, submitted),
            uploads=tuple(upload_of(head) for head in heads),
            has_rows=bool(grid.sessions and grid.enrollments))

    if submitted:
        return make()
    # the reader's scope (role, enterprise, id: what visible_condition reads of them), what
    # they may do, the day (expected and held sessions) and what the pieces are made for
    key = ("attendance grid", cohort.id, current_user.id, current_user.role,
           current_user.enterprise_id, editable, today, str(get_locale()), request.script_root)
    return kept_named_value(db.session, key, GRID_TABLES, make)


REGISTER_MIME = {"csv": "text/csv", "pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.route("/cohorts/<int:cohort_id>/register.<kind>")
@permission_required("attendance.read")
def register(cohort_id: int, kind: str):
    """The cohort's attendance register: the rows the reader may see, as XLSX, CSV or PDF."""
    if kind not in attendance_register.FORMATS:
        abort(404)
    grid = _grid_for(cohort_id, read_only=True)
    content = attendance_register.render(attendance_register.build(grid, date.today()), kind,
                                         document_letterhead(db.session, grid.cohort.project))
    return download_response(content, f"registru-prezenta-{grid.cohort.code}.{kind}",
                             REGISTER_MIME[kind])


@bp.route("/sessions/<int:session_id>/signed-sheet", methods=["POST"])
@permission_required("attendance.write")
def upload_signed_sheet(session_id: int):
    session = get_visible_or_404(TrainingSession, session_id, current_user)
    upload = request.files.get("scan")
    try:
        store_signed_sheet(db.session, session, upload.read() if upload else b"",
                           upload.filename if upload else "", user_id=current_user.id,
                           upload_dir=current_app.config["UPLOAD_DIR"],
                           max_bytes=current_app.config["UPLOAD_MAX_BYTES"])
    except Problems as problems:
        db.session.rollback()
        flash(_("The scan was not stored: %(reason)s", reason=str(problems)), "danger")
    else:
        db.session.commit()
        flash(_("Signed sign-in sheet of %(day)s stored.", day=session.date.isoformat()), "success")
    return redirect(url_for("attendance.grid", cohort_id=session.cohort_id))


@bp.route("/sessions/<int:session_id>/signed-sheet")
@permission_required("attendance.read")
def signed_sheet(session_id: int):
    from trainhub.documents.storage import stored_path

    session = get_visible_or_404(TrainingSession, session_id, current_user)
    sheet = sheet_scans(db.session, [session.id]).get(session.id)
    if sheet is None:
        abort(404)
    return download_response(stored_path(current_app.config["UPLOAD_DIR"], sheet.scan_key),
                             sheet.scan_original_name, sheet.scan_content_type)


@bp.route("/cohorts/<int:cohort_id>", methods=["POST"])
@permission_required("attendance.write")
def save(cohort_id: int):
    # saving given cells reads only the marks it writes; "all present" skips the marked ones
    grid = _grid_for(cohort_id, read_only=True, with_marks=bool(request.form.get("all_present")))
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
                    remark = request.form.get(f"remark-{session_id}-{enrollment_id}")
                    entries[(session_id, enrollment_id)] = (status, hours, remark)
            changed = save_grid(db.session, grid, entries, current_user.id)
    except AttendanceError as error:
        db.session.rollback()
        return _render_grid(cohort_id, error.problems, request.form), 422
    flash(ngettext("%(num)s mark saved.", "%(num)s marks saved.", changed), "success")
    return redirect(url_for("attendance.grid", cohort_id=cohort_id))


@bp.route("/sessions/<int:session_id>/sign-in-sheet.pdf")
@permission_required("attendance.read")
def sign_in_sheet_pdf(session_id: int):
    """The session's sign-in sheet; with `?week=1` the sheet of the cohort's sessions of that
    week, side by side."""
    session = get_visible_or_404(TrainingSession, session_id, current_user)
    cohort = session.cohort
    grid = load_grid(db.session, cohort, visible_condition(Enrollment, current_user))
    sessions = sessions_of_week(grid, session) if request.args.get("week") == "1" else [session]
    people = [pdf.SheetPerson(e.membership.participant.full_name, e.membership.participant.cnp)
              for e in grid.enrollments if is_expected(sessions[-1], e)]
    trainer = cohort.trainer.full_name or cohort.trainer.email if cohort.trainer else ""
    content = pdf.sign_in_sheet(
        letterhead=document_letterhead(db.session, cohort.project), course=cohort.course.title, cohort=cohort.code,
        trainer=trainer, people=people, sessions=[
            pdf.SheetSession(s.date, s.start_time, s.end_time, s.hours) for s in sessions])
    suffix = f"saptamana-{session.date:%G-W%V}" if len(sessions) > 1 else session.date.isoformat()
    return download_response(content, f"prezenta-{cohort.code}-{suffix}.pdf", PDF)


@bp.route("/cohorts/<int:cohort_id>/close", methods=["GET", "POST"])
@permission_required("courses.write")
def close(cohort_id: int):
    """GET: what closing would leave behind (future sessions, missing marks); POST with
    `confirm`: close. A POST without it shows the same page again."""
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    if cohort.closed_at is not None:
        flash(_("The cohort is already closed."), "warning")
        return redirect(url_for("attendance.grid", cohort_id=cohort_id))
    if request.method == "POST" and request.form.get("confirm") == "yes":
        try:
            outcome = close_cohort(db.session, cohort, date.today(), confirmed=True,
                                   user_id=current_user.id)
        except AttendanceError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            flash(_("Cohort closed: %(completed)s, %(not_completed)s.",
                    completed=ngettext("%(num)s completed", "%(num)s completed",
                                       outcome["completed"]),
                    not_completed=ngettext("%(num)s not completed", "%(num)s not completed",
                                           outcome["not_completed"])), "success")
        return redirect(url_for("attendance.grid", cohort_id=cohort_id))
    return render_template("attendance/close.html", cohort=cohort,
                           preview=closing_preview(db.session, cohort, date.today()))


@bp.route("/cohorts/<int:cohort_id>/reopen", methods=["POST"])
@permission_required("courses.write")
def reopen(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    try:
        reopen_cohort(db.session, cohort, request.form.get("reason", ""), user_id=current_user.id)
    except AttendanceError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        flash(_("Cohort reopened: marks, enrollments and sessions can be changed again; close "
                "it again to decide completion."), "success")
    return redirect(url_for("attendance.grid", cohort_id=cohort_id))


@bp.route("/cohorts/<int:cohort_id>/certificates.zip", methods=["POST"])
@permission_required("courses.write")
def certificates_zip(cohort_id: int):
    """Issue the missing certificates and download every certificate of the cohort."""
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    try:
        issue_certificates(db.session, cohort, date.today())
    except AttendanceError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("attendance.grid", cohort_id=cohort_id))
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for enrollment in cohort.enrollments:
            if enrollment.certificate is not None and enrollment.certificate.revoked_at is None:
                archive.writestr(f"{enrollment.certificate.serial}.pdf",
                                 _certificate_pdf(enrollment.certificate))
    return download_response(buffer.getvalue(), f"certificate-{cohort.code}.zip", ZIP)


@bp.route("/certificates/<int:certificate_id>.pdf")
@permission_required("attendance.read")
def certificate_pdf(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    get_visible_or_404(Enrollment, certificate.enrollment_id, current_user)
    return download_response(_certificate_pdf(certificate), f"{certificate.serial}.pdf", PDF)


@verification_bp.route("/verify/<token>")
@public
def verify(token: str):
    certificate = db.session.scalar(select(Certificate).where(Certificate.token == token))
    replaced = None
    if certificate is None:
        replaced = db.session.scalar(select(CertificateRevision)
                                     .where(CertificateRevision.token == token))
        if replaced is None:
            abort(404)
        certificate = replaced.certificate
    person = certificate.enrollment.membership.participant
    return render_template("attendance/verify.html", certificate=certificate, replaced=replaced,
                           figures=replaced or certificate_figures(db.session, certificate),
                           initials=initials(person.first_name, person.last_name),
                           course=certificate.enrollment.cohort.course)


def _certificate_pdf(certificate: Certificate) -> bytes:
    return certificate_document(db.session, certificate, url_for(
        "verification.verify", token=certificate.token, _external=True),
        upload_dir=current_app.config["UPLOAD_DIR"])


@bp.route("/sessions/<int:session_id>/qr")
@permission_required("attendance.write")
def session_qr(session_id: int):
    session = get_visible_or_404(TrainingSession, session_id, current_user)
    url = url_for("verification.check_in_page", session_id=session.id, _external=True,
                  code=check_in_code(current_app.config["SECRET_KEY"], session))
    qr_svg = segno.make(url, error="m").svg_inline(scale=8)
    return render_template("attendance/qr.html", session=session, url=url, qr_svg=qr_svg)


@verification_bp.route("/check-in/<int:session_id>/<code>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@public
def check_in_page(session_id: int, code: str):
    session = db.get_or_404(TrainingSession, session_id)
    problems, checked_in = [], None
    if request.method == "POST":
        try:
            checked_in = check_in(db.session, session, code, request.form.get("cnp_tail", ""),
                                  current_app.config["SECRET_KEY"], date.today())
        except AttendanceError as error:
            db.session.rollback()
            problems = error.problems
    return render_template("attendance/check_in.html", session=session, problems=problems,
                           checked_in=checked_in), 422 if problems else 200
