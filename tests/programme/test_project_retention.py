"""A project may keep its records for its own number of years instead of RETENTION_YEARS."""
from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import MembershipFactory, ParticipantFactory, ProjectFactory
from trainhub.extensions import db
from trainhub.participants import gdpr
from trainhub.participants.models import Participant

TODAY = date(2026, 6, 1)


def test_a_project_with_its_own_years_overrides_the_default(app):
    own = ProjectFactory(start_date=date(2017, 1, 1), end_date=date(2020, 6, 30), retention_years=3)
    default = ProjectFactory(start_date=date(2017, 1, 1), end_date=date(2020, 6, 30))
    assert gdpr.retention_date(own, 10) == date(2023, 6, 30)
    assert gdpr.retention_date(default, 10) == date(2030, 6, 30)


def test_past_retention_and_holds_use_each_projects_years(app):
    short = ProjectFactory(start_date=date(2017, 1, 1), end_date=date(2020, 6, 30), retention_years=3)
    long = ProjectFactory(start_date=date(2017, 1, 1), end_date=date(2019, 6, 30), retention_years=20)
    only_short, both = ParticipantFactory(), ParticipantFactory()
    MembershipFactory(project=short, participant=only_short)
    MembershipFactory(project=short, participant=both)
    MembershipFactory(project=long, participant=both)
    db.session.commit()
    due = gdpr.past_retention(db.session, 10, TODAY)
    assert [(person.id, until) for person, until in due] == [(only_short.id, date(2023, 6, 30))]
    assert [(hold.project.id, hold.until) for hold in gdpr.retention_holds(
        db.session, both, 10, TODAY)] == [(long.id, date(2039, 6, 30))]


def test_erasure_refusal_names_the_projects_own_years(app, tmp_path):
    project = ProjectFactory(start_date=date(2017, 1, 1), end_date=date(2025, 12, 31), retention_years=7)
    person = ParticipantFactory()
    MembershipFactory(project=project, participant=person)
    db.session.commit()
    with pytest.raises(gdpr.ErasureRefused) as refused:
        gdpr.erase(db.session, person, years=10, today=TODAY, upload_dir=tmp_path, user_id=None)
    assert "2032-12-31" in str(refused.value) and "7 years" in str(refused.value)
    assert db.session.scalar(select(Participant.cnp).where(Participant.id == person.id)) == person.cnp
