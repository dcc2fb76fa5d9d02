"""Indicator and snapshot endpoints: the same numbers as the pages, read-only, for readers."""
from datetime import date

from tests.api.test_api import assert_error, bearer
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory
from tests.indicators.test_computation import member
from trainhub.extensions import db
from trainhub.indicators.services import create_period, lock_period


def test_indicator_table_and_locked_snapshots(app, client):
    project = ProjectFactory(code="SMIS-API", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    member(project, entry=date(2026, 2, 1), sex="F")
    period = create_period(db.session, project, "Q1", date(2026, 1, 1), date(2026, 3, 31))
    lock_period(db.session, period, user_id=None)
    authority = UserFactory(role="authority")
    sme = UserFactory(role="sme", enterprise=EnterpriseFactory())
    db.session.commit()
    headers = bearer(authority)
    table = client.get(f"/api/v1/projects/{project.id}/indicators?from=2026-01-01&to=2026-03-31",
                       headers=headers).get_json()
    assert table["from"] == "2026-01-01" and table["indicators"][0] == {
        "code": "TOTAL", "label": "All participants", "men": 0, "women": 1, "total": 1}
    member(project, entry=date(2026, 3, 2))
    snapshots = client.get(f"/api/v1/periods/{period.id}/snapshots", headers=headers).get_json()
    assert [s["indicators"][0]["total"] for s in snapshots["snapshots"]] == [1]  # frozen
    assert_error(client.get(f"/api/v1/projects/{project.id}/indicators?from=2026-05-01&to=2026-01-01",
                            headers=headers), 422, "unprocessable_entity")
    assert_error(client.get(f"/api/v1/projects/{project.id}/indicators", headers=bearer(sme)),
                 403, "forbidden")
