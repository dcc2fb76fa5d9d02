"""Trainees (people identified by CNP) and their membership in a project's target group."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainhub.core.identifiers import age_on, cnp_birth_date, cnp_sex
from trainhub.core.models import TimestampMixin, one_of
from trainhub.extensions import db


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Environment(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


class EmploymentStatus(StrEnum):
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    UNEMPLOYED = "unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    INACTIVE = "inactive"


class Eligibility(StrEnum):
    PENDING = "pending"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


def target_group_flags(age: int, sex: str, environment: str | None, isced: int | None,
                       disability: bool | None, minority_or_migrant: bool | None) -> dict[str, bool]:
    """The derived target-group flags of DESIGN §5.1 of a person of `age` (Participant.flags;
    the register computes them from plain rows)."""
    return {
        "age_55_64": 55 <= age <= 64,
        "woman": sex == Sex.FEMALE,
        "rural": environment == Environment.RURAL,
        "isced_low": isced is not None and isced <= 2,
        "disability": bool(disability),
        "minority_or_migrant": bool(minority_or_migrant),
    }


class Participant(TimestampMixin, db.Model):
    """A person; the same CNP is the same person in every project."""

    __tablename__ = "participants"
    __table_args__ = (
        CheckConstraint("length(cnp) = 13", name="cnp_length"),
        one_of("sex", Sex),
        one_of("environment", Environment, nullable=True),
        one_of("employment_status", EmploymentStatus, nullable=True),
        CheckConstraint("isced IS NULL OR (isced >= 0 AND isced <= 8)", name="isced_range"),
        #: the list page's order: its first page is read off the index, not sorted
        Index("ix_participants_name_order", "last_name", "first_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: personal numeric code, validated with stdnum.ro.cnp; sex and birth date come from it
    cnp: Mapped[str] = mapped_column(String(13), unique=True)
    last_name: Mapped[str] = mapped_column(String(120))
    first_name: Mapped[str] = mapped_column(String(120))
    #: derived from the CNP, never typed
    sex: Mapped[str] = mapped_column(String(1))
    #: derived from the CNP, never typed
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    #: county of residence, ISO 3166-2:RO
    county: Mapped[str | None] = mapped_column(String(5))
    environment: Mapped[str | None] = mapped_column(String(5))
    #: ISCED 2011 level of the highest education completed, 0–8
    isced: Mapped[int | None]
    employment_status: Mapped[str | None] = mapped_column(String(25))
    #: special-category data: shown only to roles that need it
    disability: Mapped[bool | None] = mapped_column(Boolean)
    #: special-category data (includes Roma): shown only to roles that need it
    minority_or_migrant: Mapped[bool | None] = mapped_column(Boolean)
    #: the employer, an SME of the programme
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    job_title: Mapped[str] = mapped_column(String(200), default="")
    #: set when the person's identity was erased (GDPR art. 17): CNP replaced by a token,
    #: names and contacts blanked; sex and birth date kept for the indicators
    pseudonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    enterprise = relationship("Enterprise", back_populates="employees_list")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="participant")

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}"

    def age_on(self, when: date) -> int:
        return age_on(self.birth_date, when)

    def flags(self, when: date | None = None) -> dict[str, bool]:
        """The derived target-group flags of DESIGN §5.1, age taken on `when` (today)."""
        return target_group_flags(self.age_on(when or date.today()), self.sex, self.environment,
                                  self.isced, self.disability, self.minority_or_migrant)

    def __repr__(self) -> str:
        return f"<Participant {self.id} {self.last_name}>"


def derived_from_cnp(cnp: str) -> dict:
    """{sex, birth_date} as the CNP gives them; nothing for a pseudonym token (see
    participants.gdpr), whose sex and birth date stay as stored. Every write of a person
    takes them from here: the ORM's (below) and the importer's bulk insert."""
    if not cnp.isdigit():
        return {}
    return {"sex": cnp_sex(cnp), "birth_date": cnp_birth_date(cnp)}


@event.listens_for(Participant, "before_insert")
@event.listens_for(Participant, "before_update")
def _derive_from_cnp(_mapper, _connection, participant: Participant) -> None:
    for name, value in derived_from_cnp(participant.cnp).items():
        setattr(participant, name, value)


class Membership(TimestampMixin, db.Model):
    """A participant in one project's target group: eligibility decision, entry and exit."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("project_id", "participant_id"),
        one_of("eligibility_status", Eligibility),
        CheckConstraint("exit_date IS NULL OR entry_date IS NOT NULL", name="exit_after_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="RESTRICT"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="RESTRICT"), index=True
    )
    eligibility_status: Mapped[str] = mapped_column(
        String(10), default=Eligibility.PENDING.value, index=True
    )
    #: the rule outcomes behind the decision: [{code, passed, severity, message}]
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    #: facts and accepted documents (ids + sha256) frozen when the decision was made
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    #: set when the data changed after the decision; only a person changes the decision
    decision_stale: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: first day present or late at any session of the project (DESIGN §7); derived
    entry_date: Mapped[date | None] = mapped_column(Date, index=True)
    #: final exit (DESIGN §7); derived
    exit_date: Mapped[date | None] = mapped_column(Date, index=True)
    exit_reason: Mapped[str] = mapped_column(String(200), default="")
    consent_given_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: version of the consent text the person accepted (e.g. `2026-01`)
    consent_text_version: Mapped[str] = mapped_column(String(40), default="")
    #: how the consent was obtained (e.g. "signed registration form")
    consent_method: Mapped[str] = mapped_column(String(200), default="")
    #: the accepted registration-form document that carries the signed consent, if any
    consent_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"))
    #: version of the person's personal link (trainee page); raising it kills older links
    link_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: when the live personal link was issued (None: no live link); it expires
    #: TRAINEE_LINK_DAYS later
    link_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: the managing authority let the person be financed although they are in another project
    #: of the same call (DESIGN §14): {"reason", "by_id", "at"}; None while not overridden.
    #: Written only by eligibility.override_double_financing, read by the eligibility engine
    double_financing_override: Mapped[dict | None] = mapped_column(JSON)

    project = relationship("Project")
    participant: Mapped[Participant] = relationship(back_populates="memberships")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    consent_document = relationship("Document", foreign_keys=[consent_document_id])
    enrollments = relationship("Enrollment", back_populates="membership")
