"""Self-service pages: the trainee's page under a personal link, its management, MySMIS forms."""
from datetime import date
from io import BytesIO

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from trainhub.attendance.services import certificate_document
from trainhub.auth.permissions import can, permission_required, public
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.auth.services import send_mail_in_background
from trainhub.core.downloads import PDF, download_response
from trainhub.documents import services as documents
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db, limiter
from trainhub.journey.models import FollowUp
from trainhub.journey.services import follow_up_token
from trainhub.participants.models import Membership, Participant
from trainhub.participants.services import disclosure_for
from trainhub.programme.identity import document_letterhead
from trainhub.programme.presets import PREFILLED_FORMS
from trainhub.selfservice import forms_pdf, services

bp = Blueprint("selfservice", __name__)


def _link_rate_limit() -> str:
    return current_app.config["TRAINEE_LINK_RATE_LIMIT"]


def _days() -> int:
    return current_app.config["TRAINEE_LINK_DAYS"]


def link_url(membership: Membership) -> str:
    """The person's link as they open it (on this site's address)."""
    token = services.link_token(current_app.config["SECRET_KEY"], membership)
    return url_for("selfservice.trainee_page", token=token, _external=True)


def _dead_link(code: int):
    """The same Romanian-first page for a made-up and for an old link: it says how to get a
    new one and nothing about whether the person exists."""
    return make_response(render_template("selfservice/dead_link.html", code=code), code)


def _membership(token: str) -> Membership:
    """The membership the link opens, else a 404 (not ours) or 410 (expired, revoked) page."""
    try:
        return services.resolve_link(db.session, current_app.config["SECRET_KEY"], token,
                                     _days())
    except services.LinkNotFound:
        abort(_dead_link(404))
    except services.LinkGone:
        abort(_dead_link(410))


def _pdf(content: bytes, filename: str):
    return download_response(content, filename, PDF)


def _no_store(response):
    """Pages under a personal link are nobody's cache entry (shared phones, proxies)."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_context_processor
def _form_links() -> dict:
    def prefilled_form_url(requirement, kind: str, owner_id: int) -> str:
        """The prefilled form of a checklist line for a signed-in user who may hand it in."""
        form = PREFILLED_FORMS.get((requirement.level, requirement.code))
        if form is None or kind != requirement.level or not can(current_user,
                                                                 "documents.upload"):
            return ""
        if form == "registration":
            return url_for("selfservice.registration_form", participant_id=owner_id)
        return url_for("selfservice.entity_form", enterprise_id=owner_id)

    return {"prefilled_form_url": prefilled_form_url}


# --- the trainee's own page ------------------------------------------------------------------

@bp.route("/t/<token>")
@limiter.limit(_link_rate_limit)
@public
def trainee_page(token: str):
    membership = _membership(token)
    participant = membership.participant
    checklist = documents.checklist_for(db.session, participant)
    return _no_store(make_response(render_template(
        "selfservice/trainee.html", token=token, membership=membership,
        participant=participant, checklist=checklist,
        forms={line.requirement.id: PREFILLED_FORMS.get((line.requirement.level,
                                                         line.requirement.code))
               for line in checklist.lines},
        attendance=services.attendance_of(db.session, membership, date.today()),
        follow_up_url=_open_follow_up_url(membership),
        consent_text=services.CONSENT_TEXT, consent_version=services.CONSENT_TEXT_VERSION,
        requirement_title=documents.requirement_title)))


def _open_follow_up_url(membership: Membership) -> str | None:
    """The six-month questionnaire the person was sent and has not answered yet, if any."""
    follow_up = db.session.scalar(select(FollowUp).where(
        FollowUp.membership_id == membership.id, FollowUp.answered_at.is_(None)))
    if follow_up is None:
        return None
    return url_for("follow_up.follow_up",
                   token=follow_up_token(current_app.config["SECRET_KEY"], follow_up))


@bp.route("/t/<token>/upload", methods=["POST"])
@limiter.limit(_link_rate_limit)
@public
def trainee_upload(token: str):
    membership = _membership(token)
    requirement_id = request.form.get("requirement", "")
    lines = {line.requirement.id: line.requirement
             for line in documents.checklist_for(db.session, membership.participant).lines}
    if not requirement_id.isdigit() or int(requirement_id) not in lines:
        abort(404)  # not a line of this person's checklist: nothing is stored
    requirement = lines[int(requirement_id)]
    upload = request.files.get("file")
    back = url_for(".trainee_page", token=token, _anchor=f"line-{requirement.id}")
    if upload is None or not upload.filename:
        flash(_("Choose a file or take a photo first."), "warning")
        return redirect(back)
    title = documents.requirement_title(requirement)
    try:
        services.upload_own_document(db.session, membership, requirement, upload.read(),
                                     upload.filename)
    except documents.UploadRefused as refused:
        db.session.rollback()
        flash(_("%(title)s was not received: %(problems)s", title=title,
                problems=str(refused)), "danger")
    else:
        flash(_("%(title)s received; the project team will check it.", title=title), "success")
    return redirect(back)


@bp.route("/t/<token>/consent", methods=["POST"])
@limiter.limit(_link_rate_limit)
@public
def trainee_consent(token: str):
    membership = _membership(token)
    try:
        services.give_consent(db.session, membership, request.form.get("full_name", "")[:300],
                              request.form.get("agree") == "yes")
    except services.ConsentRefused as refused:
        db.session.rollback()
        flash(_("Your consent was not recorded: %(problems)s", problems=str(refused)), "danger")
    else:
        db.session.commit()
        flash(_("Thank you, your consent is recorded. You can download the receipt."), "success")
    return redirect(url_for(".trainee_page", token=token, _anchor="consent"))


@bp.route("/t/<token>/consent.pdf")
@limiter.limit(_link_rate_limit)
@public
def trainee_consent_receipt(token: str):
    membership = _membership(token)
    if membership.consent_given_at is None or membership.consent_method != services.CONSENT_METHOD:
        abort(404)
    return _pdf(forms_pdf.consent_receipt(membership, services.CONSENT_TEXT,
                                          document_letterhead(db.session, membership.project)),
                "acord-gdpr.pdf")


@bp.route("/t/<token>/documents/<int:document_id>")
@limiter.limit(_link_rate_limit)
@public
def trainee_document(token: str, document_id: int):
    membership = _membership(token)
    document = services.own_document(db.session, membership, document_id)
    if document is None:
        abort(404)
    path = documents.stored_file(document)
    if path is None:
        abort(404)
    return download_response(path, document.original_name, document.content_type)


@bp.route("/t/<token>/certificates/<int:certificate_id>.pdf")
@limiter.limit(_link_rate_limit)
@public
def trainee_certificate(token: str, certificate_id: int):
    membership = _membership(token)
    certificate = services.own_certificate(db.session, membership, certificate_id)
    if certificate is None:
        abort(404)
    return _pdf(certificate_document(
        db.session, certificate, url_for("verification.verify", token=certificate.token,
                                         _external=True),
        upload_dir=current_app.config["UPLOAD_DIR"]), f"{certificate.serial}.pdf")


@bp.route("/t/<token>/registration-form.pdf")
@limiter.limit(_link_rate_limit)
@public
def trainee_registration_form(token: str):
    membership = _membership(token)
    return _pdf(forms_pdf.registration_form(membership.participant, membership,
                                            letterhead=document_letterhead(db.session, membership.project)),
                "formular-inregistrare.pdf")


# --- the coordinator's side ------------------------------------------------------------------

def _managed_membership(membership_id: int) -> Membership:
    return get_visible_or_404(Membership, membership_id, current_user)


@bp.route("/selfservice/memberships/<int:membership_id>/link")
@permission_required("participants.gdpr")
def link(membership_id: int):
    membership = _managed_membership(membership_id)
    live = services.link_is_live(membership, _days())
    return render_template(
        "selfservice/link.html", membership=membership, participant=membership.participant,
        live=live, url=link_url(membership) if live else "",
        expires_at=services.link_expires_at(membership, _days()))


@bp.route("/selfservice/memberships/<int:membership_id>/link/qr.svg")
@permission_required("participants.gdpr")
def link_qr(membership_id: int):
    membership = _managed_membership(membership_id)
    if not services.link_is_live(membership, _days()):
        abort(404)
    buffer = BytesIO()
    segno.make(link_url(membership), error="m").save(buffer, kind="svg", scale=6, border=2)
    response = make_response(buffer.getvalue())
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.route("/selfservice/memberships/<int:membership_id>/link/issue", methods=["POST"])
@permission_required("participants.gdpr")
def link_issue(membership_id: int):
    membership = _managed_membership(membership_id)
    services.issue_link(db.session, membership, current_user.id)
    db.session.commit()
    flash(_("A new personal link was made; any earlier link no longer works."), "success")
    return redirect(url_for(".link", membership_id=membership.id))


@bp.route("/selfservice/memberships/<int:membership_id>/link/revoke", methods=["POST"])
@permission_required("participants.gdpr")
def link_revoke(membership_id: int):
    membership = _managed_membership(membership_id)
    services.revoke_link(db.session, membership, current_user.id)
    db.session.commit()
    flash(_("The personal link was revoked."), "success")
    return redirect(url_for(".link", membership_id=membership.id))


@bp.route("/selfservice/memberships/<int:membership_id>/link/email", methods=["POST"])
@permission_required("participants.gdpr")
def link_email(membership_id: int):
    membership = _managed_membership(membership_id)
    participant = membership.participant
    back = redirect(url_for(".link", membership_id=membership.id))
    if not services.link_is_live(membership, _days()):
        flash(_("Make a link first."), "warning")
        return back
    if not participant.email:
        flash(_("The person has no e-mail address; show them the QR code instead."), "warning")
        return back
    url, expires = link_url(membership), services.link_expires_at(membership, _days())
    with force_locale("ro"):  # the trainee's mail is in the language of the programme
        subject = _("Your page in project %(code)s", code=membership.project.code)
        body = _("Hello %(name)s,\n\nOn your personal page you can hand in your documents "
                 "(a photo taken with the phone will do), give your consent for the "
                 "processing of your personal data and see your attendance and "
                 "certificates:\n\n%(url)s\n\nThe link works until %(day)s. Do not share "
                 "it: it opens your own data.\n",
                 name=participant.first_name, url=url, day=expires.date().isoformat())
    send_mail_in_background(current_app.config, participant.email, subject, body)
    services.record_link_mailed(db.session, membership, current_user.id)
    db.session.commit()
    flash(_("The link was sent to %(email)s.", email=participant.email), "success")
    return back


# --- prefilled MySMIS forms ------------------------------------------------------------------

@bp.route("/selfservice/participants/<int:participant_id>/registration-form.pdf")
@permission_required("documents.upload")
def registration_form(participant_id: int):
    participant = get_visible_or_404(Participant, participant_id, current_user)
    membership = db.session.scalar(scoped(
        select(Membership).where(Membership.participant_id == participant.id)
        .order_by(Membership.id.desc()).limit(1), Membership, current_user))
    disclosure = disclosure_for(current_user)
    return _pdf(forms_pdf.registration_form(
        participant, membership, full_cnp=can(current_user, "participants.write"),
        special_categories=disclosure.special_categories,
        letterhead=document_letterhead(db.session, membership.project if membership else None)),
        f"formular-inregistrare-{participant.id}.pdf")


@bp.route("/selfservice/enterprises/<int:enterprise_id>/entity-form.pdf")
@permission_required("documents.upload")
def entity_form(enterprise_id: int):
    enterprise = get_visible_or_404(Enterprise, enterprise_id, current_user)
    # the letterhead of the newest project (visible to the reader) one of its employees joined
    membership = db.session.scalar(scoped(
        select(Membership).join(Participant, Participant.id == Membership.participant_id)
        .where(Participant.enterprise_id == enterprise.id)
        .order_by(Membership.id.desc()).limit(1), Membership, current_user))
    letterhead = document_letterhead(db.session, membership.project if membership else None)
    return _pdf(forms_pdf.entity_form(enterprise, letterhead),
                f"formular-entitate-{enterprise.cui}.pdf")

