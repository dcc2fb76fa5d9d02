"""The review queue's kept rows, count and filter options follow every write that changes them, and
its rows (made in Python) show each kind of owner, escaped."""
import re

import pytest
from sqlalchemy import delete, text, update

from tests.documents.conftest import PDF
from tests.factories import MembershipFactory, ParticipantFactory, ProjectFactory, join_team
from trainhub.core import counts
from trainhub.documents import services
from trainhub.documents.models import DocumentRequirement
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import Call, ProjectMember

URLS = ("/documents/review", "/documents/review?enterprise={firm}",
        "/documents/review?requirement={id_card}&page=1")


def _upload(programme, code, owner, name="act.pdf"):
    return services.upload_document(db.session, programme.requirement(code), owner, PDF, name,
                                    programme.sme.id)


@pytest.fixture
def queue(programme, auth):
    """The coordinator of the programme's project, signed in, with five uploads waiting."""
    join_team(programme.coordinator, programme.project)
    db.session.commit()
    uploads = [_upload(programme, "sme_declaration", programme.firm),
               _upload(programme, "id_card", programme.employees[0]),
               _upload(programme, "id_card", programme.employees[1]),
               _upload(programme, "id_card", programme.other_employee),
               _upload(programme, "sme_declaration", programme.other_firm)]
    auth.login(programme.coordinator.email)
    return uploads


def _pages(client, programme) -> list[str]:
    urls = [url.format(firm=programme.firm.id, id_card=programme.requirement("id_card").id)
            for url in URLS]
    return [re.sub(r'name="csrf_token" value="[^"]*"', "", client.get(url).get_data(as_text=True))
            for url in urls]


def _made_afresh(client, programme, monkeypatch) -> list[str]:
    """The same pages with nothing kept: no version, so every count and option is read."""
    with monkeypatch.context() as patched:
        patched.setattr(counts, "data_version", lambda *_args: None)
        return _pages(client, programme)


def _upload_more(programme, uploads):
    _upload(programme, "diploma", programme.employees[0])


def _accept(programme, uploads):
    services.accept(db.session, uploads[0], programme.coordinator.id)


def _plain_sql_reject(programme, uploads):
    db.session.execute(text("UPDATE documents SET status = 'rejected', review_reason = 'x' "
                            "WHERE id = :id"), {"id": uploads[3].id})


def _enterprise_renamed(programme, uploads):
    db.session.execute(update(Enterprise).where(Enterprise.id == programme.other_firm.id)
                       .values(name="Gamma & <Delta> SRL"))


def _person_renamed(programme, uploads):
    db.session.execute(update(Participant).where(Participant.id == programme.employees[1].id)
                       .values(last_name="O'Neil"))


def _employee_moved(programme, uploads):
    db.session.execute(update(Participant).where(Participant.id == programme.other_employee.id)
                       .values(enterprise_id=programme.firm.id))


def _line_retitled(programme, uploads):
    db.session.execute(update(DocumentRequirement)
                       .where(DocumentRequirement.id == programme.requirement("id_card").id)
                       .values(title_en="Identity card (both sides)"))


def _call_recoded(programme, uploads):
    db.session.execute(update(Call).where(Call.id == programme.call.id).values(code="POCU/9.9"))


def _person_to_another_team(programme, uploads):
    other = ProjectFactory(call=programme.call)
    db.session.flush()
    db.session.execute(update(Membership).where(
        Membership.participant_id == programme.employees[1].id).values(project_id=other.id))


def _team_left(programme, uploads):
    db.session.execute(delete(ProjectMember).where(
        ProjectMember.user_id == programme.coordinator.id))


WRITES = {"upload": _upload_more, "accept": _accept, "plain SQL reject": _plain_sql_reject,
          "enterprise renamed": _enterprise_renamed, "person renamed": _person_renamed,
          "employee moved": _employee_moved, "line retitled": _line_retitled,
          "call recoded": _call_recoded, "person to another team": _person_to_another_team,
          "team left": _team_left}


@pytest.mark.parametrize("write", WRITES)
def test_the_kept_count_and_options_follow_every_write(client, programme, queue, monkeypatch,
                                                       write):
    before = _pages(client, programme)
    assert _pages(client, programme) == before == _made_afresh(client, programme, monkeypatch)
    WRITES[write](programme, queue)
    db.session.commit()
    after = _pages(client, programme)
    assert after == _made_afresh(client, programme, monkeypatch)
    assert after != before


def test_the_page_count_and_options_are_kept_while_nothing_changes(client, programme, queue,
                                                               count_queries):
    client.get("/documents/review")
    with count_queries() as counter:
        html = client.get("/documents/review").get_data(as_text=True)
    assert "5 records" in html and ">Alfa SRL</option>" in html and ">Beta SRL</option>" in html
    read = [" ".join(statement.lower().split()) for statement in counter.statements]
    assert not [s for s in read if "count(*)" in s]
    assert not [s for s in read if s.startswith("select enterprises.id, enterprises.name")]
    assert not [s for s in read if "from document_requirements" in s]
    assert not [s for s in read if s.startswith("select documents.id, documents.uploaded_at")]


def test_each_kind_of_owner_is_shown_escaped(client, programme, queue):
    firm, person = programme.firm, programme.employees[0]
    firm.name, person.last_name, person.first_name = 'Alfa & "Fiii" <SRL>', "<b>Ionescu", "A&B"
    jobless = ParticipantFactory(enterprise=None, last_name="Fără", first_name="Angajator")
    MembershipFactory(project=programme.project, participant=jobless)
    db.session.commit()
    document = _upload(programme, "id_card", jobless)
    document.original_name = "it's <mine>.pdf"  # as an older upload could have kept it
    db.session.commit()
    html = client.get("/documents/review").get_data(as_text=True)
    assert "\n    Alfa &amp; &#34;Fiii&#34; &lt;SRL&gt;\n    \n  </td>" in html
    assert ("\n    &lt;b&gt;Ionescu A&amp;B<div class=\"text-muted\">"
            "Alfa &amp; &#34;Fiii&#34; &lt;SRL&gt;</div>\n  </td>") in html
    assert "\n    Fără Angajator\n  </td>" in html
    assert f'<a href="/documents/{document.id}">it&#39;s &lt;mine&gt;.pdf</a>' in html
    assert 'aria-label="Reason for rejecting it&#39;s &lt;mine&gt;.pdf"' in html
    assert html.count(f'name="document_ids" value="{document.id}"') == 1

