"""Imports every area's models so the metadata (and Alembic) sees the whole schema."""
from trainhub.applications.models import Application
from trainhub.attendance.models import (
    AttendanceMark,
    Certificate,
    CertificateRevision,
    SignInSheet,
)
from trainhub.audit.models import AuditEvent
from trainhub.auth.models import ApiToken, Invitation, PasswordResetToken, User
from trainhub.courses.models import Cohort, Course, Enrollment, TrainingSession
from trainhub.documents.models import Document, DocumentRequirement, MailLog
from trainhub.enterprises.models import DeMinimisAid, Enterprise, EurRonRate
from trainhub.imports.models import ImportMapping
from trainhub.indicators.models import IndicatorSnapshot
from trainhub.jobs.models import Job
from trainhub.journey.models import (
    Answer,
    Assessment,
    ExitSituation,
    FollowUp,
    Question,
    Questionnaire,
    Voucher,
    VoucherCharge,
)
from trainhub.participants.models import Membership, Participant
from trainhub.programme.models import (
    Call,
    CallIdentity,
    CertificateTemplate,
    Project,
    ProjectMember,
    ProjectTarget,
    ReportingPeriod,
)

__all__ = [
    "Answer", "Assessment", "ExitSituation", "FollowUp", "Question", "Questionnaire",
    "Voucher", "VoucherCharge",
    "ApiToken", "Application", "AttendanceMark", "AuditEvent", "Call", "CallIdentity", "Certificate",
    "CertificateRevision", "CertificateTemplate",
    "Cohort", "Course", "DeMinimisAid",
    "Document", "DocumentRequirement", "Enrollment", "Enterprise", "EurRonRate", "ImportMapping",
    "IndicatorSnapshot", "Invitation", "Job",
    "MailLog", "Membership", "Participant", "PasswordResetToken", "Project", "ProjectMember",
    "ProjectTarget", "ReportingPeriod",
    "SignInSheet", "TrainingSession", "User",
]
