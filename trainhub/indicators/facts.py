"""Who counts in the indicators, with what facts, and the trigger-kept table that holds them.

The indicator table is read on every dashboard, export and API call. Instead of joining
memberships, participants and enrollments each time, it reads `indicator_facts`: one row per
counted membership whose facts (sex, status, ISCED, flags, completion, age at entry) are packed
into one integer, the profile, so the table is one GROUP BY over an index.

Database triggers on the source tables rewrite a membership's row in the same transaction as
every write, whatever made it (form, import, API, bulk SQL, a later migration). The row is
built by the same expressions the live computation uses (services.counted_subquery), and
locked snapshots are still computed live; a property test holds the two to the same answers.
"""
import operator
from dataclasses import dataclass
from functools import reduce

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    and_,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    table,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from trainhub.courses.models import Enrollment, EnrollmentStatus
from trainhub.extensions import db
from trainhub.indicators.models import IndicatorFact
from trainhub.participants.models import (
    Eligibility,
    EmploymentStatus,
    Environment,
    Membership,
    Participant,
    Sex,
)


class age_at(FunctionElement):
    """Full years from the first date (birth) to the second (entry), 29 February included.

    PostgreSQL: years of `age(entry, birth)`. SQLite keeps dates as ISO text, where cutting
    the text is much cheaper than strftime: years apart, less one before the birthday.
    """

    type = Integer()
    inherit_cache = True


@compiles(age_at)
def _age_at_default(element, compiler, **kw):
    birth, entry = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(YEAR FROM age({entry}, {birth})) AS INTEGER)"


@compiles(age_at, "sqlite")
def _age_at_sqlite(element, compiler, **kw):
    birth, entry = (compiler.process(arg, **kw) for arg in element.clauses)
    return (f"(CAST(substr({entry}, 1, 4) AS INTEGER) - CAST(substr({birth}, 1, 4) AS INTEGER)"
            f" - (substr({entry}, 6, 5) < substr({birth}, 6, 5)))")


def counted_conditions() -> tuple:
    """A membership counts (DESIGN §8): eligible, entered, employment status and ISCED known."""
    return (Membership.eligibility_status == Eligibility.ELIGIBLE,
            Membership.entry_date.is_not(None),
            Participant.employment_status.is_not(None), Participant.isced.is_not(None))


def completed_exists():
    """The membership has a completed enrollment (CR03)."""
    return exists().where(Enrollment.membership_id == Membership.id,
                          Enrollment.status == EnrollmentStatus.COMPLETED)


@dataclass(frozen=True)
class Fact:
    """One digit of the profile: code 0 is "none of these" (NULL), values[i] is code i + 1."""

    name: str
    values: tuple
    type_: type = String

    @property
    def radix(self) -> int:
        return len(self.values) + 1

    def encode(self, column):
        return case(*((column == value, code) for code, value in enumerate(self.values, 1)),
                    else_=0)

    def decode(self, code):
        return case(*((code == i, literal(value, self.type_()))
                      for i, value in enumerate(self.values, 1)), else_=null())


@dataclass(frozen=True)
class NumberFact(Fact):
    """A digit holding a whole number from 0 to len(values) - 1 (ISCED level, age)."""

    type_: type = Integer

    def encode(self, column):
        return case((column.between(0, len(self.values) - 1), column + 1), else_=0)

    def decode(self, code):
        return case((code > 0, code - 1), else_=null())


@dataclass(frozen=True)
class FlagFact(Fact):
    """A yes/no digit (NULL, false, true)."""

    values: tuple = (False, True)
    type_: type = Boolean
    nullable: bool = True

    def encode(self, column):
        if not self.nullable:  # an EXISTS: tested once, not once per answer
            return case((column, 2), else_=1)
        return case((column.is_(True), 2), (column.is_(False), 1), else_=0)


#: the facts of a counted membership, least significant digit first; an age outside 0–149
#: (which only a data error could give) reads back as unknown
FACTS = (
    Fact("sex", tuple(Sex)),
    Fact("status", tuple(EmploymentStatus)),
    NumberFact("isced", tuple(range(9))),
    FlagFact("minority"),
    FlagFact("disability"),
    Fact("environment", tuple(Environment)),
    FlagFact("completed", nullable=False),
    NumberFact("age", tuple(range(150))),
)


def live_facts() -> dict:
    """{fact name: the expression computing it from memberships and participants}."""
    return {"sex": Participant.sex, "status": Participant.employment_status,
            "isced": Participant.isced, "minority": Participant.minority_or_migrant,
            "disability": Participant.disability, "environment": Participant.environment,
            "completed": completed_exists(),
            "age": age_at(Participant.birth_date, Membership.entry_date)}


def profile_of(columns: dict):
    """The facts packed into one integer, each digit its fact's code."""
    digits, weight = [], 1
    for fact in FACTS:
        digits.append(fact.encode(columns[fact.name]) * weight)
        weight *= fact.radix
    return reduce(operator.add, digits)


def unpack(profile) -> dict:
    """{fact name: its value read back out of a profile expression}."""
    columns, weight = {}, 1
    for fact in FACTS:
        columns[fact.name] = fact.decode((profile // weight) % fact.radix)
        weight *= fact.radix
    return columns


# --- the triggers ----------------------------------------------------------------------

@dataclass(frozen=True)
class Trigger:
    """Rewrites the facts of the memberships `which` selects after `event` on `table`."""

    name: str
    table: str
    event: str
    which: object  # a condition on memberships, naming NEW/OLD
    #: on PostgreSQL, the condition naming the statement's inserted rows (NEW_ROWS) instead:
    #: the trigger then runs once per statement, not once per row (a bulk insert's many rows)
    which_inserted: object = None


#: the rows a statement inserted, as a PostgreSQL statement trigger sees them
NEW_ROWS = "new_rows"


def _new(column: str):
    return literal_column(f"NEW.{column}")


def _old(column: str):
    return literal_column(f"OLD.{column}")


TRIGGERS = (
    Trigger("indicator_facts_membership_insert", "memberships", "INSERT",
            Membership.id == _new("id"),
            which_inserted=Membership.id.in_(
                select(literal_column("id")).select_from(table(NEW_ROWS)))),
    Trigger("indicator_facts_membership_update", "memberships",
            "UPDATE OF project_id, participant_id, eligibility_status, entry_date, exit_date",
            Membership.id == _new("id")),
    Trigger("indicator_facts_participant_update", "participants",
            "UPDATE OF sex, birth_date, employment_status, isced, minority_or_migrant, "
            "disability, environment, enterprise_id",
            Membership.participant_id == _new("id")),
    Trigger("indicator_facts_enrollment_insert", "enrollments", "INSERT",
            Membership.id == _new("membership_id")),
    Trigger("indicator_facts_enrollment_update", "enrollments", "UPDATE OF status, membership_id",
            Membership.id.in_([_old("membership_id"), _new("membership_id")])),
    Trigger("indicator_facts_enrollment_delete", "enrollments", "DELETE",
            Membership.id == _old("membership_id")),
)


def rewrite_statements(which) -> list:
    """DELETE then INSERT of the facts rows of the memberships `which` selects."""
    facts = live_facts()
    rows = (select(Membership.id, Membership.project_id, profile_of(facts),
                   Participant.enterprise_id, Membership.entry_date, Membership.exit_date)
            .join(Participant, Participant.id == Membership.participant_id)
            .where(and_(*counted_conditions()), which))
    columns = ["membership_id", "project_id", "profile", "enterprise_id", "entry_date", "exit_date"]
    return [delete(IndicatorFact).where(IndicatorFact.membership_id.in_(
                select(Membership.id).where(which))),
            insert(IndicatorFact).from_select(columns, rows)]


def _sql(statement, connection: Connection) -> str:
    return str(statement.compile(dialect=connection.dialect,
                                 compile_kwargs={"literal_binds": True}))


def install(connection: Connection, *, per_statement: bool = True) -> None:
    """(Re)create the triggers; each rewrites the facts of the memberships a write touched.

    On PostgreSQL the triggers with `which_inserted` run once per statement over its inserted
    rows, unless `per_statement` is false (as before migration 0031: once per row)."""
    postgres = connection.dialect.name == "postgresql"
    for trigger in TRIGGERS:
        once = postgres and per_statement and trigger.which_inserted is not None
        which = trigger.which_inserted if once else trigger.which
        body = ";\n".join(_sql(s, connection) for s in rewrite_statements(which))
        _drop_trigger(connection, trigger)
        if postgres:
            # Lock the memberships first: two transactions rewriting the same row then run one
            # after the other, and the second reads what the first committed (each statement of
            # the function takes a fresh snapshot under READ COMMITTED).
            lock = _sql(select(Membership.id).where(which).order_by(Membership.id)
                        .with_for_update(), connection).replace("SELECT", "PERFORM", 1)
            level = f"REFERENCING NEW TABLE AS {NEW_ROWS} FOR EACH STATEMENT" if once else (
                "FOR EACH ROW")
            connection.exec_driver_sql(
                f"CREATE OR REPLACE FUNCTION {trigger.name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {lock}; {body}; RETURN NULL; END $$")
            connection.exec_driver_sql(
                f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table} "
                f"{level} EXECUTE FUNCTION {trigger.name}()")
        else:
            connection.exec_driver_sql(
                f"CREATE TRIGGER {trigger.name} AFTER {trigger.event} ON {trigger.table} "
                f"BEGIN {body}; END")


def uninstall(connection: Connection) -> None:
    """Drop the triggers (and on PostgreSQL their functions)."""
    for trigger in TRIGGERS:
        _drop_trigger(connection, trigger)
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {trigger.name}()")


def _drop_trigger(connection: Connection, trigger: Trigger) -> None:
    on_table = f" ON {trigger.table}" if connection.dialect.name == "postgresql" else ""
    connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger.name}{on_table}")


def rebuild(connection: Connection) -> int:
    """Write every membership's facts afresh (after creating the table, or to repair it)."""
    for statement in rewrite_statements(true()):
        connection.execute(statement)
    return connection.scalar(select(func.count()).select_from(IndicatorFact))


@event.listens_for(IndicatorFact.__table__, "after_create")
def _note_table_created(_table, connection: Connection, **_kw) -> None:
    connection.info["indicator_facts_created"] = True


@event.listens_for(db.metadata, "after_create")
def _install_after_create_all(_metadata, connection: Connection, **_kw) -> None:
    """`create_all` (tests, a fresh database) gets the triggers the migrations install."""
    install(connection)
    if connection.info.pop("indicator_facts_created", False):
        rebuild(connection)
