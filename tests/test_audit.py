"""The audit trail records who changed what, before and after."""
from sqlalchemy import select

from tests.factories import EnterpriseFactory, UserFactory
from trainhub.audit.models import AuditEvent
from trainhub.audit.services import acting_as, record
from trainhub.extensions import db


def _events(entity_type: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == entity_type).order_by(AuditEvent.id)
    ).all()


def test_create_update_delete_are_recorded_with_before_and_after(app):
    user = UserFactory(role="coordinator")
    db.session.commit()
    with acting_as(user.id):
        firm = EnterpriseFactory(name="Alfa SRL", employees=5)
        db.session.commit()
        firm.name = "Alfa Tech SRL"
        db.session.commit()
        db.session.delete(firm)
        db.session.commit()
    create, update, delete = _events("enterprises")
    assert (create.action, create.user_id, create.entity_id) == ("create", user.id, firm.id)
    assert create.changes["name"] == [None, "Alfa SRL"]
    assert update.action == "update"
    assert update.changes == {"name": ["Alfa SRL", "Alfa Tech SRL"]}
    assert delete.action == "delete" and delete.changes["name"][0] == "Alfa Tech SRL"


def test_password_hashes_never_reach_the_trail(app):
    UserFactory()
    db.session.commit()
    (event,) = _events("users")
    assert "password_hash" not in event.changes


def test_domain_actions_are_recorded_with_details(app):
    firm = EnterpriseFactory()
    db.session.commit()
    record(db.session, "register.export_full_cnp", firm, {"rows": 12}, user_id=None)
    db.session.commit()
    event = _events("enterprises")[-1]
    assert (event.action, event.changes) == ("register.export_full_cnp", {"rows": 12})


def test_changes_made_through_the_web_carry_the_logged_in_user(app, auth):
    admin = UserFactory(email="admin@example.org", role="admin")
    target = UserFactory(email="t@example.org")
    db.session.commit()
    auth.login("admin@example.org")
    auth.post(f"/admin/users/{target.id}/active", {})
    event = _events("users")[-1]
    assert (event.user_id, event.entity_id, event.changes["active"]) == (admin.id, target.id, [True, False])


def test_admin_browses_and_filters_the_trail(app, auth, client):
    UserFactory(email="admin@example.org", role="admin")
    firm = EnterpriseFactory(name="Beta SRL")
    db.session.commit()
    auth.login("admin@example.org")
    html = client.get(f"/admin/audit/?entity_type=enterprises&entity_id={firm.id}").get_data(as_text=True)
    assert "Beta SRL" in html and "enterprises #" in html
    assert "Nothing recorded yet." in client.get("/admin/audit/?entity_type=none").get_data(as_text=True)


def test_audit_page_runs_a_constant_number_of_queries(app, auth, client, page_queries):
    UserFactory(email="admin@example.org", role="admin")
    db.session.commit()
    auth.login("admin@example.org")

    def queries_with(total: int) -> int:
        while db.session.query(AuditEvent).count() < total:
            EnterpriseFactory()
            db.session.commit()
        return page_queries("/admin/audit/")

    assert queries_with(10) == queries_with(100)
