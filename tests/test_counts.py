"""Kept list counts (trainhub/core/counts.py): exact after every kind of write, never stale."""
import copy
import re
from datetime import date

import pytest
from sqlalchemy import delete, func, select, text, update

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
from tests.imports.hand_made import FIRMS, people, register_xlsx
from trainhub.auth.scoping import scoped
from trainhub.core.counts import data_version, exact_count
from trainhub.demo import DEFAULT_RULES
from trainhub.enterprises.models import Enterprise
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.participants.models import Membership, Participant
from trainhub.participants.services import participant_list
from trainhub.programme.models import ProjectMember


@pytest.fixture
def world(app):
    project = ProjectFactory(call=CallFactory(code="POCU/3.12",
                                              rules=copy.deepcopy(DEFAULT_RULES)),
                             regions=["RO11", "RO12", "RO31"])
    other = ProjectFactory(call=project.call)
    coordinator = UserFactory(role="coordinator", email="coord@example.org")
    join_team(coordinator, project)
    firm = EnterpriseFactory(name="Alfa Soft SRL")
    for index in range(3):
        MembershipFactory(project=project, participant=ParticipantFactory(
            enterprise=firm, county="RO-CJ", birth=date(1970, 1, 1 + index)))
    MembershipFactory(project=other)  # another team's person
    ParticipantFactory(county="RO-CJ")  # in no project yet: every coordinator sees them
    db.session.commit()
    return {"project": project, "other": other, "coordinator": coordinator, "firm": firm}


def _count(user, **filters) -> tuple[int, int]:
    """(the kept count, a count made afresh) of the list `user` sees with `filters`."""
    stmt = scoped(participant_list(**filters), Participant, user)
    fresh = db.session.execute(select(func.count()).select_from(
        stmt.order_by(None).subquery())).scalar()
    return exact_count(db.session, stmt), fresh


def _plain_sql_insert(world):
    """A copy of a person with another CNP, written in plain SQL (no ORM event runs)."""
    columns = [column.name for column in Participant.__table__.columns
               if column.name not in ("id", "cnp")]
    db.session.execute(text(
        f"INSERT INTO participants (cnp, {', '.join(columns)}) SELECT '2900101123456', "
        f"{', '.join(columns)} FROM participants WHERE id = (SELECT MIN(id) FROM participants "
        "WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE participant_id = participants.id))"))


def _plain_sql_county(world):
    db.session.execute(text("UPDATE participants SET county = 'RO-B' WHERE id = "
                            "(SELECT MIN(participant_id) FROM memberships WHERE project_id = :p)"),
                       {"p": world["project"].id})


def _plain_sql_delete_membership(world):
    db.session.execute(text("DELETE FROM memberships WHERE project_id = :p AND participant_id = "
                            "(SELECT MIN(participant_id) FROM memberships WHERE project_id = :p)"),
                       {"p": world["project"].id})


def _orm_new_member(world):
    MembershipFactory(project=world["project"], participant=ParticipantFactory(county="RO-CJ"))


def _orm_county(world):
    db.session.scalars(select(Participant).order_by(Participant.id)).first().county = "RO-B"


def _orm_delete_person(world):
    db.session.delete(db.session.scalars(select(Participant).where(
        ~Participant.memberships.any())).one())


def _orm_bulk_eligibility(world):
    db.session.execute(update(Membership).where(Membership.project_id == world["project"].id)
                       .values(eligibility_status="ineligible"))


def _team_left(world):
    db.session.execute(delete(ProjectMember).where(
        ProjectMember.user_id == world["coordinator"].id))


def _team_joined(world):
    join_team(world["coordinator"], world["other"])


def _employer_renamed(world):
    db.session.execute(update(Enterprise).where(Enterprise.id == world["firm"].id)
                       .values(name="Beta Data SRL"))


def _imported(world):
    for firm in FIRMS:
        if db.session.scalar(select(Enterprise.id).where(Enterprise.cui == firm.cui)) is None:
            EnterpriseFactory(cui=firm.cui)
    db.session.commit()
    report = run_import(db.session, "participants", register_xlsx(people(4)), world["project"],
                        user_id=None)
    assert report.written, report.errors[:3]


WRITES = {
    "plain SQL insert": (_plain_sql_insert, {"county": "RO-CJ"}),
    "plain SQL update": (_plain_sql_county, {"county": "RO-CJ"}),
    "plain SQL delete": (_plain_sql_delete_membership, {"eligibility": "eligible"}),
    "ORM insert": (_orm_new_member, {}),
    "ORM update": (_orm_county, {"county": "RO-CJ"}),
    "ORM delete": (_orm_delete_person, {}),
    "ORM bulk update": (_orm_bulk_eligibility, {"eligibility": "eligible"}),
    "team left": (_team_left, {}),
    "team joined": (_team_joined, {}),
    "employer renamed": (_employer_renamed, {"employer": "Alfa"}),
    "import": (_imported, {}),
}


@pytest.mark.parametrize("write", WRITES)
def test_the_kept_count_follows_every_kind_of_write(world, write):
    change, filters = WRITES[write]
    user = world["coordinator"]
    before = _count(user, **filters)
    assert before[0] == before[1]
    assert _count(user, **filters) == before  # kept, still exact
    change(world)
    db.session.commit()
    kept, fresh = _count(user, **filters)
    assert kept == fresh != before[1]


def test_a_count_is_kept_while_nothing_changes(world, count_queries):
    user = world["coordinator"]
    _count(user)
    stmt = scoped(participant_list(), Participant, user)
    with count_queries() as counter:
        assert exact_count(db.session, stmt) == 4
    assert len(counter.statements) == 1  # the version only
    assert "count(" not in counter.statements[0].lower()


def test_the_version_changes_with_each_write_and_only_then(world):
    tables = {"participants", "memberships", "project_members"}
    first = data_version(db.session, tables)
    db.session.commit()
    assert first is not None and data_version(db.session, tables) == first
    _orm_county(world)
    db.session.commit()
    second = data_version(db.session, tables)
    assert second not in (None, first)


def test_a_rolled_back_write_leaves_no_count_behind(world):
    user = world["coordinator"]
    before = _count(user)
    _orm_new_member(world)
    db.session.flush()
    assert _count(user)[0] == before[0] + 1  # the writer sees its own row
    db.session.rollback()
    assert _count(user) == before
    _orm_new_member(world)  # another write whose count is the one rolled back
    db.session.commit()
    assert _count(user) == (before[0] + 1, before[0] + 1)


def test_a_trainers_count_follows_their_enrollments(world):
    """A trainer's people come from cohorts and enrollments, which the SQLite version does not
    follow: that count is never kept there."""
    trainer = UserFactory(role="trainer")
    join_team(trainer, world["project"])
    cohort = CohortFactory(project=world["project"], trainer=trainer)
    db.session.commit()
    assert _count(trainer) == (0, 0)
    EnrollmentFactory(cohort=cohort, membership=db.session.scalars(
        select(Membership).where(Membership.project_id == world["project"].id)).first())
    db.session.commit()
    assert _count(trainer) == (1, 1)


def test_the_list_page_shows_the_count_after_a_write(world, auth, client):
    auth.login("coord@example.org")

    def records() -> str:
        page = client.get("/participants/").get_data(as_text=True)
        return re.search(r"(\d+) (records|înregistrări)", page).group(1)

    assert records() == records() == "4"
    _plain_sql_insert(world)
    db.session.commit()
    assert records() == "5"


def test_early_and_deep_pages_list_every_visible_person_once_in_order(world, app, auth, client):
    """Pages up to EARLY_PAGES read row by row, later ones through the team's hash: together
    they are the list, in name order, with the same count."""
    from trainhub.participants.views import EARLY_PAGES

    app.config["PAGE_SIZE"] = 2
    for index in range(2 * EARLY_PAGES):
        MembershipFactory(project=world["project"], participant=ParticipantFactory(
            last_name=f"Nume{index:03d}", birth=date(1970, 1, 1 + index % 28)))
    MembershipFactory(project=world["other"], participant=ParticipantFactory(last_name="Ascuns"))
    db.session.commit()
    auth.login("coord@example.org")
    expected = [person.full_name for person in db.session.scalars(
        scoped(participant_list(), Participant, world["coordinator"]))]
    shown = []
    for number in range(1, (len(expected) + 1) // 2 + 1):
        page = client.get(f"/participants/?page={number}").get_data(as_text=True)
        shown += re.findall(r'<a href="/participants/\d+">([^<]+)</a>', page)
        assert f"{len(expected)} records" in page
    assert number > EARLY_PAGES and shown == expected and "Ascuns" not in " ".join(shown)


def test_the_list_keeps_a_count_for_each_reader_and_each_filter(world, auth, client):
    """The list page names its kept count by the reader's scope and its filters (not by the
    statement): each filter and each reader gets a count of its own, every one exact."""
    project, firm = world["project"], world["firm"]
    MembershipFactory(project=project, eligibility_status="ineligible", participant=ParticipantFactory(
        sex="F", birth=date(1995, 3, 1), county="RO-B", environment="rural", last_name="Ionescu",
        enterprise=EnterpriseFactory(name="Gama Consult SRL")))
    other_coordinator = UserFactory(role="coordinator", email="other@example.org")
    join_team(other_coordinator, world["other"])
    UserFactory(role="sme", enterprise=firm, email="sme@example.org")
    UserFactory(role="authority", email="authority@example.org")
    db.session.commit()
    searches = {"": {}, "?county=RO-B": {"county": "RO-B"}, "?sex=F": {"sex": "F"},
                "?sex=M": {"sex": "M"}, "?age=55_64": {"age_band": "55_64"},
                "?age=25_54": {"age_band": "25_54"}, "?eligibility=ineligible":
                {"eligibility": "ineligible"}, "?woman=1": {"flags": ("woman",)},
                "?rural=1": {"flags": ("rural",)}, "?age_55_64=1": {"flags": ("age_55_64",)},
                "?q=Ionescu": {"search": "Ionescu"}, "?employer=Gama": {"employer": "Gama"},
                f"?enterprise={firm.id}": {"enterprise_id": firm.id}}
    counts = set()
    for email in ("coord@example.org", "other@example.org", "sme@example.org",
                  "authority@example.org"):
        auth.login(email)
        user = db.session.scalar(select(type(world["coordinator"])).where(
            type(world["coordinator"]).email == email))
        for _round in range(2):  # the second round reads the kept counts
            for query, filters in searches.items():
                page = client.get(f"/participants/{query}").get_data(as_text=True)
                fresh = _count(user, **filters)[1]
                found = re.search(r"(\d+) (record|înregistr)", page)
                assert (int(found.group(1)) if found else 0) == fresh, (email, query)
                counts.add(fresh)
        auth.logout()
    assert len(counts) >= 4  # the filters and readers do tell the lists apart
