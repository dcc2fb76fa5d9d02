"""The attendance grid page as served: its form posts back what it shows, values are escaped,
and the per-page links are the routes' own."""
from datetime import date, time
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from flask import url_for

from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    EnrollmentFactory,
    MembershipFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
)
from trainhub.attendance.grid_markup import session_heads
from trainhub.attendance.models import AttendanceMark
from trainhub.extensions import db

pytestmark = pytest.mark.usefixtures("one_team")

#: a remark and a name with every character HTML gives a meaning to
TRICKY = "\"><script>alert('x')</script> & <b>"


class _Form(HTMLParser):
    """What a browser without JavaScript posts for the grid's form: each select's selected
    option (else its first), each text input's value (empty when absent)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields, self.labels, self._select, self._first = {}, {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self._select, self._first = attrs["name"], None
            self.labels[attrs["name"]] = attrs.get("aria-label")
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = attrs["value"]
            if "selected" in attrs:
                self.fields[self._select] = attrs["value"]
        elif tag == "input" and attrs.get("name", "").startswith(("hours-", "remark-")):
            self.fields[attrs["name"]] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.fields.setdefault(self._select, self._first)
            self._select = None


def _form_of(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


@pytest.fixture
def grid_world(app):
    trainer = UserFactory(email="trainer@example.org", role="trainer")
    cohort = CohortFactory(trainer=trainer)
    sessions = [TrainingSessionFactory(cohort=cohort, date=day, start_time=time(16),
                                       end_time=time(20), hours=Decimal(4))
                for day in (date(2026, 3, 3), date(2026, 3, 5), date(2099, 1, 5))]
    people = [EnrollmentFactory(cohort=cohort, enrolled_on=enrolled, membership=MembershipFactory(
        project=cohort.project, participant=ParticipantFactory(last_name=last)))
        for last, enrolled in ((TRICKY, date(2026, 3, 1)), ("Popa", date(2026, 3, 4)))]
    AttendanceMarkFactory(session=sessions[0], enrollment=people[0], status="late",
                          hours=Decimal("2.5"), remark=TRICKY)
    AttendanceMarkFactory(session=sessions[1], enrollment=people[0], status="absent",
                          hours=Decimal(0), remark="")
    db.session.commit()
    return cohort, sessions, people


def _stored() -> dict:
    return {(m.session_id, m.enrollment_id): (m.status, m.hours, m.remark)
            for m in db.session.query(AttendanceMark)}


def test_the_grid_posted_back_as_shown_changes_nothing(grid_world, auth, client):
    cohort, (s1, s2, s3), (tricky, popa) = grid_world
    auth.login("trainer@example.org")
    before = _stored()
    form = _form_of(client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True))
    # the cells held and expected, with the stored marks; none for a session not yet held
    # or one before the enrollment date
    assert form.fields == {
        f"status-{s1.id}-{tricky.id}": "late", f"hours-{s1.id}-{tricky.id}": "2.5",
        f"remark-{s1.id}-{tricky.id}": TRICKY,
        f"status-{s2.id}-{tricky.id}": "absent", f"hours-{s2.id}-{tricky.id}": "0",
        f"remark-{s2.id}-{tricky.id}": "",
        f"status-{s2.id}-{popa.id}": "", f"hours-{s2.id}-{popa.id}": "",
        f"remark-{s2.id}-{popa.id}": ""}
    name = tricky.membership.participant.full_name
    assert name.startswith(TRICKY)
    assert form.labels[f"status-{s1.id}-{tricky.id}"] == f"{name} 2026-03-03"
    response = auth.post(f"/attendance/cohorts/{cohort.id}", form.fields, follow_redirects=True)
    assert "0 marks saved." in response.get_data(as_text=True)
    assert _stored() == before


def test_a_refused_grid_posted_back_as_shown_is_what_was_typed(grid_world, auth):
    cohort, (s1, _s2, _s3), (tricky, popa) = grid_world
    auth.login("trainer@example.org")
    typed = {f"status-{s1.id}-{tricky.id}": "present", f"hours-{s1.id}-{tricky.id}": "9",
             f"remark-{s1.id}-{tricky.id}": TRICKY + " again"}
    response = auth.post(f"/attendance/cohorts/{cohort.id}", typed)
    assert response.status_code == 422
    shown = _form_of(response.get_data(as_text=True)).fields
    assert {key: shown[key] for key in typed} == typed


def test_names_statuses_and_remarks_are_escaped_for_readers(grid_world, auth, client):
    cohort, _sessions, _people = grid_world
    UserFactory(email="sme@example.org", role="sme",
                enterprise=grid_world[2][0].membership.participant.enterprise)
    db.session.commit()
    for email in ("trainer@example.org", "sme@example.org"):
        auth.login(email)
        html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
        assert "<script>" not in html and "<b>" not in html
        assert "&#34;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in html
        auth.logout()
    # the reader sees the mark as text: status, hours, remark
    assert '>late · 2.5<br><span class="text-muted">&#34;&gt;&lt;script&gt;' in html


def test_column_links_are_the_routes_own(grid_world, app):
    _cohort, sessions, _people = grid_world
    with app.test_request_context("/", base_url="http://example.org/prefix"):
        for head in session_heads(sessions):
            session_id = head.session.id
            assert head.sheet_url == url_for("attendance.sign_in_sheet_pdf", session_id=session_id)
            assert head.week_url == url_for("attendance.sign_in_sheet_pdf", session_id=session_id,
                                            week=1)
            assert head.scan_url == url_for("attendance.signed_sheet", session_id=session_id)
            assert head.qr_url == url_for("attendance.session_qr", session_id=session_id)
            assert head.upload_url == url_for("attendance.upload_signed_sheet",
                                              session_id=session_id)
            assert head.sheet_url.startswith("/prefix/attendance/sessions/")


def test_column_headers_offer_qr_and_all_present_to_markers_only(grid_world, auth, client):
    cohort, (s1, s2, s3), people = grid_world
    UserFactory(email="sme@example.org", role="sme",
                enterprise=people[0].membership.participant.enterprise)
    db.session.commit()
    auth.login("trainer@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    # every session has its QR code; only the sessions held have "all present"
    assert all(f'href="/attendance/sessions/{s.id}/qr"' in html for s in (s1, s2, s3))
    assert [f'name="all_present" value="{s.id}"' in html for s in (s1, s2, s3)] == [
        True, True, False]
    # the marked sessions have no signed scan behind them yet; the one not held has no marks
    assert [f'data-testid="unbacked-{s.id}"' in html for s in (s1, s2, s3)] == [
        True, True, False]
    assert "03.03<br>" in html and '>4 h</span>' in html
    auth.logout()
    auth.login("sme@example.org")
    html = client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True)
    assert "/qr" not in html and "all_present" not in html
    assert f'href="/attendance/sessions/{s1.id}/sign-in-sheet.pdf?week=1"' in html


def test_each_reader_gets_the_grid_in_their_language(grid_world, auth, client):
    """The grid's labels, titles and formats are kept per language: a page in one never
    hands its texts to a reader of another."""
    cohort, (s1, _s2, _s3), (tricky, _popa) = grid_world
    UserFactory(email="ro@example.org", role="coordinator", locale="ro")
    UserFactory(email="en@example.org", role="coordinator", locale="en")
    db.session.commit()
    pages = {}
    for email in ("ro@example.org", "en@example.org", "ro@example.org"):
        auth.login(email)
        pages.setdefault(email, []).append(
            client.get(f"/attendance/cohorts/{cohort.id}").get_data(as_text=True))
        auth.logout()
    for html in pages["ro@example.org"]:
        assert '<option value="late" selected>întârziat</option>' in html
        assert 'aria-label="Ore"' in html and ">Încarcă</button>" in html
        assert '<td class="text-nowrap">2,5</td>' in html  # the attended hours, Romanian comma
    english = pages["en@example.org"][0]
    assert '<option value="late" selected>late</option>' in english
    assert 'aria-label="Hours"' in english and ">Upload</button>" in english
    assert '<td class="text-nowrap">2.5</td>' in english
    assert f'name="status-{s1.id}-{tricky.id}"' in english
