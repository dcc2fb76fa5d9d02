"""Health of what the app depends on, for /healthz and the load balancer."""
import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from trainhub.extensions import db

log = logging.getLogger(__name__)


def database_is_up() -> bool:
    """Whether the database answers `SELECT 1` now; the session is left clean either way."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except DBAPIError as error:
        log.warning("health check: database unreachable: %s", error.orig or error)
        try:
            db.session.rollback()
        except DBAPIError:
            pass
        return False
