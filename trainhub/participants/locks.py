"""Row locks for a write over many people, taken up front and always in the same order.

On PostgreSQL every write locks rows as it goes, always the written row before the memberships
behind it: a participant edit locks the person, then (the indicator-facts triggers) each of
their memberships; an enrollment change locks the enrollment, then its membership; saving
attendance locks the memberships whose entry and exit dates move, in id order. Two writers over
several people that take these locks in different orders, say an import in file order and an
attendance save in id order, can each hold what the other waits for, and PostgreSQL then aborts
one of them. A writer that changes many people therefore locks them all before its first write,
in the order every single write follows: participants, then enrollments, then memberships,
each by id. Other writers queue behind it instead. SQLite lets one writer in at a time.
"""
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainhub.courses.models import Enrollment
from trainhub.participants.models import Membership, Participant

CHUNK = 1000


def lock_people(db_session: Session, participant_ids: Iterable[int], *,
                enrollments: bool = False) -> None:
    """Lock these participants, then (with `enrollments`) their enrollments, then every
    membership they have, in any project."""
    ids = sorted(set(participant_ids))
    if not ids or not takes_row_locks(db_session):
        return
    _lock_in_order(db_session, Participant, ids)
    if enrollments:
        _lock_in_order(db_session, Enrollment, _ids_of(
            db_session, select(Enrollment.id).join(Membership), Membership.participant_id, ids))
    _lock_in_order(db_session, Membership,
                   _ids_of(db_session, select(Membership.id), Membership.participant_id, ids))


def lock_enrollments(db_session: Session, enrollment_ids: Iterable[int]) -> None:
    """Lock these enrollments, then their memberships."""
    ids = sorted(set(enrollment_ids))
    if not ids or not takes_row_locks(db_session):
        return
    _lock_in_order(db_session, Enrollment, ids)
    _lock_in_order(db_session, Membership,
                   _ids_of(db_session, select(Enrollment.membership_id), Enrollment.id, ids))


def takes_row_locks(db_session: Session) -> bool:
    """Whether this database needs the locks (a caller may skip gathering whom to lock)."""
    return db_session.get_bind().dialect.name == "postgresql"


def _ids_of(db_session: Session, query, column, keys: list[int]) -> list[int]:
    found = set()
    for start in range(0, len(keys), CHUNK):
        found.update(db_session.scalars(query.where(column.in_(keys[start:start + CHUNK]))))
    return sorted(found)


def _lock_in_order(db_session: Session, model, ids: list[int]) -> None:
    # Memberships take the triggers' FOR UPDATE, so no lock has to be upgraded later; people
    # and enrollments take what their own UPDATE takes (FOR NO KEY UPDATE), which still lets
    # rows that refer to them be added meanwhile (a new mark refers to its enrollment).
    key_share = model is not Membership
    # ascending chunks, each locked in id order: the whole set is locked in id order
    for start in range(0, len(ids), CHUNK):
        db_session.execute(select(model.id).where(model.id.in_(ids[start:start + CHUNK]))
                           .order_by(model.id).with_for_update(key_share=key_share)).all()
