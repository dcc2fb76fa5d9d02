"""The import's bulk write path: the same rows, audit records, eligibility and facts as the ORM."""
import copy
import gc
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import String, cast, select

from tests.factories import (
    CallFactory,
    EnterpriseFactory,
    MembershipFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
    valid_cnp,
    valid_cui,
)
from trainhub.audit.models import AuditEvent
from trainhub.audit.services import _audited, _plain, acting_as, insert_audited, update_audited
from trainhub.core import bulk
from trainhub.demo import DEFAULT_RULES
from trainhub.extensions import db
from trainhub.imports.importers import run_import
from trainhub.imports.services import ImportFailed
from trainhub.indicators import facts
from trainhub.indicators.models import IndicatorFact
from trainhub.participants.eligibility import refresh
from trainhub.participants.models import Membership, Participant
from trainhub.participants.services import add_people

HEADER = "cnp,last_name,first_name,enterprise_cui,county,environment,isced,employment_status\n"


@pytest.fixture
def world(app):
    call = CallFactory(code="POCU/3.12", rules=copy.deepcopy(DEFAULT_RULES))
    project = ProjectFactory(call=call, code="SMIS-1", regions=["RO11"])
    other = ProjectFactory(call=call, code="SMIS-2", regions=["RO11"])
    near = EnterpriseFactory(cui=valid_cui(501))
    EnterpriseFactory(cui=valid_cui(502), county="RO-TM")  # outside the project's region
    user = UserFactory(email="importer@example.org", role="coordinator")
    known = ParticipantFactory(last_name="Avram", enterprise=near, birth=date(1975, 3, 3))
    MembershipFactory(project=other, participant=known, entry_date=date(2026, 1, 12))
    db.session.commit()
    return {"project": project, "user": user, "known": known}


def _file(world) -> bytes:
    rows = [
        f"{world['known'].cnp},Avram,Ion,{valid_cui(501)},Cluj,rural,6,employed",  # other project
        f"{valid_cnp('F', date(1970, 7, 7))},Bucur,Ana,{valid_cui(502)},Cluj,rural,2,employed",
        f"{valid_cnp('M', date(1970, 7, 7))},bucur ,Dan,{valid_cui(501)},Alba,urban,6,inactive",
        f"{valid_cnp('F', date(1990, 1, 1))},Cazan,Ema,,,,,",
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


def _import(world) -> None:
    with acting_as(world["user"].id):
        report = run_import(db.session, "participants", _file(world), world["project"],
                            user_id=world["user"].id)
    assert report.written and (report.created, report.updated) == (3, 1), report.errors


def test_new_people_and_members_are_audited_as_the_flush_audits_a_new_row(world):
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    _import(world)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before, AuditEvent.action.in_(
        ["create", "update"])).order_by(AuditEvent.id)).all()
    assert {e.user_id for e in events} == {world["user"].id}
    people = db.session.scalars(select(Participant).where(
        Participant.id != world["known"].id)).all()
    members = db.session.scalars(select(Membership).where(
        Membership.project_id == world["project"].id)).all()
    assert len(people) == 3 and len(members) == 4
    for row in [*people, *members]:
        created = [e for e in events if (e.entity_type, e.entity_id, e.action)
                   == (row.__tablename__, row.id, "create")]
        assert len(created) == 1
        keys = _audited(Participant.__mapper__ if isinstance(row, Participant)
                        else Membership.__mapper__)
        expected = {key: [None, _plain(getattr(row, key))] for key in keys}
        if isinstance(row, Membership):  # written pending, then evaluated
            expected["reasons"] = [None, []]
        assert created[0].changes == expected
    for membership in members:
        updates = [e.changes for e in events if (e.entity_type, e.entity_id, e.action)
                   == ("memberships", membership.id, "update")]
        assert updates == ([{"reasons": [[], membership.reasons]}] if membership.reasons else [])


def test_the_bulk_audit_record_holds_the_keys_the_flush_writes(world):
    _import(world)
    person = ParticipantFactory(last_name="Orm")  # the ORM's own create record
    db.session.commit()
    by_flush = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "participants", AuditEvent.entity_id == person.id))
    by_import = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "participants", AuditEvent.action == "create",
        AuditEvent.entity_id != person.id).limit(1))
    assert by_flush.changes.keys() == by_import.changes.keys()


def test_bulk_evaluation_agrees_with_refresh_and_the_facts_with_a_rebuild(world):
    _import(world)
    members = db.session.scalars(select(Membership).where(
        Membership.project_id == world["project"].id)).all()
    reasons = {m.participant.last_name.strip(): sorted(r["code"] for r in m.reasons)
               for m in members}
    assert reasons["Bucur"] == ["employer_region", "possible_duplicate"]
    assert reasons["bucur"] == ["employment_status", "possible_duplicate"]
    assert reasons["Avram"] == ["double_financing"]
    assert "employer" in reasons["Cazan"] and "mandatory_data" in reasons["Cazan"]
    stored = {m.id: m.reasons for m in members}
    refresh(db.session, members)
    assert {m.id: m.reasons for m in members} == stored
    db.session.rollback()

    def fact_rows():
        return sorted((f.membership_id, f.project_id, f.profile, f.enterprise_id)
                      for f in db.session.scalars(select(IndicatorFact)))

    by_triggers = fact_rows()  # the known person's entered membership in the other project
    assert len(by_triggers) == 1
    facts.rebuild(db.session.connection())
    assert fact_rows() == by_triggers


def test_insert_audited_fills_the_defaults_the_orm_fills(world):
    person = world["known"]
    project = ProjectFactory(call=world["project"].call, code="SMIS-3")
    written = insert_audited(db.session, Membership, [
        {"project_id": project.id, "participant_id": person.id}])
    by_orm = Membership(project_id=world["project"].id, participant_id=person.id)
    db.session.add(by_orm)
    db.session.flush()
    bulk = db.session.get(Membership, written[0]["id"])
    keys = [key for key in _audited(Membership.__mapper__) if key not in ("id", "project_id")]
    assert {k: getattr(bulk, k) for k in keys} == {k: getattr(by_orm, k) for k in keys}
    assert bulk.created_at is not None and bulk.updated_at is not None


def test_update_audited_writes_and_records_only_what_differs(world):
    membership = db.session.scalar(select(Membership))
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    update_audited(db.session, Membership, [
        (membership.id, {"reasons": []}, {"reasons": []}),
        (membership.id, {"exit_reason": ""}, {"exit_reason": "moved"})])
    new = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [(e.action, e.entity_id, e.changes) for e in new] == [
        ("update", membership.id, {"exit_reason": ["", "moved"]})]
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).exit_reason == "moved"


@pytest.mark.parametrize("content", [_file, lambda world: b"cnp,last_name\n123,X\n"])
def test_an_import_leaves_the_garbage_collector_as_it_found_it(world, content):
    assert gc.get_freeze_count() == 0
    try:
        run_import(db.session, "participants", content(world), world["project"], user_id=None)
    except ImportFailed:
        pass
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_an_import_keeps_what_the_server_froze_at_start(world):
    gc.freeze()  # as trainhub/serving.py does in each gunicorn worker
    try:
        frozen = gc.get_freeze_count()
        run_import(db.session, "participants", _file(world), world["project"], user_id=None)
        # still frozen (objects freed by reference counting leave the count, nothing else does)
        assert gc.get_freeze_count() > frozen * 0.9
    finally:
        gc.unfreeze()


def _stored(table, ids: list[int], leave_out: set[str]) -> list[dict]:
    """Rows of `table` as the database holds them, every value as its text (a JSON `null` and
    a NULL differ), in the order of `ids`."""
    rows = {row["id"]: row for row in db.session.execute(
        select(table.c.id, *(cast(column, String).label(column.key) for column in table.c
                             if column.key not in leave_out | {"id"}))
        .where(table.c.id.in_(ids))).mappings()}
    return [{key: value for key, value in rows[id_].items() if key != "id"} for id_ in ids]


def test_the_copy_on_postgresql_stores_what_an_insert_stores(world, monkeypatch):
    """insert_rows COPYs on PostgreSQL (elsewhere, and here for comparison, it INSERTs): the
    people, memberships, audit records and indicator facts are the same either way."""
    other = ProjectFactory(call=world["project"].call, code="SMIS-4", regions=["RO11"])
    employer = world["known"].enterprise
    db.session.commit()
    births = [date(1981, 2, 3), date(1999, 12, 31), date(1960, 6, 6)]

    def write(plain: bool) -> dict:
        if plain:
            monkeypatch.setattr(bulk, "_copy", bulk._insert)
        project = other if plain else world["project"]
        before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        with acting_as(world["user"].id):
            people = add_people(db.session, [
                {"cnp": valid_cnp(sex, born), "last_name": "Ștefănescu", "first_name": 'Ana "Zâna"',
                 "enterprise_id": employer.id if index else None, "county": "RO-CJ",
                 "environment": "rural", "isced": index + 2, "employment_status": "employed",
                 "disability": [None, True, False][index], "minority_or_migrant": None}
                for index, (sex, born) in enumerate(zip("FMF", births, strict=True))],
                {employer.id: employer})
            members = insert_audited(db.session, Membership, [
                {"project_id": project.id, "participant_id": person.id,
                 "eligibility_status": "eligible", "entry_date": date(2026, 1, 12 + index),
                 "reasons": [{"code": "x", "text": "„ă” \\ \t"}], "evidence": {"n": [1, 2.5, None]},
                 "decided_at": datetime(2026, 1, 12, 9, 30, tzinfo=UTC)}
                for index, person in enumerate(people)])
        person_ids, member_ids = [p.id for p in people], [m["id"] for m in members]
        assert [p.cnp for p in db.session.scalars(select(Participant).where(
            Participant.id.in_(person_ids)).order_by(Participant.id))] == [p.cnp for p in people]
        assert person_ids == sorted(person_ids) and member_ids == sorted(member_ids)
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)
                                    .order_by(AuditEvent.id)).all()
        keep = {"id", "cnp", "participant_id", "project_id"}
        facts = db.session.execute(select(IndicatorFact.profile, IndicatorFact.enterprise_id,
                                          IndicatorFact.entry_date).where(
            IndicatorFact.membership_id.in_(member_ids)).order_by(IndicatorFact.membership_id))
        return {
            "people": _stored(Participant.__table__, person_ids, {"cnp", "created_at", "updated_at"}),
            "members": _stored(Membership.__table__, member_ids,
                               {"project_id", "participant_id", "created_at", "updated_at"}),
            "events": [(e.user_id, e.action, e.entity_type,
                        {k: v for k, v in e.changes.items() if k not in keep}) for e in events],
            "facts": facts.all()}

    copied, inserted = write(plain=False), write(plain=True)
    assert len(copied["facts"]) == 3
    assert copied == inserted
    # the facts the insert trigger wrote (once per statement on PostgreSQL) are a rebuild's
    by_triggers = db.session.execute(select(IndicatorFact.__table__)).all()
    facts.rebuild(db.session.connection())
    assert sorted(db.session.execute(select(IndicatorFact.__table__)).all()) == sorted(by_triggers)
