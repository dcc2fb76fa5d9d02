"""Column and constraint helpers used by the models of every area."""
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def one_of(column: str, choices: type[StrEnum], *, nullable: bool = False) -> CheckConstraint:
    """A check constraint that keeps `column` within the values of a StrEnum."""
    values = ", ".join(f"'{choice.value}'" for choice in choices)
    condition = f"{column} IN ({values})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"{column}_valid")


def non_negative(column: str) -> CheckConstraint:
    """A check constraint that refuses negative numbers in `column`."""
    return CheckConstraint(f"{column} IS NULL OR {column} >= 0", name=f"{column}_non_negative")


class TimestampMixin:
    """Adds created_at / updated_at maintained by the ORM."""

    #: when the row was created (UTC)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: when the row last changed (UTC)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


def apply_values(obj, values: dict) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def taken_by_another(db_session, column, value, current) -> bool:
    """Whether a row other than `current` already holds `value` in the unique `column`."""
    from sqlalchemy import select

    owner = db_session.scalar(select(column.class_.id).where(column == value))
    return owner is not None and (current is None or owner != current.id)
