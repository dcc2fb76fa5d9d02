"""Users of TrainHub and their roles."""
from datetime import UTC, datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from trainhub.core.models import TimestampMixin, one_of, utcnow
from trainhub.extensions import db


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    TRAINER = "trainer"
    SME = "sme"
    AUTHORITY = "authority"


class Locale(StrEnum):
    RO = "ro"
    EN = "en"


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in; what they may see and do follows from `role`."""

    __tablename__ = "users"
    __table_args__ = (
        one_of("role", Role),
        one_of("locale", Locale),
        CheckConstraint("role <> 'sme' OR enterprise_id IS NOT NULL", name="sme_has_enterprise"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, stored lower-case so uniqueness is case-insensitive
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    #: the SME an `sme` user belongs to; it sees nothing of any other enterprise
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(2), default=Locale.RO.value)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: failed logins since `first_failed_login_at`; enough of them lock the account
    failed_login_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    first_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: no login succeeds before this moment, whatever the password
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: part of the session's user id; raising it logs the user out everywhere
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    enterprise = relationship("Enterprise", foreign_keys=[enterprise_id])

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return value.strip().lower()

    def set_password(self, password: str, method: str | None = None) -> None:
        self.password_hash = (
            generate_password_hash(password, method=method)
            if method
            else generate_password_hash(password)
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session remembers: the id and the session version (see `load_user`)."""
        return f"{self.id}:{self.session_version or 1}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class ApiToken(db.Model):
    """A personal token for the REST API; only its sha256 is kept, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: what the user called it, e.g. "quarterly report script"
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 (hex) of the secret; the secret itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the secret's first characters, so its owner can tell tokens apart
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: set once; a revoked token never authenticates again
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… of user {self.user_id}>"


class PasswordResetToken(db.Model):
    """An e-mailed password reset link; only the sha256 of its secret is kept, used once."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: sha256 (hex) of the secret sent in the link
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: set when the link was used (or superseded); it never works again
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class Invitation(db.Model):
    """An e-mailed invitation to join with a role: a single-use link to set a password.

    Only the sha256 of the link's secret is kept; resending replaces it (the old link dies).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint("role IN ('coordinator', 'trainer', 'sme')", name="role_valid"),
        CheckConstraint("role <> 'sme' OR enterprise_id IS NOT NULL", name="sme_has_enterprise"),
        CheckConstraint("role = 'sme' OR project_id IS NOT NULL", name="team_has_project"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the address the link goes to, and the login name of the account it creates
    email: Mapped[str] = mapped_column(String(254), index=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    #: the role of the account it creates: coordinator, trainer or sme
    role: Mapped[str] = mapped_column(String(20))
    #: the SME an `sme` invitee belongs to
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    #: the project whose team a coordinator or trainer joins (for an SME contact: the project
    #: that invited it)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: sha256 (hex) of the secret in the latest link sent
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: when the latest link was sent; it expires at `expires_at`
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: set when the link was used to create the account
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: set when the inviter withdrew it; the link never works again
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the account created by accepting it
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    enterprise = relationship("Enterprise")
    project = relationship("Project")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return value.strip().lower()

    def status(self, now: datetime | None = None) -> str:
        """pending, used, revoked or expired."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        expires = self.expires_at
        if expires.tzinfo is None:  # SQLite hands timestamps back without their zone
            expires = expires.replace(tzinfo=UTC)
        return "expired" if expires <= (now or utcnow()) else "pending"

    def __repr__(self) -> str:
        return f"<Invitation {self.email} {self.role}>"
