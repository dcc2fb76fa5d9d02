"""Every page of the demo, read by every role in Romanian, shows no English sentence and no raw
stored value (issue 15).

The walk takes every GET route: those without parameters, and those with parameters filled with
the demo's objects. The visible text (text nodes and the attributes people read) is checked
against a denylist of English words and phrases, and against every enum value of the models;
values written the same in both languages are ignored. Data typed by people (names, titles,
e-mails) is the demo's own Romanian text.
"""
import re
from collections.abc import Iterable
from enum import StrEnum
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.test_access_matrix import IGNORED_ENDPOINTS
from trainhub import demo
from trainhub.applications.models import Application
from trainhub.attendance.models import Certificate, MarkSource, MarkStatus
from trainhub.auth.models import Locale, Role, User
from trainhub.courses.models import (
    Cohort,
    Course,
    CourseCategory,
    EnrollmentStatus,
    Modality,
    TrainingSession,
)
from trainhub.documents.models import (
    Document,
    DocumentRequirement,
    DocumentStatus,
    MailStatus,
    RequirementLevel,
)
from trainhub.documents.services import upload_document
from trainhub.enterprises.models import Enterprise, SizeClass
from trainhub.extensions import db
from trainhub.participants.models import (
    Eligibility,
    EmploymentStatus,
    Environment,
    Membership,
    Participant,
)
from trainhub.programme.identity import PLACEHOLDERS
from trainhub.programme.models import Call, Project, ReportingPeriod

#: enum values that read the same in Romanian, or that never reach a page as a word
SAME_IN_BOTH = {"online", "csv", "qr", "ro", "en", "micro", "M", "F", "rural", "urban",
                "participant", "absent", "manual"}
ENUMS: tuple[type[StrEnum], ...] = (
    MarkStatus, MarkSource, Role, Locale, CourseCategory, Modality, EnrollmentStatus,
    DocumentStatus, RequirementLevel, MailStatus, SizeClass, Eligibility, EmploymentStatus,
    Environment)
RAW_VALUES = sorted({member.value for enum in ENUMS for member in enum} - SAME_IN_BOTH)

#: English words and phrases that are not Romanian words (whole words, case-sensitive; words
#: spelt alike in both, as "are", "Total", "Status", "Export", "Calendar", are left out)
ENGLISH = (
    "the", "The", "of", "and", "with", "from", "for", "is", "not", "no", "on", "to",
    "by", "or", "yes", "Yes", "No", "at", "in the",
    "missing", "Missing", "unknown", "Unknown", "employer", "Employer", "employment status",
    "size class", "Size class", "member of", "years", "age", "region", "over",
    "Participants", "participants", "above", "below", "Save", "Edit", "Cancel", "Search",
    "Enterprise", "Enterprises", "Course", "Courses", "Cohort", "Cohorts",
    "Name", "Men", "Women", "Download", "Upload", "Delete", "Back",
    "eligibility", "education level", "Micro enterprise", "Small enterprise",
    "Medium-sized enterprise", "headcount", "turnover", "balance sheet", "ceiling",
    "Quarter", "Semester", "Q1", "Q2", "warning", "blocking", "Eligible", "Ineligible", "Pending",
    "Woman", "Male", "Female", "hours", "Hours", "present",
    "saved", "Saved", "records", "form", "signed", "Sign in", "Log out", "Dashboard", "Documents",
    "Indicators", "Period", "Locked", "locked", "Rules", "Rule", "Message",
    "Severity", "Kind", "Code", "Label", "Target", "Pages", "Next", "Previous",
)
ENGLISH_PATTERN = re.compile(r"(?<![\w@./-])(" + "|".join(
    re.escape(word) for word in sorted(set(ENGLISH), key=len, reverse=True)) + r")(?![\w@/-])")
RAW_PATTERN = re.compile(r"(?<![\w@./-])(" + "|".join(
    re.escape(value) for value in sorted(RAW_VALUES, key=len, reverse=True)) + r")(?![\w@/-])")
#: e-mail addresses and web addresses are data, not sentences
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+|\b[\w-]+\.(?:ro|local|com|pdf|xlsx|csv|json|zip)\b")
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
PLACEHOLDER = re.compile(r"\{(?:" + "|".join(PLACEHOLDERS) + r")\}")


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes and labelling attributes, no script or style."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code", "pre"):
            self._hidden += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code", "pre"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return [ADDRESSES.sub(" ", part) for part in parser.parts]


def offences(html: str, data: set[str], identifiers: Iterable[str] = ()) -> list[str]:
    """Each piece of visible text that holds an English word or a raw stored value; `data`
    is text shown as typed, `identifiers` are codes people gave (a call's rule codes)."""
    codes = (re.compile(r"\b(?:" + "|".join(map(re.escape, identifiers)) + r")\b")
             if identifiers else None)
    found = []
    for part in visible_text(html):
        if part in data:
            continue
        part = PLACEHOLDER.sub(" ", part)  # certificate placeholders are codes, like {hours}
        if codes:
            part = codes.sub(" ", part)
        for pattern in (ENGLISH_PATTERN, RAW_PATTERN):
            match = pattern.search(part)
            if match:
                found.append(f"{match.group(1)!r} in {part[:160]!r}")
    return found


def test_the_check_catches_english_and_raw_values():
    assert offences("<p>employment status: employed</p>", set())
    assert offences("<td>cnc_programming</td>", set())
    assert offences('<span title="Size class">Mărime</span>', set())
    assert not offences("<p>Statut ocupațional: angajat</p><script>var the = 1;</script>", set())
    assert not offences("<p>scrieți la coordinator@trainhub.local</p>", set())


def _login(client, email: str, password: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, f"{email} could not log in"


def _demo_objects(email: str) -> dict[str, list]:
    """The ids each URL parameter takes for this reader: objects of every state the demo holds."""
    user = db.session.scalar(select(User).where(User.email == email))
    people = select(Participant).order_by(Participant.id)
    if user.enterprise_id:
        people = people.where(Participant.enterprise_id == user.enterprise_id)
    participants = db.session.scalars(people).all()
    by_status: dict[str, int] = {}
    for membership in db.session.scalars(select(Membership).where(
            Membership.participant_id.in_([p.id for p in participants]))):
        by_status.setdefault(membership.eligibility_status, membership.participant_id)
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.id)).all()
    enterprise_id = user.enterprise_id or db.session.scalar(
        select(Participant.enterprise_id).where(Participant.id == participants[0].id))
    sessions = [db.session.scalar(select(TrainingSession.id).where(
        TrainingSession.cohort_id == cohort.id).order_by(TrainingSession.date)) for cohort in cohorts]
    certificate = db.session.scalar(select(Certificate).order_by(Certificate.id))
    return {
        "participant_id": sorted(set(by_status.values())) or [participants[0].id],
        "enterprise_id": [enterprise_id],
        "course_id": [db.session.scalar(select(Course.id).order_by(Course.id))],
        "cohort_id": [cohort.id for cohort in cohorts],
        "session_id": [s for s in sessions if s][:2],
        "certificate_id": [certificate.id] if certificate else [],
        "token": ([certificate.token] if certificate else []) + _follow_up_tokens(),
        "call_id": [db.session.scalar(select(Call.id))],
        "period_id": [db.session.scalar(select(ReportingPeriod.id).order_by(ReportingPeriod.id))],
        "document_id": list(db.session.scalars(select(Document.id).order_by(Document.id))),
        "requirement_id": [db.session.scalar(select(DocumentRequirement.id)
                                             .order_by(DocumentRequirement.id))],
        "project_id": [db.session.scalar(select(Project.id))],
        "user_id": [user.id],
        "code": ["000000"],
        "project_code": [demo.DEMO_PROJECT_CODE],
        "application_id": list(db.session.scalars(select(Application.id).order_by(Application.id))),
        "assessment_kind": ["entry", "exit"],
        "membership_id": list(db.session.scalars(
            select(Membership.id).where(Membership.exit_date.is_not(None),
                                        Membership.participant_id.in_([p.id for p in participants]))
            .order_by(Membership.id).limit(1))),
    }


def _follow_up_tokens() -> list[str]:
    """The link of a follow-up questionnaire not answered yet (the public page it opens)."""
    from flask import current_app

    from trainhub.journey.models import FollowUp
    from trainhub.journey.services import follow_up_token

    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.answered_at.is_(None))
                                  .order_by(FollowUp.id).limit(1))
    return [follow_up_token(current_app.config["SECRET_KEY"], follow_up)] if follow_up else []


#: pages reached only with a query string, and list pages filtered to show every state
EXTRA_URLS = ("/indicators/cell?code=CO07", "/indicators/cell?code=TOTAL&sex=F",
              "/participants/?eligibility=ineligible", "/participants/?eligibility=pending",
              "/enterprises/?size=medium")


def _urls(app, objects: dict[str, list]) -> list[str]:
    from itertools import product

    from flask import url_for

    urls = list(EXTRA_URLS)
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if (rule.endpoint in IGNORED_ENDPOINTS or "GET" not in rule.methods
                    or rule.endpoint.startswith(("api.", "api-docs."))):
                continue
            names = sorted(rule.arguments)
            if any(not objects.get(name) for name in names):
                continue
            for values in product(*(objects[name] for name in names)):
                urls.append(url_for(rule.endpoint, **dict(zip(names, values, strict=True))))
    return urls


def _add_documents() -> None:
    """Uploaded documents of every status, so the document pages have rows."""
    from trainhub.documents.services import accept, reject

    person = db.session.scalar(select(Participant).order_by(Participant.id))
    requirements = db.session.scalars(select(DocumentRequirement).where(
        DocumentRequirement.level == RequirementLevel.PARTICIPANT)
        .order_by(DocumentRequirement.id)).all()
    coordinator = db.session.scalar(select(User).where(User.role == Role.COORDINATOR))
    documents = [upload_document(db.session, requirement, person, b"%PDF-1.4\n%%EOF\n",
                                 f"act{n}.pdf", coordinator.id)
                 for n, requirement in enumerate(requirements[:3])]
    accept(db.session, documents[0], coordinator.id)
    reject(db.session, documents[1], "Documentul nu este lizibil.", coordinator.id)
    db.session.commit()


def _data_of_the_demo() -> set[str]:
    """Text people typed into the demo (names, titles), shown as typed in any language."""
    texts = set()
    for model, columns in ((Enterprise, ("name", "locality")), (Participant, ("job_title",)),
                           (Course, ("title",)), (Cohort, ("code", "location")),
                           # the checklist editor shows both titles of a line, as typed
                           (DocumentRequirement, ("title_en",))):
        for row in db.session.execute(select(*(getattr(model, c) for c in columns))):
            texts.update(value for value in row if value)
    return texts


ADMIN_EMAIL = next(email for role, email, _password in demo.demo_logins() if role == "admin")


@pytest.mark.parametrize("email, password", [(None, None)] + [
    (email, password) for _role, email, password in demo.demo_logins()])
def test_every_page_reads_in_romanian(app, client, email, password):
    """Each demo account, and anonymous visitors (login, verification, check-in pages)."""
    demo.load_demo(db.session)
    _add_documents()
    if email:
        _login(client, email, password)
    found: dict[str, list[str]] = {}
    typed = _data_of_the_demo()
    for url in _urls(app, _demo_objects(email or ADMIN_EMAIL)):
        response = client.get(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        problems = offences(response.get_data(as_text=True), typed)
        if problems:
            found[url] = problems
    assert not found, "\n".join(f"{url}:\n  " + "\n  ".join(p) for url, p in found.items())


def _post(client, url: str, data: dict):
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    return client.post(url, data={"csrf_token": token} | data, follow_redirects=True)


def test_refusals_read_in_romanian(app, client):
    """What the rule editor, the reporting periods, the decision and the user form say when
    they refuse bad input."""
    demo.load_demo(db.session)
    password = next(p for _r, e, p in demo.demo_logins() if e == ADMIN_EMAIL)
    _login(client, ADMIN_EMAIL, password)
    call = db.session.scalar(select(Call))
    project = db.session.scalar(select(Project))
    codes = {rule["kind"]: rule["code"] for rule in call.rules}
    blocked = db.session.scalar(select(Membership).where(
        Membership.eligibility_status == Eligibility.INELIGIBLE))
    refusals = {
        "rules": _post(client, f"/admin/calls/{call.id}/rules", {
            f"{codes['age_between']}-severity": "fatal",
            f"{codes['age_between']}-min": "abc", f"{codes['age_between']}-max": "-3",
            f"{codes['employer_size_in']}-values": "huge",
            f"{codes['de_minimis_ceiling']}-ceiling_eur": "0"}),
        "period": _post(client, "/indicators/periods/new", {
            "project": project.id, "label": "", "start": "2026-06-30", "end": "2026-01-01"}),
        "decision": _post(client, f"/participants/memberships/{blocked.id}/decide",
                          {"status": "eligible"}),
        "user": _post(client, "/admin/users/new", {
            "email": ADMIN_EMAIL, "role": "sme", "password": "a-long-password-1"}),
    }
    found = {name: offences(response.get_data(as_text=True), _data_of_the_demo(),
                            codes.values())
             for name, response in refusals.items()}
    assert refusals["rules"].status_code == 422 and "vârsta minimă" in refusals["rules"].text
    assert not any(found.values()), found


def test_a_persons_eligibility_agrees_with_the_person(app, client):
    demo.load_demo(db.session)
    password = next(p for _r, e, p in demo.demo_logins() if e == ADMIN_EMAIL)
    _login(client, ADMIN_EMAIL, password)
    for sex, shown in (("F", ">Eligibilă<"), ("M", ">Eligibil<")):
        person = db.session.scalar(select(Participant).join(Membership).where(
            Participant.sex == sex, Membership.eligibility_status == Eligibility.ELIGIBLE))
        for url in (f"/participants/{person.id}", f"/participants/?q={person.cnp}",
                    f"/enterprises/{person.enterprise_id}"):
            assert shown in client.get(url).text, url
