"""The one permission mechanism: what each role may do (DESIGN §11) and the view decorator.

Every view declares its permission with `@permission_required("area.action")` or `@public`;
a test walks the URL map and fails on a view that declares neither.
"""
from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from trainhub.auth.models import Role

READ_ALL = {
    "enterprises.read", "participants.read", "documents.read", "courses.read",
    "attendance.read", "indicators.read",
}

#: permission strings granted to each role; row scoping (own enterprise, own cohorts) is
#: applied on top by trainhub.auth.scoping.
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(READ_ALL | {
        "users.read", "users.write", "users.invite", "calls.read", "calls.write", "audit.read",
        "applications.review",
        "enterprises.write", "enterprises.create", "participants.write", "participants.decide",
        "participants.export_full", "documents.upload",
        "documents.review", "courses.write", "attendance.write", "indicators.export",
        "indicators.lock", "imports.run", "dashboard.read", "participants.export",
        "participants.gdpr", "participants.special_categories", "participants.retention",
        "projects.read", "projects.write",
        "journey.read", "journey.overview", "journey.assess", "journey.manage",
    }),
    Role.COORDINATOR: frozenset(READ_ALL | {
        "users.read", "users.invite", "applications.review", "calls.read", "enterprises.write",
        "enterprises.create",
        "participants.write", "participants.decide", "participants.export_full",
        "documents.upload", "documents.review", "courses.write", "attendance.write", "indicators.export", "indicators.lock", "imports.run",
        "dashboard.read", "participants.export", "participants.gdpr",
        "participants.special_categories", "projects.read", "projects.write",
        "journey.read", "journey.overview", "journey.assess", "journey.manage",
    }),
    Role.TRAINER: frozenset({
        "enterprises.read", "participants.read", "courses.read", "attendance.read",
        "attendance.write", "dashboard.read",
    }),
    Role.SME: frozenset({
        "enterprises.read", "enterprises.write", "participants.read", "participants.write",
        "documents.read", "documents.upload", "courses.read", "attendance.read",
        "dashboard.read", "journey.read", "journey.assess",
    }),
    # the managing authority alone lets a person be financed by two projects of one call
    Role.AUTHORITY: frozenset(READ_ALL | {"indicators.export", "participants.export",
                                          "dashboard.read", "projects.read",
                                          "participants.override_double_financing", "journey.read",
                                          "journey.overview"}),
}

ALL_PERMISSIONS = frozenset().union(*PERMISSIONS.values())


def can(user, permission: str) -> bool:
    """Whether `user` (possibly anonymous) holds `permission`."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if user is None or not user.is_authenticated:
        return False
    return permission in PERMISSIONS.get(user.role, frozenset())


def permission_required(permission: str, *, refused: int = 403) -> Callable:
    """Let the view run only for a logged-in user holding `permission` (else login / 403;
    `refused=404` for a page whose very existence is not for the others to see)."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from trainhub.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user, permission):
                abort(refused)
            return view(*args, **kwargs)

        wrapped.permission = permission
        return wrapped

    return decorator


def login_required(view: Callable) -> Callable:
    """For pages every logged-in user may see (their own profile, language)."""
    from flask_login import login_required as flask_login_required

    wrapped = flask_login_required(view)
    wrapped.permission = "authenticated"
    return wrapped


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous visitors (login page, certificate verification)."""
    view.permission = "public"
    return view
