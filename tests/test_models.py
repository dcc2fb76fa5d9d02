"""Database constraints reject bad data loudly (IntegrityError), never silently."""
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from tests.factories import (
    AttendanceMarkFactory,
    CohortFactory,
    DocumentFactory,
    EnterpriseFactory,
    ParticipantFactory,
    TrainingSessionFactory,
    UserFactory,
    valid_cnp,
)
from trainhub.attendance.models import AttendanceMark, Certificate
from trainhub.enterprises.models import Enterprise, size_class_of
from trainhub.extensions import db
from trainhub.participants.models import Participant


@contextmanager
def rejected():
    """The block's writes must fail with IntegrityError when flushed."""
    with pytest.raises(IntegrityError):
        yield
        db.session.flush()
    db.session.rollback()


def test_duplicate_cnp_is_rejected(app):
    person = ParticipantFactory()
    with rejected():
        db.session.add(Participant(cnp=person.cnp, last_name="Alt", first_name="Om"))


def test_duplicate_cui_is_rejected(app):
    firm = EnterpriseFactory()
    with rejected():
        db.session.add(Enterprise(cui=firm.cui, name="Copie SRL", caen="6201", county="RO-B"))


def test_second_mark_for_the_same_session_and_enrollment_is_rejected(app):
    mark = AttendanceMarkFactory()
    with rejected():
        db.session.add(AttendanceMark(session=mark.session, enrollment=mark.enrollment,
                                      status="absent", hours=Decimal(0)))


def test_negative_hours_are_rejected(app):
    with rejected():
        AttendanceMarkFactory(hours=Decimal("-1"))


@pytest.mark.parametrize("field, value", [("status", "sleeping"), ("source", "telepathy")])
def test_mark_enums_are_checked(app, field, value):
    with rejected():
        AttendanceMarkFactory(**{field: value})


def test_session_must_end_after_it_starts(app):
    from datetime import time

    with rejected():
        TrainingSessionFactory(start_time=time(18, 0), end_time=time(16, 0), hours=Decimal(1))


def test_isced_out_of_range_is_rejected(app):
    with rejected():
        ParticipantFactory(isced=9)


def test_certificate_serial_is_unique(app):
    mark = AttendanceMarkFactory()
    other = AttendanceMarkFactory()
    with rejected():
        db.session.add_all([
            Certificate(enrollment=mark.enrollment, serial="TH-1", issued_on=date.today(), token="a"),
            Certificate(enrollment=other.enrollment, serial="TH-1", issued_on=date.today(), token="b"),
        ])


def test_cohort_capacity_must_be_positive(app):
    with rejected():
        CohortFactory(capacity=0)


def test_document_belongs_to_exactly_one_owner(app):
    with rejected():
        DocumentFactory(enterprise=EnterpriseFactory())


def test_rejected_document_needs_a_reason(app):
    with rejected():
        DocumentFactory(status="rejected", review_reason="")


def test_sme_user_needs_an_enterprise(app):
    with rejected():
        UserFactory(role="sme", enterprise_id=None)


def test_foreign_keys_are_enforced(app):
    with rejected():
        db.session.add(Participant(cnp=valid_cnp(), last_name="Pop", first_name="Ana",
                                   enterprise_id=999_999))


def test_sex_and_birth_date_are_derived_from_the_cnp(app):
    woman = ParticipantFactory(cnp=valid_cnp("F", date(1965, 2, 28)))
    assert (woman.sex, woman.birth_date) == ("F", date(1965, 2, 28))
    woman.cnp = valid_cnp("M", date(2001, 7, 1))
    db.session.flush()
    assert (woman.sex, woman.birth_date) == ("M", date(2001, 7, 1))


def test_region_and_size_class_are_derived(app):
    firm = EnterpriseFactory(county="RO-BV", employees=40, turnover_eur=Decimal("12000000"),
                             balance_eur=Decimal("9000000"))
    assert (firm.nuts2, firm.size_class) == ("RO12", "small")


@pytest.mark.parametrize("employees, turnover, balance, expected", [
    (9, 2_000_000, None, "micro"),
    (10, 2_000_000, 2_000_000, "small"),
    (9, 3_000_000, 1_000_000, "micro"),  # turnover over, balance under: either suffices
    (49, 10_000_001, 10_000_001, "medium"),
    (249, 60_000_000, 43_000_000, "medium"),
    (250, 1, 1, "large"),
    (100, 60_000_000, 50_000_000, "large"),
    (None, 1, 1, "unknown"),
    (5, None, None, "unknown"),
])
def test_size_class_follows_recommendation_2003_361(employees, turnover, balance, expected):
    to_money = lambda v: None if v is None else Decimal(v)  # noqa: E731
    assert size_class_of(employees, to_money(turnover), to_money(balance)) == expected
