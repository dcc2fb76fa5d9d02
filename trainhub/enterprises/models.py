"""SMEs taking part in a programme, with their size data and de minimis aids."""
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.geography import region_of
from trainhub.core.models import TimestampMixin, non_negative, one_of
from trainhub.extensions import db


class SizeClass(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    UNKNOWN = "unknown"


class Enterprise(TimestampMixin, db.Model):
    """An SME (or would-be SME) whose employees are trained."""

    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("length(caen) = 4", name="caen_four_digits"),
        one_of("size_class", SizeClass),
        non_negative("employees"),
        non_negative("turnover_eur"),
        non_negative("balance_eur"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: fiscal code, checked with stdnum.ro.cui and stored as digits without `RO`
    cui: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    #: main activity, CAEN rev. 2, four digits
    caen: Mapped[str] = mapped_column(String(4))
    #: ISO 3166-2:RO code, e.g. `RO-B`
    county: Mapped[str] = mapped_column(String(5), index=True)
    locality: Mapped[str] = mapped_column(String(120), default="")
    #: NUTS2 region derived from the county
    nuts2: Mapped[str | None] = mapped_column(String(4))
    employees: Mapped[int | None]
    turnover_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    balance_eur: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    #: derived from headcount and money figures (Recommendation 2003/361/EC)
    size_class: Mapped[str] = mapped_column(String(10), default=SizeClass.UNKNOWN.value, index=True)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")

    aids: Mapped[list["DeMinimisAid"]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="DeMinimisAid.granted_on"
    )
    employees_list = relationship("Participant", back_populates="enterprise")

    def __repr__(self) -> str:
        return f"<Enterprise {self.cui} {self.name}>"


class DeMinimisAid(db.Model):
    """A de minimis state aid the enterprise received (counts towards the 3-year ceiling)."""

    __tablename__ = "de_minimis_aids"
    __table_args__ = (non_negative("amount_eur"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    granted_on: Mapped[date] = mapped_column(Date)
    amount_eur: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    source: Mapped[str] = mapped_column(String(300), default="")

    enterprise: Mapped[Enterprise] = relationship(back_populates="aids")


def size_class_of(
    employees: int | None, turnover_eur: Decimal | None, balance_eur: Decimal | None
) -> SizeClass:
    """SME size class by headcount AND (turnover OR balance sheet), DESIGN §5.2."""
    if employees is None or (turnover_eur is None and balance_eur is None):
        return SizeClass.UNKNOWN
    million = Decimal(1_000_000)
    turnover = Decimal(turnover_eur) if turnover_eur is not None else None
    balance = Decimal(balance_eur) if balance_eur is not None else None
    for size, headcount, max_turnover, max_balance in (
        (SizeClass.MICRO, 10, 2 * million, 2 * million),
        (SizeClass.SMALL, 50, 10 * million, 10 * million),
        (SizeClass.MEDIUM, 250, 50 * million, 43 * million),
    ):
        money_ok = (turnover is not None and turnover <= max_turnover) or (
            balance is not None and balance <= max_balance
        )
        if employees < headcount and money_ok:
            return size
    return SizeClass.LARGE


@event.listens_for(Enterprise, "before_insert")
@event.listens_for(Enterprise, "before_update")
def _derive_enterprise_fields(_mapper, _connection, enterprise: Enterprise) -> None:
    enterprise.nuts2 = region_of(enterprise.county)
    enterprise.size_class = size_class_of(
        enterprise.employees, enterprise.turnover_eur, enterprise.balance_eur
    ).value


#: the National Bank of Romania's annual average EUR/RON rates (lei for one euro), the
#: seed of the rates table (DESIGN §13 "Money in lei"); admins add later years
NBR_ANNUAL_AVERAGES = {
    2014: Decimal("4.4446"), 2015: Decimal("4.4450"), 2016: Decimal("4.4908"),
    2017: Decimal("4.5681"), 2018: Decimal("4.6535"), 2019: Decimal("4.7452"),
    2020: Decimal("4.8371"), 2021: Decimal("4.9204"), 2022: Decimal("4.9315"),
    2023: Decimal("4.9465"), 2024: Decimal("4.9746"),
}


class EurRonRate(db.Model):
    """The annual average EUR/RON rate of one financial year: amounts in lei become EUR."""

    __tablename__ = "eur_ron_rates"
    __table_args__ = (CheckConstraint("ron_per_eur > 0", name="ron_per_eur_positive"),
                      CheckConstraint("year BETWEEN 1990 AND 2100", name="year_plausible"))

    #: the financial year
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: lei for one euro, the year's average
    ron_per_eur: Mapped[Decimal] = mapped_column(Numeric(8, 4))


def seed_rates(connection) -> None:
    """Record the published rates (the migration, `create_all` and emptied test databases)."""
    connection.execute(EurRonRate.__table__.insert(), [
        {"year": year, "ron_per_eur": rate} for year, rate in NBR_ANNUAL_AVERAGES.items()])


@event.listens_for(EurRonRate.__table__, "after_create")
def _seed_new_table(_target, connection, **_kw) -> None:
    seed_rates(connection)
