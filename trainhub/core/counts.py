"""Exact row counts of list pages, and values made from rows, kept while those rows are unchanged (docs/performance.md)."""
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import cache, lru_cache
from threading import Lock
from typing import TypeVar

from sqlalchemy import BigInteger, Connection, Select, event, func, select, text
from sqlalchemy.orm import Mapped, Session, lazyload, mapped_column
from sqlalchemy.sql.util import find_tables

from trainhub.extensions import db

#: the tables whose every write changes the SQLite version (a count reading another is not kept)
VERSIONED_TABLES = ("participants", "memberships", "project_members", "enterprises",
                    "documents", "document_requirements", "calls", "cohorts",
                    "training_sessions", "enrollments", "attendance_marks", "sign_in_sheets")
_KEPT = 1024  # counts kept per process, least recently used dropped first
_KEPT_VALUES = 64  # other values kept per process (kept_value), likewise
_counts: OrderedDict = OrderedDict()
_values: OrderedDict = OrderedDict()
#: the tables each named count reads (see exact_count's `key`)
_tables: OrderedDict = OrderedDict()
T = TypeVar("T")
_lock = Lock()


class ChangeCounter(db.Model):
    """One row whose version changes, to a random value, with every insert, update and delete
    of the versioned tables: SQLite triggers set it in the writer's own transaction, so a
    version is never seen without its data (and a rolled-back one never comes back)."""

    __tablename__ = "change_counters"

    #: always 1
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: a random number, new after every write of the versioned tables
    version: Mapped[int] = mapped_column(BigInteger)


def _triggers(tables: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return [(f"change_counter_{table}_{event_name.lower()}", table, event_name)
            for table in tables for event_name in ("INSERT", "UPDATE", "DELETE")]


def install(connection: Connection, tables: tuple[str, ...] = VERSIONED_TABLES) -> None:
    """The counter's row and, on SQLite, the triggers that change it (on `tables`: every
    versioned table unless a migration names those it adds). PostgreSQL needs
    neither: its version is the reader's snapshot (`data_version`), and a counter row that
    every writer updated would make all writers of those tables wait for each other."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql(
        "INSERT INTO change_counters (id, version) SELECT 1, random() "
        "WHERE NOT EXISTS (SELECT 1 FROM change_counters WHERE id = 1)")
    for name, table, event_name in _triggers(tables):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(
            f"CREATE TRIGGER {name} AFTER {event_name} ON {table} "
            "BEGIN UPDATE change_counters SET version = random() WHERE id = 1; END")


def uninstall(connection: Connection, tables: tuple[str, ...] = VERSIONED_TABLES) -> None:
    """Drop the triggers (of `tables`)."""
    if connection.dialect.name == "sqlite":
        for name, _table, _event in _triggers(tables):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


@event.listens_for(db.metadata, "after_create")
def _install_after_create_all(_metadata, connection: Connection, **_kw) -> None:
    """`create_all` (tests, a fresh database) gets what the migration installs."""
    install(connection)


def data_version(session: Session, tables: set[str]) -> str | None:
    """A value that differs whenever the rows of `tables` that this session can see differ;
    None when there is none to trust (then nothing is kept).

    PostgreSQL: the statement's snapshot (which transactions it sees), unless this transaction
    has written (its own uncommitted rows are not in the snapshot's text). SQLite: the
    counter's version, when every table read is versioned.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        snapshot, writing = connection.execute(_SNAPSHOT).one()
        return None if writing is not None else f"snapshot {snapshot}"
    if connection.dialect.name != "sqlite" or not tables <= set(VERSIONED_TABLES):
        return None
    version = connection.scalar(_VERSION)
    return None if version is None else f"version {version}"


#: built once, so their cache keys are too
_VERSION = select(ChangeCounter.version).where(ChangeCounter.id == 1)
_SNAPSHOT = text("SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned()")


def exact_count(session: Session, stmt: Select | Callable[[], Select],
                key: Hashable | None = None) -> int:
    """How many rows `stmt` gives: counted once per data version and kept for the next page
    view (same query, same values, same version); a count whose version cannot be known is
    counted every time. The version is read before counting, so a count kept is never older
    than its version.

    `key` (a list page that can name its query more cheaply than SQLAlchemy's cache key of the
    statement, whose scoped subqueries cost more to walk than to run): a value that is the same
    only for the same statement, its SQL and its values (the reader's scope and every filter);
    `stmt` may then be a function that builds it, called only when the count is not kept."""
    if key is None:
        count = _count_of(stmt)
        return _kept(_counts, _KEPT, session, count, lambda: session.execute(count).scalar())
    key = ("named", key)
    # the count statement, built at most once and only when needed (tables or count not kept)
    count = cache(lambda: _count_select(stmt() if callable(stmt) else stmt))
    tables = _recall(_tables, _KEPT, key,
                     lambda: frozenset(table.name for table in find_tables(count())))
    version = data_version(session, tables)
    if version is None:
        return session.execute(count()).scalar()
    return _recall(_counts, _KEPT, (str(session.get_bind().url), version, key),
                   lambda: session.execute(count()).scalar())


def _count_select(stmt: Select) -> Select:
    return select(func.count()).select_from(stmt.options(lazyload("*")).order_by(None).subquery())


@lru_cache(maxsize=256)
def _count_of(stmt: Select) -> Select:
    """The count of `stmt`, one per statement object: a caller that keeps its statements (one
    per reader and filters) gets the same count statement, whose cache key is worked out once."""
    return _count_select(stmt)


@lru_cache(maxsize=256)
def _tables_of(stmt: Select) -> frozenset[str]:
    return frozenset(table.name for table in find_tables(stmt))


def kept_value(session: Session, stmt: Select, make: Callable[[], T], *extra: Hashable) -> T:
    """`make()`, a value a page makes from the rows of `stmt` alone (a filter's options, say),
    made once per data version and kept like a count (same query, same values, same version,
    same `extra`: the reader's language, say); made every time when the version cannot be
    known. At most `_KEPT_VALUES` are kept per process, as they are larger than a count."""
    return _kept(_values, _KEPT_VALUES, session, stmt, make, extra)


def kept_named_value(session: Session, key: Hashable, tables: frozenset[str],
                     make: Callable[[], T]) -> T:
    """`make()`, a value a page makes from the rows of `tables` alone, made once per data
    version and kept under `key` (like exact_count's: the same only for the same reader's view
    of those rows, their filters and the page's language and day); made every time when the
    version cannot be known. Kept with kept_value's, at most `_KEPT_VALUES`."""
    version = data_version(session, tables)
    if version is None:
        return make()
    return _recall(_values, _KEPT_VALUES, (str(session.get_bind().url), version, "named", key),
                   make)


def _kept(kept: OrderedDict, limit: int, session: Session, stmt: Select,
          make: Callable[[], T], extra: tuple = ()) -> T:
    cache_key = stmt._generate_cache_key()  # kept on the statement object once made
    version = data_version(session, _tables_of(stmt)) if cache_key is not None else None
    if version is None:
        return make()
    key = (str(session.get_bind().url), version, cache_key.key,
           tuple(repr(bind.effective_value) for bind in cache_key.bindparams), extra)
    return _recall(kept, limit, key, make)


def _recall(kept: OrderedDict, limit: int, key: Hashable, make: Callable[[], T]) -> T:
    """`kept[key]`, made by `make()` and kept if missing; at most `limit` kept, the least
    recently used dropped first."""
    with _lock:
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    value = make()
    with _lock:
        kept[key] = value
        while len(kept) > limit:
            kept.popitem(last=False)
    return value
