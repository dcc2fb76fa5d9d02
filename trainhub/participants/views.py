"""Participant pages: list, detail, forms, decision, register, consent, GDPR export and dossier."""
import json
from datetime import UTC, date, datetime, time
from functools import lru_cache

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from trainhub.attendance.services import enrollments_of
from trainhub.audit.services import record
from trainhub.auth.models import Role
from trainhub.auth.permissions import can, permission_required
from trainhub.auth.scoping import get_visible_or_404, scoped
from trainhub.core.bounds import a_page, an_id
from trainhub.core.downloads import PDF, ZIP, download_response
from trainhub.core.errors import Problems
from trainhub.core.formats import once_per_value, options_markup
from trainhub.core.fragments import kept_fragment, slot
from trainhub.core.geography import county_choices, county_name
from trainhub.core.identifiers import age_on, mask_cnp
from trainhub.core.labels import ELIGIBILITY_LABELS, SEX_LABELS
from trainhub.core.pagination import kept_page
from trainhub.core.urls import url_for_any_id
from trainhub.courses.models import Cohort
from trainhub.documents.services import checklist_for, requirement_title
from trainhub.enterprises.models import Enterprise
from trainhub.enterprises.services import FieldProblems
from trainhub.extensions import db
from trainhub.jobs.services import runs_as_job
from trainhub.jobs.views import start_job_page
from trainhub.participants import dossier, gdpr
from trainhub.participants.eligibility import (
    Outcome,
    decide,
    detail_text,
    evaluate_memberships,
    override_double_financing,
    withdraw_double_financing_override,
)
from trainhub.participants.forms import (
    EMPLOYMENT_LABELS,
    ENVIRONMENT_LABELS,
    ISCED_LABELS,
    ConsentForm,
    DecisionForm,
    DoubleFinancingOverrideForm,
    ParticipantForm,
)
from trainhub.participants.models import Membership, Participant
from trainhub.participants.register import (
    XLSX_TYPE,
    register_name,
    register_size,
    register_workbook,
)
from trainhub.participants.services import (
    AGE_BANDS,
    FLAG_FILTERS,
    PARTICIPANT_COLUMNS,
    SPECIAL_CATEGORIES,
    default_project,
    disclosure_for,
    memberships_by_participant,
    participant_list,
    participant_rows,
    reader_view,
    save_participant,
)
from trainhub.programme.models import Project

bp = Blueprint("participants", __name__, url_prefix="/participants")
#: a row of the list (one format per row, no template per row; the view escapes each value)
_PERSON_ROW = (
    '\n  <td><a href="%s">%s</a></td>\n  <td class="text-nowrap font-monospace small">%s</td>'
    "\n  <td>%s</td>\n  <td>%s</td>\n  <td>%s</td>\n  <td>%s</td>\n  <td>%s</td>\n")
#: the list's eligibility and flag badges by language and value (a few dozen at most: the
#: statuses with the stale mark and the sex, the sets of flags), kept from page to page
_KEPT_BADGES: dict[str, dict] = {"eligibility": {}, "flags": {}}
EARLY_PAGES = 20  # pages of the list read row by row (see auth.scoping._person_of_the_team)
#: every table the list's rows, count and badges read, for every reader and filter (the
#: trainer's scope reads cohorts and enrollments): its kept page follows their writes
LIST_TABLES = frozenset({"participants", "memberships", "project_members", "enterprises",
                         "cohorts", "enrollments"})


def _cnp_shown():
    """How the pages of this area show a CNP to the signed-in user: in full to who may edit."""
    return (lambda cnp: cnp) if can(current_user, "participants.write") else mask_cnp


@bp.context_processor
def _helpers() -> dict:
    disclosure = disclosure_for(current_user)
    return {"county_name": county_name, "employment_labels": EMPLOYMENT_LABELS,
            "environment_labels": ENVIRONMENT_LABELS, "isced_labels": ISCED_LABELS,
            "cnp_shown": _cnp_shown(),
            "visible_flags": disclosure.flags,
            "requirement_title": requirement_title, "detail_text": detail_text}


def _count_key(user, filters: dict) -> tuple:
    """What the list's count query is made of: the reader's scope (auth.scoping builds it from
    the role, the id and the enterprise alone) and every filter with the day the ages are
    taken on (core.counts.exact_count's `key`)."""
    return ("participants.index", user.role, user.id, user.enterprise_id,
            tuple(sorted(filters.items())))


@bp.route("/")
@permission_required("participants.read")
def index():
    args = request.args
    enterprise_id = args.get("enterprise", type=an_id)
    today = date.today()
    filters = {"search": args.get("q", ""), "enterprise_id": enterprise_id,
               "employer": args.get("employer", ""), "county": args.get("county") or None,
               "sex": args.get("sex") or None, "age_band": args.get("age") or None,
               "eligibility": args.get("eligibility") or None,
               "flags": tuple(flag for flag in FLAG_FILTERS if args.get(flag)), "today": today}
    # an early page reads people in name order row by row until it is full; a deep page and
    # the count go through them all, which the whole team's hash does faster (on PostgreSQL)
    early = args.get("page", 1, type=a_page) <= EARLY_PAGES
    locale = str(get_locale())
    # the page's rows and their markup are kept with the count, per data version: `view` is
    # what the markup depends on beyond the count's key (the reader's scope, which fixes the
    # rights cnp_shown and disclosure_for read, the filters and the day)
    page, rows = kept_page(
        lambda: scoped(participant_rows(**filters), Participant, current_user, per_row=early),
        lambda page: _row_markup(page.items, today, locale),
        kept_count=lambda: scoped(participant_list(**filters), Participant, current_user),
        count_key=_count_key(current_user, filters), tables=LIST_TABLES,
        view=(early, locale, request.script_root))
    # a link from an enterprise's page names it by id; the filter form searches by name or CUI
    chosen_employer = enterprise_id and db.session.scalar(scoped(
        select(Enterprise).where(Enterprise.id == enterprise_id), Enterprise, current_user))
    return render_template("participants/list.html", page=page, rows=rows,
                           head=_list_head(args, chosen_employer))


def _row_markup(people: list, today: date, locale: str) -> dict[int, Markup]:
    """Each person's row of the list (_PERSON_ROW), by id, for the signed-in reader: their
    badges read in one query, each distinct badge made once per language and kept (the macros
    stay its one place)."""
    memberships = memberships_by_participant(db.session, [p.id for p in people],
                                             badges_only=True, user=current_user)
    badge = once_per_value(
        lambda m, sex: get_template_attribute("_macros/registry.html", "eligibility_badge")(m, sex),
        key=lambda m, sex: (locale, m.eligibility_status, bool(m.decision_stale), sex == "F"),
        made=_KEPT_BADGES["eligibility"])
    flag_badges = once_per_value(
        lambda flags: get_template_attribute("_macros/registry.html", "flag_badges")(flags),
        key=lambda flags: (locale, *(name for name, on in flags.items() if on)),
        made=_KEPT_BADGES["flags"])
    cnp_shown = _cnp_shown()
    visible_flags = disclosure_for(current_user).flags
    person_url = url_for_any_id("participants.detail", "participant_id")
    return {person.id: Markup(_PERSON_ROW % (
        escape(person_url(person.id)), escape(f"{person.last_name} {person.first_name}"),
        escape(cnp_shown(person.cnp)), age_on(person.birth_date, today),
        "—" if person.employer is None else escape(person.employer),
        escape(county_name(person.county)),
        "".join([badge(m, person.sex) + " " for m in memberships[person.id]]),
        flag_badges(visible_flags(person, today)))) for person in people}


#: the chosen employer's mark in the filter form (a link from the enterprise's page)
_CHOSEN_EMPLOYER = Markup(
    '\n  <div class="col-auto d-flex align-items-center gap-2"><input type="hidden" name="enterprise"'
    ' value="%s">\n    <span class="badge text-bg-secondary">%s: %s</span>\n'
    '    <a class="small" href="%s">%s</a></div>\n  ')


def _filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The options of the filter form's selects, (value, label in the reader's language)."""
    return {"county": county_choices(),
            "sex": [(value, str(name)) for value, name in SEX_LABELS.items()],
            "age": [(band, band.replace("_plus", "+").replace("under_", "< ").replace("_", "–"))
                    for band in AGE_BANDS],
            "eligibility": [(value, str(name)) for value, name in ELIGIBILITY_LABELS.items()]}


@lru_cache(maxsize=512)
def _select_options(name: str, locale: str, chosen: str | None) -> Markup:
    """A filter select's options, `chosen` selected, once per language and chosen value (the
    view passes only a value of the list or None, so this holds a few hundred at most)."""
    return options_markup(_filter_choices()[name], chosen)


@lru_cache(maxsize=1)
def _choice_values() -> dict[str, frozenset]:
    """The values of each filter select (the same in every language)."""
    return {name: frozenset(value for value, _name in choices)
            for name, choices in _filter_choices().items()}


def _list_head(args, chosen_employer) -> Markup:
    """The list's heading and filter form (kept per role, language and script root), with this
    request's search, chosen options and chosen employer."""
    locale = str(get_locale())
    values = _choice_values()
    slots = {name: _select_options(name, locale, args.get(name) if args.get(name) in values[name]
                                   else None) for name in values}
    slots.update({f"flag_{flag}": "checked" if args.get(flag) else "" for flag in FLAG_FILTERS})
    slots["chosen_employer"] = _CHOSEN_EMPLOYER % (
        chosen_employer.id, _("Employer"), chosen_employer.name,
        url_for(".index", **{key: value for key, value in args.items()
                             if key not in ("enterprise", "page")}),
        _("All employers")) if chosen_employer else ""
    return kept_fragment(
        ("participants.list", current_user.role, locale, request.script_root),
        lambda: render_template("participants/_list_head.html", slot=slot,
                                employer_filter=current_user.role != Role.SME,
                                flag_filters=FLAG_FILTERS),
        q=args.get("q", ""), employer=args.get("employer", ""), **slots)


@bp.route("/<int:participant_id>")
@permission_required("participants.read")
def detail(participant_id: int):
    participant = get_visible_or_404(Participant, participant_id, current_user)
    today = date.today()
    memberships = memberships_by_participant(db.session, [participant.id],
                                             user=current_user)[participant.id]
    gdpr_rights = can(current_user, "participants.gdpr")
    consent_form = ConsentForm() if gdpr_rights else None
    if consent_form is not None:
        consent_form.document_id.choices = [(0, "—")] + [
            (document.id, f"#{document.id} {requirement_title(document.requirement)} "
                          f"v{document.version}")
            for document in gdpr.consent_documents(db.session, participant)]
    years = current_app.config["RETENTION_YEARS"]
    found = {membership_id: [outcome.as_dict() for outcome in outcomes] for membership_id, outcomes
             in evaluate_memberships(db.session, memberships, today).items()}
    view = reader_view(db.session, current_user, found.values())
    outcomes = {membership_id: [Outcome(**shown) for shown in view.reasons(outcomes)]
                for membership_id, outcomes in found.items()}
    # the decision offered first follows the checks: never "eligible" when a blocking rule fails
    decision_forms = {membership.id: DecisionForm(formdata=None, status=(
        "ineligible" if any(outcome.blocks for outcome in outcomes[membership.id]) else "eligible"))
        for membership in memberships}
    # the managing authority may let a refused member of another project of the call in
    override_forms = {membership.id: DoubleFinancingOverrideForm(formdata=None)
                      for membership in memberships
                      if can(current_user, "participants.override_double_financing")
                      and any(outcome.kind == "not_in_other_project_of_call" and not outcome.passed
                              for outcome in outcomes[membership.id])}
    # ... and take an override it gave back
    withdraw_forms = {membership.id: DoubleFinancingOverrideForm(formdata=None)
                      for membership in memberships
                      if can(current_user, "participants.override_double_financing")
                      and membership.double_financing_override}
    return render_template(
        "participants/detail.html", participant=participant, memberships=memberships,
        outcomes=outcomes, today=today, override_forms=override_forms,
        withdraw_forms=withdraw_forms,
        locale=str(get_locale()), decision_forms=decision_forms, consent_form=consent_form,
        holds=gdpr.retention_holds(db.session, participant, years, today) if gdpr_rights else [],
        enrollments=enrollments_of(db.session, participant.id),
        retention_date=lambda project: gdpr.retention_date(project, years),
        checklist=checklist_for(db.session, participant, today=today)
        if can(current_user, "documents.read") else None)


def _form_choices(form: ParticipantForm) -> None:
    if current_user.role != Role.SME:
        form.enterprise_id.choices = [(0, "—")] + [tuple(row) for row in db.session.execute(
            scoped(select(Enterprise.id, Enterprise.name).order_by(Enterprise.name), Enterprise,
                   current_user))]
    form.project_id.choices = [tuple(row) for row in db.session.execute(
        scoped(select(Project.id, Project.code).order_by(Project.start_date.desc()), Project,
               current_user))]


def _save(participant: Participant | None):
    form = ParticipantForm(obj=participant)
    _form_choices(form)
    if request.method == "GET":
        if participant is None and current_user.role != Role.SME:
            form.enterprise_id.data = request.args.get("enterprise_id", type=an_id) or 0
            project = default_project(db.session, current_user)
            form.project_id.data = project.id if project else None
        form.isced.data = "" if form.isced.data is None else str(form.isced.data)
    if current_user.role == Role.SME:
        del form.enterprise_id  # an SME registers its own employees only
    if current_user.role == Role.SME or participant is not None:
        del form.project_id  # SMEs' employees join the current project; members stay members
    hidden = () if disclosure_for(current_user).special_categories else SPECIAL_CATEGORIES
    for name in hidden:
        del form[name]  # special-category data: neither shown nor overwritten
    if form.validate_on_submit():
        raw = {name: form[name].data for name in PARTICIPANT_COLUMNS
               if name in form and name != "enterprise_cui"}
        for name in hidden:
            raw[name] = getattr(participant, name) if participant else None
        employer = db.session.scalar(scoped(select(Enterprise).where(
            Enterprise.id == form.enterprise_id.data), Enterprise, current_user)) \
            if "enterprise_id" in form and form.enterprise_id.data else None
        raw["enterprise_cui"] = employer.cui if employer else None
        project = (db.session.scalar(scoped(select(Project).where(
            Project.id == form.project_id.data), Project, current_user)) if "project_id" in form
            else (None if participant else default_project(db.session)))
        try:
            participant = save_participant(
                db.session, participant, raw, project,
                only_enterprise_id=current_user.enterprise_id if current_user.role == Role.SME else None)
        except FieldProblems as problems:
            db.session.rollback()
            for name, message in problems.errors.items():
                form["enterprise_id" if name == "enterprise_cui" else name].errors.append(message)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=participant.full_name), "success")
            return redirect(url_for("participants.detail", participant_id=participant.id))
    return render_template("participants/form.html", form=form, participant=participant)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("participants.write")
def create():
    return _save(None)


@bp.route("/<int:participant_id>/edit", methods=["GET", "POST"])
@permission_required("participants.write")
def edit(participant_id: int):
    participant = get_visible_or_404(Participant, participant_id, current_user)
    if participant.pseudonymised_at is not None:
        flash(_("This person's data was erased; the record can no longer be edited."), "warning")
        return redirect(url_for("participants.detail", participant_id=participant.id))
    return _save(participant)


@bp.route("/memberships/<int:membership_id>/decide", methods=["POST"])
@permission_required("participants.decide")
def decide_membership(membership_id: int):
    membership = get_visible_or_404(Membership, membership_id, current_user)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decide(db.session, membership, form.status.data, user_id=current_user.id,
                   note=form.note.data or "", documents=_accepted_documents(membership))
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            flash(_("Decision recorded."), "success")
    else:
        flash(_("The decision was not recorded: choose eligible or ineligible."), "danger")
    return redirect(url_for("participants.detail", participant_id=membership.participant_id))


@bp.route("/memberships/<int:membership_id>/double-financing", methods=["POST"])
@permission_required("participants.override_double_financing")
def override_double_financing_page(membership_id: int):
    return _double_financing_decision(membership_id, override_double_financing,
                                      _("Double financing allowed for this project."))


@bp.route("/memberships/<int:membership_id>/double-financing/withdraw", methods=["POST"])
@permission_required("participants.override_double_financing")
def withdraw_double_financing_page(membership_id: int):
    return _double_financing_decision(
        membership_id, withdraw_double_financing_override,
        _("The double-financing override was withdrawn; the person's eligibility "
          "was checked again without it."))


def _double_financing_decision(membership_id: int, decide, done: str):
    """The authority's override, or its withdrawal, with the reason posted (both audited by
    `decide`); the person's page says how it went."""
    membership = get_visible_or_404(Membership, membership_id, current_user)
    form = DoubleFinancingOverrideForm()
    if form.validate_on_submit():
        try:
            decide(db.session, membership, form.reason.data or "", user=current_user)
        except Problems as problems:
            db.session.rollback()
            flash(str(problems), "danger")
        else:
            db.session.commit()
            flash(done, "success")
    else:
        flash(_("Nothing was changed: the reason is at most 500 characters."), "danger")
    return redirect(url_for("participants.detail", participant_id=membership.participant_id))


def _accepted_documents(membership: Membership) -> list[dict]:
    """Ids and hashes of the accepted documents of the person and the employer."""
    from trainhub.documents.models import Document, DocumentStatus

    person = membership.participant
    owners = Document.participant_id == person.id
    if person.enterprise_id:
        owners = owners | (Document.enterprise_id == person.enterprise_id)
    return [{"id": doc_id, "sha256": sha256} for doc_id, sha256 in db.session.execute(
        select(Document.id, Document.sha256).where(owners, Document.status == DocumentStatus.ACCEPTED)
        .order_by(Document.id))]


@bp.route("/register.xlsx")
@permission_required("participants.export")
def register_export():
    project_id = request.args.get("project", type=an_id)
    project = (get_visible_or_404(Project, project_id, current_user) if project_id
               else default_project(db.session, current_user))
    if project is None:
        abort(404)
    full = bool(request.args.get("full")) and can(current_user, "participants.export_full")
    if full:
        record(db.session, "register.export_full", project, {"project": project.code})
        db.session.commit()
    rows = register_size(db.session, project)
    if runs_as_job(rows, current_app.config):
        return start_job_page("export.register", {"full": full, "today": date.today().isoformat()},
                              project_id=project.id, total=rows)
    stream = register_workbook(db.session, project, full_cnp=full, today=date.today(),
                               special_categories=disclosure_for(current_user).special_categories)
    return download_response(stream, register_name(project), XLSX_TYPE)


# --- data protection: consent, export, erasure, retention, audit dossier -----------------

def _gdpr_subject(participant_id: int) -> Participant:
    """The person, if visible (else 404), and only for those who handle personal data (403)."""
    participant = get_visible_or_404(Participant, participant_id, current_user)
    if not can(current_user, "participants.gdpr"):
        abort(403)
    return participant


@bp.route("/memberships/<int:membership_id>/consent", methods=["POST"])
@permission_required("participants.read")
def consent(membership_id: int):
    membership = get_visible_or_404(Membership, membership_id, current_user)
    if not can(current_user, "participants.gdpr"):
        abort(403)
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            gdpr.record_consent(
                db.session, membership,
                given_at=datetime.combine(form.given_on.data, time(12, 0), tzinfo=UTC),
                text_version=form.text_version.data, method=form.method.data,
                document_id=form.document_id.data or None, user_id=current_user.id)
        except gdpr.ConsentRefused as problems:
            db.session.rollback()
            flash(_("The consent was not recorded: %(reasons)s", reasons=str(problems)), "danger")
        else:
            db.session.commit()
            flash(_("Consent recorded."), "success")
    else:
        flash(_("The consent was not recorded: %(errors)s",
                errors="; ".join(f"{form[name].label.text}: {' '.join(errors)}"
                                 for name, errors in form.errors.items())), "danger")
    return redirect(url_for("participants.detail", participant_id=membership.participant_id))


def _export_data(participant: Participant, export_format: str) -> dict:
    data = gdpr.subject_data(db.session, participant, today=date.today(),
                             years=current_app.config["RETENTION_YEARS"])
    record(db.session, "participant.export", participant, {"format": export_format})
    db.session.commit()
    return data


@bp.route("/<int:participant_id>/export.json")
@permission_required("participants.read")
def export_json(participant_id: int):
    participant = _gdpr_subject(participant_id)
    data = _export_data(participant, "json")
    return download_response(json.dumps(data, ensure_ascii=False, indent=2).encode(),
                             f"participant-{participant.id}.json", "application/json")


@bp.route("/<int:participant_id>/export.pdf")
@permission_required("participants.read")
def export_pdf(participant_id: int):
    participant = _gdpr_subject(participant_id)
    content = dossier.record_pdf(_export_data(participant, "pdf"), dossier.person_letterhead(
        db.session, participant, current_app.config["UPLOAD_DIR"]))
    return download_response(content, f"participant-{participant.id}.pdf", PDF)


@bp.route("/<int:participant_id>/erase", methods=["POST"])
@permission_required("participants.read")
def erase(participant_id: int):
    if _pseudonymise(_gdpr_subject(participant_id), "request",
                     _l("Erasure refused: %(reasons)s")):
        flash(_("The person's data was pseudonymised."), "success")
    return redirect(url_for("participants.detail", participant_id=participant_id))


def _pseudonymise(participant: Participant, reason: str, refused_message) -> bool:
    """Erase by pseudonymisation and commit; on refusal roll back and flash every reason."""
    try:
        gdpr.erase(db.session, participant, years=current_app.config["RETENTION_YEARS"],
                   today=date.today(), upload_dir=current_app.config["UPLOAD_DIR"],
                   user_id=current_user.id, reason=reason)
    except gdpr.ErasureRefused as problems:
        db.session.rollback()
        flash(str(refused_message) % {"reasons": str(problems)}, "danger")
        return False
    db.session.commit()
    return True


def _send_zip(people: list[Participant], filename: str, entity, details: dict):
    spool = dossier.dossier_zip(
        db.session, people, years=current_app.config["RETENTION_YEARS"], today=date.today(),
        upload_dir=current_app.config["UPLOAD_DIR"],
        verify_url=lambda token: url_for("verification.verify", token=token, _external=True))
    record(db.session, "dossier.download", entity, details)
    db.session.commit()
    return download_response(spool, filename, ZIP)


@bp.route("/<int:participant_id>/dossier.zip")
@permission_required("participants.read")
def dossier_download(participant_id: int):
    participant = _gdpr_subject(participant_id)
    return _send_zip([participant], f"dossier-{participant.id}.zip", participant,
                     {"participants": [participant.id]})


@bp.route("/cohorts/<int:cohort_id>/dossier.zip")
@permission_required("participants.gdpr")
def cohort_dossier(cohort_id: int):
    cohort = get_visible_or_404(Cohort, cohort_id, current_user)
    people = dossier.cohort_people(db.session, cohort)
    return _send_zip(people, f"dossier-{cohort.code}.zip", cohort,
                     {"participants": [person.id for person in people]})


@bp.route("/retention")
@permission_required("participants.retention")
def retention():
    return render_template(
        "participants/retention.html", years=current_app.config["RETENTION_YEARS"],
        due=gdpr.past_retention(db.session, current_app.config["RETENTION_YEARS"], date.today()))


@bp.route("/<int:participant_id>/retention-delete", methods=["POST"])
@permission_required("participants.retention")
def retention_delete(participant_id: int):
    participant = get_visible_or_404(Participant, participant_id, current_user)
    if _pseudonymise(participant, "retention expired", _l("Deletion refused: %(reasons)s")):
        flash(_("Participant #%(id)s pseudonymised.", id=participant_id), "success")
    return redirect(url_for("participants.retention"))
