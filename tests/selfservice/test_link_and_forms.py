"""The team's side: making, showing (QR), e-mailing and revoking a link; the MySMIS forms."""
from datetime import date

from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token_from
from tests.selfservice.conftest import issue
from tests.selfservice.test_trainee_link import pdf_text
from trainhub.audit.models import AuditEvent
from trainhub.extensions import db
from trainhub.selfservice import views


def test_the_coordinator_makes_shows_mails_and_revokes_a_link(app, client, auth, trainees,
                                                              monkeypatch):
    sent = []
    monkeypatch.setattr(views, "send_mail_in_background",
                        lambda config, to, subject, body: sent.append((to, subject, body)))
    auth.login(trainees.coordinator_email, PASSWORD)
    person_page = client.get(f"/participants/{trainees.mine.participant_id}")
    link_page = f"/selfservice/memberships/{trainees.mine.id}/link"
    assert link_page in person_page.get_data(as_text=True)
    page = client.get(link_page).get_data(as_text=True)
    assert 'data-testid="no-link"' in page
    token = csrf_token_from(page)
    assert client.post(f"{link_page}/issue", data={"csrf_token": token}).status_code == 302
    page = client.get(link_page).get_data(as_text=True)
    db.session.refresh(trainees.mine)
    url = "/t/" + views.services.link_token(app.config["SECRET_KEY"], trainees.mine)
    assert url in page and 'data-testid="link-qr"' in page
    qr = client.get(f"{link_page}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml" and b"<svg" in qr.data

    client.post(f"{link_page}/email", data={"csrf_token": token})
    assert len(sent) == 1
    to, subject, body = sent[0]
    assert to == "ana@example.org" and url in body
    assert "Pagina dumneavoastră" in subject  # the trainee's mail is in Romanian

    auth.logout()
    assert client.get(url).status_code == 200
    auth.login(trainees.coordinator_email, PASSWORD)
    client.post(f"{link_page}/revoke", data={"csrf_token": auth.csrf_token(link_page)})
    auth.logout()
    assert client.get(url).status_code == 410
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_id == trainees.mine.id, AuditEvent.action.like("trainee_link.%"))))
    assert actions == {"trainee_link.issue", "trainee_link.mail", "trainee_link.revoke"}


def test_a_person_without_an_address_gets_no_mail(app, client, auth, trainees, monkeypatch):
    sent = []
    monkeypatch.setattr(views, "send_mail_in_background", lambda *args: sent.append(args))
    trainees.mine.participant.email = ""
    issue(app, trainees.mine)
    auth.login(trainees.coordinator_email, PASSWORD)
    link_page = f"/selfservice/memberships/{trainees.mine.id}/link"
    client.post(f"{link_page}/email", data={"csrf_token": auth.csrf_token(link_page)})
    assert sent == []


def test_registration_form_holds_the_persons_data_and_the_exit_part(app, client, auth,
                                                                    trainees):
    person = trainees.mine.participant
    auth.login(trainees.coordinator_email, PASSWORD)
    response = client.get(f"/selfservice/participants/{person.id}/registration-form.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in ("Ștefănescu", "Ana", person.cnp, "Feminin", "Cluj", "Alfa Soft SRL",
                     "Angajat", "SMIS-777001", "La ieșirea din operațiune",
                     "Uniunea Europeană", "Fondul Social European", "Cod SMIS"):
        assert expected in text, expected
    assert "Vulpescu" not in text
    trainees.mine.exit_date = date(2026, 3, 4)
    trainees.mine.entry_date = date(2026, 3, 3)
    trainees.mine.exit_reason = "a obținut o calificare"
    db.session.commit()
    text = pdf_text(client.get(
        f"/selfservice/participants/{person.id}/registration-form.pdf").data)
    assert "04.03.2026" in text and "a obținut o calificare" in text


def test_the_sme_gets_its_employees_form_without_special_categories(app, client, auth,
                                                                    trainees):
    person = trainees.mine.participant
    person.disability = True
    db.session.commit()
    auth.login(trainees.coordinator_email, PASSWORD)
    coordinator_text = pdf_text(client.get(
        f"/selfservice/participants/{person.id}/registration-form.pdf").data)
    assert "Persoană cu dizabilități Da" in coordinator_text.replace("\n", " ")
    auth.logout()
    auth.login(trainees.sme_email, PASSWORD)
    text = pdf_text(client.get(
        f"/selfservice/participants/{person.id}/registration-form.pdf").data)
    assert "Ștefănescu" in text
    assert "Persoană cu dizabilități Da" not in text.replace("\n", " ")
    other = trainees.other.participant
    assert client.get(
        f"/selfservice/participants/{other.id}/registration-form.pdf").status_code == 404
    assert client.get(
        f"/selfservice/enterprises/{other.enterprise_id}/entity-form.pdf").status_code == 404


def test_entity_form_holds_the_smes_data(app, client, auth, trainees):
    firm = trainees.mine.participant.enterprise
    auth.login(trainees.sme_email, PASSWORD)
    response = client.get(f"/selfservice/enterprises/{firm.id}/entity-form.pdf")
    text = pdf_text(response.data)
    for expected in ("Alfa Soft SRL", firm.cui, "Cluj", "6201", "Mică", "12",
                     "900.000,00 EUR", "Fondul Social European", "SMIS-777001", "Pagina 1 din"):
        assert expected in text, expected


def test_the_checklist_lines_link_their_prefilled_forms(app, client, auth, trainees):
    firm = trainees.mine.participant.enterprise
    auth.login(trainees.sme_email, PASSWORD)
    page = client.get(f"/documents/enterprises/{firm.id}").get_data(as_text=True)
    assert f"/selfservice/enterprises/{firm.id}/entity-form.pdf" in page
    assert (f"/selfservice/participants/{trainees.mine.participant_id}/registration-form.pdf"
            in page)
    trainee_page = client.get(issue(app, trainees.mine)).get_data(as_text=True)
    assert 'data-testid="registration-form"' in trainee_page


def test_demo_prints_a_trainee_link_that_opens_a_page_with_a_certificate(app, runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("link: trainee ")]
    assert len(lines) == 1
    url = lines[0].split()[2]
    assert url.startswith(app.config["BASE_URL"] + "/t/")
    page = client.get(url.removeprefix(app.config["BASE_URL"]))
    assert page.status_code == 200
    assert 'data-testid="certificate"' in page.get_data(as_text=True)
    again = runner.invoke(args=["demo"])  # printed again, the same live link
    assert lines[0] in again.output
