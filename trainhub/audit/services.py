"""The audit trail: every ORM change to a domain model is recorded with the acting user."""
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal

from flask import g, has_request_context
from sqlalchemy import event, insert, inspect, select, update
from sqlalchemy.orm import Session

from trainhub.audit.models import AuditEvent
from trainhub.core.bulk import insert_rows
from trainhub.core.models import utcnow

#: columns never written to the trail (secrets and bookkeeping)
_IGNORED_COLUMNS = {"password_hash", "token_hash", "created_at", "updated_at"}

_acting_user_id: ContextVar[int | None] = ContextVar("acting_user_id", default=None)


@contextmanager
def acting_as(user_id: int | None) -> Iterator[None]:
    """Attribute the changes made inside the block to `user_id` (CLI, jobs, tests)."""
    token = _acting_user_id.set(user_id)
    try:
        yield
    finally:
        _acting_user_id.reset(token)


def acting_user_id() -> int | None:
    """Who the current change is by: the logged-in user of the request, else `acting_as`."""
    if has_request_context():
        user = g.get("_login_user")  # Flask-Login's cache; never triggers a query mid-flush
        if user is not None and user.is_authenticated:
            return user.id
    return _acting_user_id.get()


_TEMPORAL = (datetime, date, time)


def _plain(value: object) -> object:
    if isinstance(value, _TEMPORAL):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _entity_type(obj: object) -> str:
    return getattr(obj.__class__, "__tablename__", "") if obj is not None else ""


_audited_keys: dict = {}


def _audited(mapper) -> list[str]:
    """The column attributes of `mapper` a change record holds (computed once per mapper)."""
    keys = _audited_keys.get(mapper)
    if keys is None:
        keys = _audited_keys[mapper] = [attr.key for attr in mapper.column_attrs
                                        if attr.key not in _IGNORED_COLUMNS]
    return keys


def _changes_of(session: Session, obj: object, kind: str) -> dict:
    state = inspect(obj)
    if kind == "create":
        return {key: [None, _plain(getattr(obj, key))] for key in _audited(state.mapper)}
    if kind == "delete":
        return {key: [_plain(getattr(obj, key)), None] for key in _audited(state.mapper)}
    columns = [state.mapper.attrs[key] for key in _audited(state.mapper)]
    changes, unknown_before = {}, []
    for attr in columns:
        history = state.attrs[attr.key].history
        if not history.added:
            continue
        if history.deleted:
            before = history.deleted[0]
        else:  # the old value was never loaded (e.g. expired by a commit): read it
            unknown_before.append(attr)
            before = None
        changes[attr.key] = [before, history.added[0]]
    if unknown_before:
        table_columns = [attr.columns[0] for attr in unknown_before]
        key_columns = state.mapper.primary_key
        key_values = state.mapper.primary_key_from_instance(obj)
        row = session.connection().execute(
            select(*table_columns).where(
                *(column == value for column, value in zip(key_columns, key_values, strict=True))
            )
        ).one_or_none()
        for attr, value in zip(unknown_before, row or [None] * len(unknown_before), strict=True):
            changes[attr.key][0] = value
    return {key: [_plain(before), _plain(after)] for key, (before, after) in changes.items()
            if before != after}


def record(session: Session, action: str, entity: object, details: dict | None = None,
           user_id: int | None = None) -> None:
    """Record a domain action (e.g. `eligibility.decide`) that is more than a row change."""
    session.add(AuditEvent(
        at=utcnow(),
        user_id=user_id if user_id is not None else acting_user_id(),
        action=action,
        entity_type=_entity_type(entity),
        entity_id=getattr(entity, "id", None),
        changes=details or {},
    ))


def _column_defaults(mapper) -> list[tuple[str, object]]:
    """(attribute, the column's Python default or None) for every column of `mapper`."""
    return [(attr.key, attr.columns[0].default) for attr in mapper.column_attrs]


def _default_value(default) -> object:
    """The value a column default gives a new row (a SQL default cannot be known before)."""
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    if default.is_scalar:
        return default.arg
    raise TypeError(f"a bulk insert cannot know the value of the SQL default {default!r}")


def insert_audited(session: Session, model, rows: list[dict]) -> list[dict]:
    """Insert `rows` of `model` in bulk and record each as created: the writer of many new rows.

    The rows are completed with the columns' defaults as the ORM completes them, written a page
    at a time with their ids returned in the rows' order, and each gets the audit record the
    flush would have written for it (every audited column, `[None, value]`). Mapper events do
    not run: the caller gives every derived value (e.g. `derived_from_cnp`); database
    triggers fire as for any insert. Returns the rows as written (with their ids), in order.
    """
    if not rows:
        return []
    session.flush()  # rows the new ones may refer to
    mapper = inspect(model)
    defaults = _column_defaults(mapper)
    complete = []
    for row in rows:
        full = {}
        for key, default in defaults:
            if key in row:
                full[key] = row[key]
            elif key != "id":
                full[key] = _default_value(default)
        complete.append(full)
    table = mapper.local_table
    columns = {attr.key: attr.columns[0].key for attr in mapper.column_attrs}
    ids = insert_rows(session.connection(), table, [
        {columns[key]: value for key, value in full.items()} for full in complete],
        returning_ids=True)
    keys = _audited(mapper)
    user_id, now = acting_user_id(), utcnow()
    events = []
    for id_, full in zip(ids, complete, strict=True):
        full["id"] = id_
        events.append({"at": now, "user_id": user_id, "action": "create",
                       "entity_type": model.__tablename__, "entity_id": id_,
                       "changes": {key: [None, _plain(full[key])] for key in keys}})
    insert_rows(session.connection(), AuditEvent.__table__, events)
    return complete


def update_audited(session: Session, model, changes: list[tuple[int, dict, dict]]) -> None:
    """Write `(id, before, after)` changes to rows of `model` in bulk and record each as
    updated, as the flush would have: the columns whose value differs, `[before, after]`.

    `before` is what the row holds (the caller read or wrote it); `updated_at` moves on as
    with any ORM update. Rows not loaded in the session are not refreshed.
    """
    rows, events = [], []
    user_id, now = acting_user_id(), utcnow()
    has_updated_at = "updated_at" in inspect(model).column_attrs
    for id_, before, after in changes:
        differs = {key: [_plain(before.get(key)), _plain(value)] for key, value in after.items()
                   if before.get(key) != value}
        if not differs:
            continue
        rows.append({"id": id_, **after, **({"updated_at": now} if has_updated_at else {})})
        events.append({"at": now, "user_id": user_id, "action": "update",
                       "entity_type": model.__tablename__, "entity_id": id_,
                       "changes": {key: pair for key, pair in differs.items()
                                   if key not in _IGNORED_COLUMNS}})
    if not rows:
        return
    session.execute(update(model), rows)
    insert_rows(session.connection(), AuditEvent.__table__, events)


_pending_key = "trainhub_audit_pending"


@event.listens_for(Session, "before_flush")
def _collect_changes(session: Session, _flush_context, _instances) -> None:
    pending = session.info.setdefault(_pending_key, [])
    for kind, objects in (("create", session.new), ("update", session.dirty),
                          ("delete", session.deleted)):
        for obj in objects:
            if isinstance(obj, AuditEvent) or not hasattr(obj, "__tablename__"):
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            # a new row's values (ids, defaults) exist only after the flush: read them then
            changes = None if kind == "create" else _changes_of(session, obj, kind)
            if kind == "update" and not changes:
                continue
            pending.append((kind, obj, changes))


@event.listens_for(Session, "after_flush")
def _write_changes(session: Session, _flush_context) -> None:
    pending = session.info.pop(_pending_key, [])
    if not pending:
        return
    user_id = acting_user_id()
    now = utcnow()
    rows = []
    for kind, obj, changes in pending:
        if kind == "create":  # ids and defaults exist only now
            changes = _changes_of(session, obj, "create")
        rows.append({
            "at": now, "user_id": user_id, "action": kind, "entity_type": _entity_type(obj),
            "entity_id": getattr(obj, "id", None), "changes": changes,
        })
    session.connection().execute(insert(AuditEvent.__table__), rows)
