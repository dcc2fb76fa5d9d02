"""The trainee's personal link: its lifecycle, the page under it, and that it shows nobody else."""
import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pypdf
from sqlalchemy import select

from tests.conftest import csrf_token_from
from tests.selfservice.conftest import PDF, issue, jpeg_bytes
from trainhub.audit.models import AuditEvent
from trainhub.core.models import utcnow
from trainhub.documents.models import Document, DocumentStatus
from trainhub.documents.services import review_queue
from trainhub.extensions import db
from trainhub.selfservice import services


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


# --- lifecycle -------------------------------------------------------------------------------

def test_a_live_link_opens_the_persons_page(app, client, trainees):
    response = client.get(issue(app, trainees.mine))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Ștefănescu Ana" in page and "SMIS-777001" in page
    assert response.headers["Cache-Control"] == "private, no-store"


def test_tampered_expired_revoked_and_replaced_links_are_dead(app, client, trainees):
    url = issue(app, trainees.mine)
    tampered = client.get(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
    assert tampered.status_code == 404
    body = tampered.get_data(as_text=True)
    assert 'data-testid="dead-link"' in body and "Linkul nu funcționează" in body
    assert "coordonatorul" in body  # how to get a new one, in Romanian
    made_up = client.get("/t/not-a-token")
    assert made_up.status_code == 404

    trainees.mine.link_issued_at = utcnow() - timedelta(days=app.config["TRAINEE_LINK_DAYS"],
                                                        minutes=1)
    db.session.commit()
    expired = client.get(url)
    assert expired.status_code == 410
    # a genuine old link and a made-up one look alike: nothing says the person exists
    assert expired.get_data(as_text=True) == body

    fresh = issue(app, trainees.mine)
    assert fresh != url and client.get(fresh).status_code == 200
    assert client.get(url).status_code == 410  # regenerated: the old one is dead

    services.revoke_link(db.session, trainees.mine, None)
    db.session.commit()
    assert client.get(fresh).status_code == 410
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("trainee_link.%"))).all()
    assert actions.count("trainee_link.issue") == 2 and "trainee_link.revoke" in actions


def test_a_signed_token_of_a_membership_that_does_not_exist_is_not_found(app, client, trainees):
    token = services._serializer(app.config["SECRET_KEY"]).dumps([999999, 1])
    assert client.get(f"/t/{token}").status_code == 404
    odd = services._serializer(app.config["SECRET_KEY"]).dumps({"m": 1})
    assert client.get(f"/t/{odd}").status_code == 404


def test_a_link_never_issued_does_not_open(app, client, trainees):
    token = services.link_token(app.config["SECRET_KEY"], trainees.mine)
    assert client.get(f"/t/{token}").status_code == 410


# --- isolation -------------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("img", "script", "link") and (attrs.get("src") or attrs.get("href")):
            self.links.append(attrs.get("src") or attrs.get("href"))


def test_crawl_from_a_trainee_link_shows_only_that_person(app, client, trainees):
    start = issue(app, trainees.mine)
    other = trainees.other.participant
    foreign = [other.last_name, other.first_name, other.cnp, "Beta Print", "bogdan"]
    seen, queue, pages = set(), [start], 0
    while queue:
        url = queue.pop()
        path = urlsplit(url).path
        if path in seen or urlsplit(url).netloc not in ("", "localhost"):
            continue
        seen.add(path)
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "application/pdf":
            text = pdf_text(response.data)
        elif response.mimetype == "text/html":
            text = response.get_data(as_text=True)
            parser = _Links()
            parser.feed(text)
            queue.extend(link for link in parser.links if not link.startswith("#"))
            pages += 1
        else:
            text = response.data.decode("utf-8", "replace")
        for value in foreign:
            assert value.lower() not in text.lower(), (url, value)
    # the page, its document, its certificate, its form were all reached
    assert pages >= 1
    assert any("/documents/" in path for path in seen)
    assert any("/certificates/" in path for path in seen)
    assert any(path.endswith("/registration-form.pdf") for path in seen)
    # somebody else's ids under this link are not found
    assert client.get(f"{start}/documents/{trainees.other_document_id}").status_code == 404
    assert client.get(f"{start}/certificates/{trainees.other_certificate_id}.pdf").status_code == 404
    assert client.get(f"{start}/documents/999999").status_code == 404


def test_an_upload_for_a_line_not_on_the_persons_checklist_is_refused(app, client, trainees):
    start = issue(app, trainees.mine)
    token = csrf_token_from(client.get(start).get_data(as_text=True))
    before = db.session.scalar(select(db.func.count(Document.id)))
    response = client.post(f"{start}/upload", data={
        "csrf_token": token, "requirement": "999999",
        "file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 404
    assert db.session.scalar(select(db.func.count(Document.id))) == before


# --- uploads ---------------------------------------------------------------------------------

def test_a_jpeg_photo_reaches_the_review_queue_as_a_one_page_pdf(app, client, trainees):
    start = issue(app, trainees.mine)
    page = client.get(start).get_data(as_text=True)
    assert 'accept="image/*,application/pdf" capture="environment"' in page
    diploma = trainees.requirement("diploma")
    response = client.post(f"{start}/upload", data={
        "csrf_token": csrf_token_from(page), "requirement": str(diploma.id),
        "file": (io.BytesIO(jpeg_bytes()), "IMG_0042.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.scalar(select(Document).where(
        Document.requirement_id == diploma.id,
        Document.participant_id == trainees.mine.participant_id))
    assert document.content_type == "application/pdf"
    assert document.original_name == "IMG_0042.pdf"
    assert document.status == DocumentStatus.PENDING and document.uploaded_by_id is None
    assert document in db.session.scalars(review_queue()).all()
    from trainhub.documents.services import document_path

    reader = pypdf.PdfReader(io.BytesIO(document_path(document).read_bytes()))
    assert len(reader.pages) == 1
    assert "primit" in client.get(start).get_data(as_text=True)  # the flash, in Romanian


def test_a_file_that_is_no_document_is_refused_and_nothing_is_stored(app, client, trainees):
    start = issue(app, trainees.mine)
    token = csrf_token_from(client.get(start).get_data(as_text=True))
    diploma = trainees.requirement("diploma")
    before = db.session.scalar(select(db.func.count(Document.id)))
    for data, name in ((b"MZ\x90\x00 not a document", "photo.jpg"),
                       (b"\xff\xd8\xff\xe0 broken jpeg", "broken.jpg")):
        response = client.post(f"{start}/upload", data={
            "csrf_token": token, "requirement": str(diploma.id),
            "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert response.status_code == 302
    assert db.session.scalar(select(db.func.count(Document.id))) == before


# --- consent ---------------------------------------------------------------------------------

def test_consent_needs_the_persons_name_and_the_tick_then_gives_a_receipt(app, client, trainees):
    start = issue(app, trainees.mine)
    token = csrf_token_from(client.get(start).get_data(as_text=True))
    for refused in ({"full_name": "Vulpescu Bogdan", "agree": "yes"},
                    {"full_name": "Ștefănescu Ana"}):
        client.post(f"{start}/consent", data={"csrf_token": token, **refused})
        db.session.refresh(trainees.mine)
        assert trainees.mine.consent_given_at is None
    assert client.get(f"{start}/consent.pdf").status_code == 404
    # case, diacritics (ş with cedilla too) and order do not matter
    client.post(f"{start}/consent", data={"csrf_token": token, "full_name": " ana  STEFANEŞCU ",
                                          "agree": "yes"})
    db.session.refresh(trainees.mine)
    assert trainees.mine.consent_given_at is not None
    assert trainees.mine.consent_method == "link personal"
    assert trainees.mine.consent_text_version == services.CONSENT_TEXT_VERSION
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "trainee_link.consent", AuditEvent.entity_id == trainees.mine.id))
    page = client.get(start).get_data(as_text=True)
    assert 'data-testid="consent-receipt"' in page
    receipt = client.get(f"{start}/consent.pdf")
    assert receipt.mimetype == "application/pdf"
    text = pdf_text(receipt.data)
    assert "Ștefănescu Ana" in text and services.CONSENT_TEXT_VERSION in text
    assert "link personal" in text and "SMIS-777001" in text


def test_names_match_is_tolerant_but_not_loose(trainees):
    person = trainees.mine.participant
    assert services.names_match("ȘTEFĂNESCU ANA", person)
    assert services.names_match("Ana Stefanescu", person)
    assert not services.names_match("Ana", person)
    assert not services.names_match("", person)
    assert not services.names_match("Ana Stefanescu Maria", person)


# --- attendance ------------------------------------------------------------------------------

def test_the_page_shows_attendance_with_the_grids_figures(app, client, trainees):
    page = client.get(issue(app, trainees.mine)).get_data(as_text=True)
    # two sessions of four hours attended out of three held: 8 hours, 67 %
    assert re.search(r"8(\.00)? (de )?ore", page), page
    assert "67%" in page
    assert 'data-testid="certificate"' in page


def test_the_page_runs_the_same_queries_for_few_and_many_sessions(app, client, trainees,
                                                                  count_queries):
    from datetime import date

    from tests.factories import TrainingSessionFactory
    from trainhub.courses.models import Cohort

    url = issue(app, trainees.mine)

    def measure() -> int:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    few = measure()
    cohort = db.session.get(Cohort, trainees.cohort_id)
    for n in range(8):
        TrainingSessionFactory(cohort=cohort, date=date(2026, 4, 1 + n))
    db.session.commit()
    assert measure() == few


def test_the_link_pages_are_rate_limited(app, client, trainees):
    app.config["TRAINEE_LINK_RATE_LIMIT"] = "3 per minute"
    statuses = [client.get(f"/t/guess-{n}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_an_erased_person_has_no_page(app, client, trainees):
    url = issue(app, trainees.mine)
    trainees.mine.participant.pseudonymised_at = utcnow()
    db.session.commit()
    assert client.get(url).status_code == 410


def test_a_consent_already_recorded_is_not_overwritten(app, client, trainees):
    from datetime import UTC, datetime

    signed = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    trainees.mine.consent_given_at = signed
    trainees.mine.consent_method = "formular de înregistrare semnat"
    db.session.commit()
    start = issue(app, trainees.mine)
    page = client.get(start).get_data(as_text=True)
    assert 'data-testid="consent-given"' in page and 'data-testid="consent-receipt"' not in page
    client.post(f"{start}/consent", data={"csrf_token": csrf_token_from(page),
                                          "full_name": "Ana Ștefănescu", "agree": "yes"})
    db.session.refresh(trainees.mine)
    assert trainees.mine.consent_method == "formular de înregistrare semnat"
    assert client.get(f"{start}/consent.pdf").status_code == 404


def test_a_transparent_png_also_becomes_a_pdf_and_odd_posts_never_crash(app, client, trainees):
    from PIL import Image

    start = issue(app, trainees.mine)
    token = csrf_token_from(client.get(start).get_data(as_text=True))
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 500), (0, 0, 0, 0)).save(buffer, format="PNG")
    line = trainees.requirement("no_double_financing")
    client.post(f"{start}/upload", data={
        "csrf_token": token, "requirement": str(line.id),
        "file": (io.BytesIO(buffer.getvalue()), "declaratie.png")},
        content_type="multipart/form-data")
    document = db.session.scalar(select(Document).where(Document.requirement_id == line.id))
    assert document.content_type == "application/pdf"
    for data in ({"requirement": "abc"}, {"requirement": str(line.id)}, {}):
        assert client.post(f"{start}/upload", data={"csrf_token": token, **data}).status_code in (
            302, 404)
    assert client.post(f"{start}/consent", data={"csrf_token": token}).status_code == 302
    assert client.post(f"{start}/consent", data={"csrf_token": token, "full_name": "x" * 5000,
                                                 "agree": "yes"}).status_code == 302
    db.session.refresh(trainees.mine)
    assert trainees.mine.consent_given_at is None


def test_the_page_links_the_six_month_questionnaire_until_it_is_answered(app, client, trainees):
    from trainhub.journey.models import FollowUp
    from trainhub.journey.services import answer_follow_up

    path = issue(app, trainees.mine)
    assert 'data-testid="follow-up"' not in client.get(path).get_data(as_text=True)
    follow_up = FollowUp(membership=trainees.mine, sent_at=utcnow())
    db.session.add(follow_up)
    db.session.commit()
    page = client.get(path).get_data(as_text=True)
    link = re.search(r'href="(/follow-up/[^"]+)" data-testid="follow-up"', page).group(1)
    assert client.get(link).status_code == 200
    answer_follow_up(db.session, follow_up, employed=True, better_job=False,
                     qualification_used=True)
    db.session.commit()
    assert 'data-testid="follow-up"' not in client.get(path).get_data(as_text=True)
