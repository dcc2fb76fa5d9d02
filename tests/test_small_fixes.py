"""Smaller fixes found through the UI (issue 17): the decision offered, the review table, CSV
content types, the 404 page, locking a running period, the home page's indicators card."""
import copy
import re
from datetime import date, timedelta

import pytest

from tests.factories import CallFactory, MembershipFactory, ProjectFactory, UserFactory
from trainhub.demo import DEFAULT_RULES
from trainhub.extensions import db
from trainhub.indicators.models import IndicatorSnapshot
from trainhub.indicators.services import PeriodNotOver, create_period, lock_period

pytestmark = pytest.mark.usefixtures("one_team")  # one team runs every project here


@pytest.fixture
def coordinator(app, auth):
    user = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(user.email)
    return user


def _selected_decision(page: str) -> str:
    select = re.search(r'<select[^>]*name="status"[^>]*>(.*?)</select>', page, re.S).group(1)
    return re.search(r'<option[^>]*selected[^>]*value="(\w+)"|<option value="(\w+)"[^>]*selected',
                     select).group(0)


def test_the_decision_offered_is_ineligible_when_a_blocking_check_fails(coordinator, client):
    project = ProjectFactory(call=CallFactory(rules=copy.deepcopy(DEFAULT_RULES)),
                             regions=["RO11", "RO12"])
    failing = MembershipFactory(project=project, eligibility_status="pending",
                                participant__employment_status="unemployed")
    passing = MembershipFactory(project=project, eligibility_status="pending")
    db.session.commit()
    page = client.get(f"/participants/{failing.participant_id}").get_data(as_text=True)
    assert "ineligible" in _selected_decision(page)
    page = client.get(f"/participants/{passing.participant_id}").get_data(as_text=True)
    assert '"eligible"' in _selected_decision(page)


def test_csv_downloads_name_the_charset_once(coordinator, client):
    project = ProjectFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    db.session.commit()
    response = client.get(f"/indicators/export?project={project.id}&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_404_page_offers_the_dashboard_only_to_signed_in_users(app, client, auth):
    anonymous = client.get("/verify/no-such-token").get_data(as_text=True)
    assert "/login" in anonymous and 'href="/"' not in anonymous.split("<main")[-1]
    UserFactory(email="someone@example.org", role="coordinator")
    db.session.commit()
    auth.login("someone@example.org")
    signed_in = client.get("/courses/cohorts/999999").get_data(as_text=True)
    assert 'href="/"' in signed_in.split("<main")[-1]


def test_locking_a_period_that_has_not_ended_needs_a_confirmation(coordinator, auth, client):
    project = ProjectFactory()
    period = create_period(db.session, project, "running", date.today() - timedelta(days=30),
                           date.today() + timedelta(days=30))
    db.session.commit()
    with pytest.raises(PeriodNotOver):
        lock_period(db.session, period, user_id=None)
    page = client.get(f"/indicators/periods/{period.id}").get_data(as_text=True)
    assert 'data-testid="confirm-early"' in page
    auth.post(f"/indicators/periods/{period.id}/lock")
    assert db.session.query(IndicatorSnapshot).count() == 0
    auth.post(f"/indicators/periods/{period.id}/lock", {"confirm_early": "yes"})
    assert db.session.query(IndicatorSnapshot).count() == 1


def test_the_home_page_links_the_indicators_instead_of_coming_soon(coordinator, client):
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="indicators-card"' in page and 'data-testid="placeholder"' not in page
    assert 'href="/indicators/"' in page


def test_review_buttons_stay_in_their_cell(coordinator, client):
    css = client.get("/static/trainhub.css").get_data(as_text=True)
    assert ".review-actions" in css and ".review-reason" in css
