"""The EUR/RON rates page: everyone who manages calls sees the rates, admins record them."""
from decimal import Decimal

from sqlalchemy import select

from tests.factories import UserFactory
from trainhub.enterprises.models import NBR_ANNUAL_AVERAGES, EurRonRate
from trainhub.extensions import db


def test_the_table_starts_with_the_published_annual_averages(app):
    rates = {r.year: r.ron_per_eur for r in db.session.scalars(select(EurRonRate))}
    assert rates == NBR_ANNUAL_AVERAGES
    assert rates[2024] == Decimal("4.9746") and min(rates) == 2014


def test_an_admin_records_a_rate_in_romanian_format_and_bad_ones_are_refused(app, client, auth):
    admin = UserFactory(role="admin", locale="ro")
    db.session.commit()
    auth.login(admin.email)
    response = auth.post("/admin/calls/rates", {"year": "2025", "rate": "5,0410"})
    assert response.status_code == 302
    assert db.session.get(EurRonRate, 2025).ron_per_eur == Decimal("5.0410")
    assert "2025" in client.get("/admin/calls/rates").get_data(as_text=True)
    refused = auth.post("/admin/calls/rates", {"year": "2025", "rate": "0"})
    assert refused.status_code == 422
    assert "nu este un număr plauzibil de lei pentru un euro" in refused.get_data(as_text=True)
    refused = auth.post("/admin/calls/rates", {"year": "1800", "rate": "abc"})
    assert refused.status_code == 422 and "„abc” nu este un număr" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(EurRonRate, 2025).ron_per_eur == Decimal("5.0410")


def test_a_coordinator_reads_the_rates_without_the_form(app, client, auth):
    coordinator = UserFactory(role="coordinator")
    db.session.commit()
    auth.login(coordinator.email)
    page = client.get("/admin/calls/rates").get_data(as_text=True)
    assert "4.9746" in page and 'name="rate"' not in page


def test_the_rates_page_runs_a_constant_number_of_queries(app, auth, page_queries):
    admin = UserFactory(role="admin")
    db.session.commit()
    auth.login(admin.email)
    few = page_queries("/admin/calls/rates")
    db.session.add_all(EurRonRate(year=year, ron_per_eur=Decimal("4")) for year in range(1995, 2014))
    db.session.commit()
    assert page_queries("/admin/calls/rates") == few
