"""The participants list's kept page (its rows and their markup, per data version): the same as a
page made afresh after every write, never another reader's, in the reader's language."""
import copy
import re
from datetime import date

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.sql.util import find_tables

from tests.conftest import Auth
from tests.factories import (
    CallFactory,
    CohortFactory,
    EnrollmentFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
    join_team,
)
from trainhub.auth.models import User
from trainhub.auth.scoping import scoped, visible_condition
from trainhub.core import counts
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.participants.models import Membership, Participant
from trainhub.participants.services import FLAG_FILTERS, participant_list, participant_rows
from trainhub.participants.views import LIST_TABLES
from trainhub.programme.models import ProjectMember


@pytest.fixture
def world(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, regions=["RO11", "RO12", "RO31"])
    other = ProjectFactory(call=call)
    coordinator = UserFactory(role="coordinator", email="coord@example.org")
    join_team(coordinator, project)
    other_coordinator = UserFactory(role="coordinator", email="other@example.org")
    join_team(other_coordinator, other)
    firm, second_firm = EnterpriseFactory(name="Alfa Soft SRL"), EnterpriseFactory(name="Beta SRL")
    UserFactory(role="sme", enterprise=firm, email="sme1@example.org")
    UserFactory(role="sme", enterprise=second_firm, email="sme2@example.org")
    UserFactory(role="authority", email="authority@example.org")
    for index in range(3):
        MembershipFactory(project=project, participant=ParticipantFactory(
            enterprise=firm, last_name=f"Alfa{index}", birth=date(1970, 1, 1 + index)))
    for index in range(2):
        MembershipFactory(project=other, eligibility_status="pending", participant=ParticipantFactory(
            enterprise=second_firm, last_name=f"Beta{index}", sex="F", birth=date(1990, 2, 1 + index)))
    ParticipantFactory(last_name="Nimeni")  # in no project yet: every coordinator sees them
    db.session.commit()
    return {"project": project, "other": other, "firm": firm}


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/participants/\d+">([^<]+)</a>', html)


def _page(client, url: str) -> str:
    """The page's HTML, its CSRF tokens (signed with the time) set aside."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1", client.get(url).get_data(
        as_text=True))


def _fresh(client, url: str) -> str:
    """The page made afresh: nothing kept (no count, no rows)."""
    counts._values.clear()
    counts._counts.clear()
    return _page(client, url)


def _renamed(world):
    db.session.scalars(select(Participant).where(Participant.last_name == "Alfa1")).one(
        ).last_name = "Zeta"


def _decided(world):
    db.session.execute(update(Membership).where(Membership.project_id == world["project"].id)
                       .values(eligibility_status="ineligible"))


def _added_to_project(world):
    MembershipFactory(project=world["project"], participant=db.session.scalars(
        select(Participant).where(Participant.last_name == "Beta0")).one())


def _removed_from_project(world):
    db.session.execute(delete(Membership).where(Membership.project_id == world["project"].id,
                                                Membership.participant_id == select(
                                                    Participant.id).where(
                                                    Participant.last_name == "Alfa0")
                                                .scalar_subquery()))


def _team_left(world):
    db.session.execute(delete(ProjectMember).where(ProjectMember.user_id == select(User.id).where(
        User.email == "coord@example.org").scalar_subquery()))


def _employer_renamed(world):
    db.session.execute(update(Enterprise).where(Enterprise.id == world["firm"].id)
                       .values(name="Gama Data SRL"))


def _new_first(world):
    MembershipFactory(project=world["project"], participant=ParticipantFactory(last_name="Aaron"))


WRITES = {"person renamed": _renamed, "eligibility decided": _decided,
          "added to the project": _added_to_project,
          "removed from the project": _removed_from_project, "team left": _team_left,
          "employer renamed": _employer_renamed, "new person on page 1": _new_first}


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("url", ["/participants/", "/participants/?page=2",
                                 "/participants/?q=a", "/participants/?employer=Alfa"])
def test_the_kept_page_is_the_fresh_page_after_every_kind_of_write(world, app, auth, client,
                                                                   write, url):
    app.config["PAGE_SIZE"] = 2
    auth.login("coord@example.org")
    before = _page(client, url)
    assert _page(client, url) == before == _fresh(client, url)
    client.get(url)  # kept again
    WRITES[write](world)
    db.session.commit()
    after = _page(client, url)
    assert after == _fresh(client, url)


def test_every_write_changes_the_first_page(world, app, auth, client):
    """The writes above are seen on the page they are checked on (else that check proves little)."""
    auth.login("coord@example.org")
    for write in sorted(WRITES.values(), key=lambda write: write is _team_left):
        before = _page(client, "/participants/")
        write(world)
        db.session.commit()
        assert _page(client, "/participants/") != before, write


def test_readers_of_different_scope_never_get_each_others_rows(world, app):
    expected, clients = {}, {}
    for email in ("coord@example.org", "other@example.org", "sme1@example.org",
                  "sme2@example.org", "authority@example.org"):
        user = db.session.scalar(select(User).where(User.email == email))
        expected[email] = [f"{person.last_name} {person.first_name}" for person in
                           db.session.scalars(scoped(participant_list(), Participant, user))]
        clients[email] = app.test_client()
        Auth(clients[email]).login(email)
    assert len({tuple(names) for names in expected.values()}) == len(expected)
    for _round in range(3):  # taking turns, each after the others' pages were kept
        for email, names in expected.items():
            for url in ("/participants/", "/participants/?page=1", "/participants/?q=a"):
                shown = _names(_page(clients[email], url))
                assert shown == [name for name in names if "a" in name.lower()
                                 or "q=" not in url], (email, url)


def test_a_trainers_kept_page_follows_their_enrollments(world, auth, client):
    trainer = UserFactory(role="trainer", email="trainer@example.org")
    join_team(trainer, world["project"])
    cohort = CohortFactory(project=world["project"], trainer=trainer)
    db.session.commit()
    auth.login("trainer@example.org")
    assert _names(_page(client, "/participants/")) == []
    EnrollmentFactory(cohort=cohort, membership=db.session.scalars(
        select(Membership).where(Membership.project_id == world["project"].id)
        .order_by(Membership.id)).first())
    db.session.commit()
    assert len(_names(_page(client, "/participants/"))) == 1


def test_a_language_switch_gives_the_other_languages_rows(world, auth, client):
    auth.login("coord@example.org")
    english = _page(client, "/participants/")
    assert ">Eligible<" in english
    auth.post("/language", {"locale": "ro", "next": "/"})
    romanian = _page(client, "/participants/")
    assert ">Eligibil<" in romanian and ">Eligible<" not in romanian
    assert romanian == _fresh(client, "/participants/")
    auth.post("/language", {"locale": "en", "next": "/"})
    assert _page(client, "/participants/") == english


def test_a_kept_page_reads_only_the_user_the_version_and_the_badge(world, app, auth, client,
                                                                   count_queries):
    """On a kept page: the user, the data version and the layout's badge (and the chosen
    employer when the link names one), however many rows."""
    auth.login("coord@example.org")
    firm = world["firm"].id
    for url, queries in (("/participants/", 3), ("/participants/?page=2&sex=M", 3),
                         (f"/participants/?enterprise={firm}", 4)):
        client.get(url)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        assert counter.count == queries, counter.statements
        for _ in range(20):
            MembershipFactory(project=world["project"], participant=ParticipantFactory(
                enterprise=world["firm"]))
        db.session.commit()
        client.get(url)
        with count_queries() as counter:
            client.get(url)
        assert counter.count == queries


@pytest.mark.parametrize("role", ["coordinator", "sme", "authority", "trainer", "admin"])
def test_the_kept_page_names_every_table_its_rows_read(world, role):
    """LIST_TABLES holds every table the rows, the count and the badges read for every reader
    and filter, and each is versioned (else the SQLite version would not follow it)."""
    user = UserFactory(role=role, enterprise=world["firm"] if role == "sme" else None)
    db.session.commit()
    filters = {"search": "a", "employer": "Alfa", "eligibility": "eligible", "enterprise_id": 1,
               "county": "RO-CJ", "sex": "F", "age_band": "25_54", "flags": tuple(FLAG_FILTERS),
               "today": date.today()}
    statements = [scoped(participant_rows(**filters), Participant, user, per_row=early)
                  for early in (True, False)]
    statements += [scoped(participant_list(**filters), Participant, user),
                   select(Membership.participant_id).where(visible_condition(Membership, user))]
    for stmt in statements:
        assert {table.name for table in find_tables(stmt)} <= LIST_TABLES
    assert LIST_TABLES <= set(counts.VERSIONED_TABLES)
