"""Labels of stored codes (statuses, roles, classes, flags, sex…) in the reader's language.

Every page shows a stored value through `label(value, kind)` (the Jinja filter `label`), never
raw: `{{ user.role|label('role') }}`. Each kind maps the stored values to lazy strings; the
kind `county` names a county by its ISO code.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from flask_babel.speaklater import LazyString

from trainhub.applications.models import ApplicationStatus, Channel
from trainhub.attendance.models import MarkSource, MarkStatus
from trainhub.auth.models import Locale, Role
from trainhub.core.geography import county_name
from trainhub.courses.models import CourseCategory, EnrollmentStatus, Modality
from trainhub.documents.models import DocumentStatus, RequirementLevel
from trainhub.enterprises.models import SizeClass
from trainhub.participants.models import Eligibility, EmploymentStatus, Environment

SIZE_LABELS = {SizeClass.MICRO: _l("Micro"), SizeClass.SMALL: _l("Small"),
               SizeClass.MEDIUM: _l("Medium"), SizeClass.LARGE: _l("Large"),
               # the size (class) is unknown: Romanian agrees with "categoria"
               SizeClass.UNKNOWN: LazyString(lambda: pgettext("size class", "Unknown"))}
#: eligibility of people in general (filters, headings: plural in Romanian)
ELIGIBILITY_LABELS = {Eligibility.ELIGIBLE: _l("Eligible"), Eligibility.PENDING: _l("Pending"),
                      Eligibility.INELIGIBLE: _l("Ineligible")}
#: one person's eligibility: the Romanian adjective agrees with the person (sex from the CNP)
MAN_ELIGIBILITY_LABELS = {
    Eligibility.ELIGIBLE: LazyString(lambda: pgettext("a man", "Eligible")),
    Eligibility.PENDING: LazyString(lambda: pgettext("a man", "Pending")),
    Eligibility.INELIGIBLE: LazyString(lambda: pgettext("a man", "Ineligible")),
}
WOMAN_ELIGIBILITY_LABELS = {
    Eligibility.ELIGIBLE: LazyString(lambda: pgettext("a woman", "Eligible")),
    Eligibility.PENDING: LazyString(lambda: pgettext("a woman", "Pending")),
    Eligibility.INELIGIBLE: LazyString(lambda: pgettext("a woman", "Ineligible")),
}
#: the enterprise list's filter by the eligibility of the employees
EMPLOYEES_LABELS = {
    Eligibility.ELIGIBLE: _l("with eligible employees"),
    Eligibility.PENDING: _l("with employees pending a decision"),
    Eligibility.INELIGIBLE: _l("with ineligible employees"),
}
FLAG_LABELS = {"age_55_64": _l("55–64"), "woman": _l("Woman"), "rural": _l("Rural"),
               "isced_low": _l("ISCED 0–2"), "disability": _l("Disability"),
               "minority_or_migrant": _l("Minority/migrant")}
SEX_LABELS = {"M": _l("Male"), "F": _l("Female")}
ROLE_LABELS = {Role.ADMIN: _l("Administrator"), Role.COORDINATOR: _l("Coordinator"),
               Role.TRAINER: _l("Trainer"), Role.SME: _l("SME"),
               Role.AUTHORITY: _l("Managing authority")}
LOCALE_LABELS = {Locale.RO: "Română", Locale.EN: "English"}
EMPLOYMENT_LABELS = {
    EmploymentStatus.EMPLOYED: _l("Employed"),
    EmploymentStatus.SELF_EMPLOYED: _l("Self-employed"),
    EmploymentStatus.UNEMPLOYED: _l("Unemployed"),
    EmploymentStatus.LONG_TERM_UNEMPLOYED: _l("Long-term unemployed"),
    EmploymentStatus.INACTIVE: _l("Inactive"),
}
ENVIRONMENT_LABELS = {Environment.URBAN: _l("Urban"), Environment.RURAL: _l("Rural")}
ISCED_LABELS = {
    0: _l("0 — early childhood"), 1: _l("1 — primary"), 2: _l("2 — lower secondary"),
    3: _l("3 — upper secondary"), 4: _l("4 — post-secondary"), 5: _l("5 — short tertiary"),
    6: _l("6 — bachelor"), 7: _l("7 — master"), 8: _l("8 — doctorate"),
}
#: display names of the eleven POCU 3.12 categories (DESIGN §4)
CATEGORY_LABELS = {
    CourseCategory.IOT_ENERGY: _l("Energy management with IoT platforms"),
    CourseCategory.QUALITY_INDUSTRY40: _l("Quality management in Industry 4.0"),
    CourseCategory.CYBER_SECURITY: _l("Cyber security"),
    CourseCategory.SALES_FORCE_AUTOMATION: _l("Sales force automation"),
    CourseCategory.CAD_3D_PRINTING: _l("CAD for 3D printing"),
    CourseCategory.CNC_PROGRAMMING: _l("CNC programming"),
    CourseCategory.PROCESS_SIMULATION_ROBOTS: _l(
        "Simulation of automated processes and industrial robot programming"),
    CourseCategory.BUSINESS_IT: _l("IT applications for business efficiency"),
    CourseCategory.CRM: _l("CRM"),
    CourseCategory.ERP: _l("ERP"),
    CourseCategory.CAD: _l("CAD applications"),
}
MODALITY_LABELS = {
    Modality.CLASSROOM: _l("Classroom"),
    Modality.ONLINE: _l("Online"),
    Modality.BLENDED: _l("Blended"),
}
ENROLLMENT_LABELS = {
    EnrollmentStatus.WAITING: _l("waiting list"),
    EnrollmentStatus.ENROLLED: _l("enrolled"),
    EnrollmentStatus.WITHDRAWN: _l("withdrawn"),
    EnrollmentStatus.COMPLETED: _l("completed"),
    EnrollmentStatus.NOT_COMPLETED: _l("not completed"),
}
MARK_LABELS = {MarkStatus.PRESENT: _l("present"), MarkStatus.LATE: _l("late"),
               MarkStatus.EXCUSED: _l("excused"), MarkStatus.ABSENT: _l("absent")}
MARK_SOURCE_LABELS = {MarkSource.MANUAL: _l("typed in"), MarkSource.CSV: _l("file import"),
                      MarkSource.QR: _l("QR check-in"), MarkSource.SHEET: _l("sign-in sheet")}
#: a document's own status, and the status of a checklist line (which adds missing/expiring)
DOCUMENT_STATUS_LABELS = {
    "missing": _l("missing"),
    DocumentStatus.PENDING: _l("pending review"),
    DocumentStatus.ACCEPTED: _l("accepted"),
    DocumentStatus.REJECTED: _l("rejected"),
    "expiring": _l("expiring soon"),
    "expired": _l("expired"),
}
LEVEL_LABELS = {
    RequirementLevel.ENTERPRISE: _l("Enterprise"),
    RequirementLevel.PARTICIPANT: _l("Participant"),
}
SEVERITY_LABELS = {"blocking": _l("blocking"), "warning": _l("warning")}
#: the eligibility rule kinds (DESIGN §5.1), the possible-duplicate warning and a person's note
RULE_KIND_LABELS = {
    "employment_status_in": _l("Employment status"),
    "age_between": _l("Age"),
    "employer_required": _l("Employer"),
    "employer_size_in": _l("Employer size"),
    "employer_region_in": _l("Employer region"),
    "employer_caen_not_in": _l("Employer activity (CAEN)"),
    "de_minimis_ceiling": _l("De minimis ceiling"),
    "not_in_other_project_of_call": _l("Double financing"),
    "field_complete": _l("Mandatory data"),
    "possible_duplicate": _l("Possible duplicate"),
    "note": _l("Coordinator's note"),
}

#: the indicators of DESIGN §8 as pages name them; exports keep the contract's English labels
INDICATOR_LABELS = {
    "TOTAL": _l("All participants"),
    "CO01": _l("Unemployed, including long-term unemployed"),
    "CO02": _l("Long-term unemployed"),
    "CO03": _l("Inactive"),
    "CO05": _l("Employed, including self-employed"),
    "CO06": _l("Below 25 years of age"),
    "CO07": _l("Participants above 54 years of age"),
    "AGE55_64": _l("Participants aged 55 to 64"),
    "CO09": _l("With primary (ISCED 1) or lower secondary education (ISCED 2)"),
    "CO10": _l("With upper secondary (ISCED 3) or post-secondary education (ISCED 4)"),
    "CO11": _l("With tertiary education (ISCED 5 to 8)"),
    "CO15": _l("Migrants, participants with a foreign background, minorities "
               "(including marginalised communities such as the Roma)"),
    "CO16": _l("Participants with disabilities"),
    "CO19": _l("Participants from rural areas"),
    "CO23": _l("Number of supported micro, small and medium-sized enterprises"),
    "CR03": _l("Participants gaining a qualification upon leaving"),
    "WOMEN": _l("Women"),
}
#: the cells of an indicator row
CELL_LABELS = {"men": _l("Men"), "women": _l("Women"), "total": _l("Total")}

#: the state of an e-mailed invitation (feminine in Romanian: invitația)
INVITATION_STATUS_LABELS = {
    "pending": LazyString(lambda: pgettext("invitation or application", "waiting")),
    "used": LazyString(lambda: pgettext("invitation or application", "accepted")),
    "expired": LazyString(lambda: pgettext("invitation or application", "expired")),
    "revoked": LazyString(lambda: pgettext("invitation or application", "revoked")),
}
#: how an SME heard of the project (the recruitment funnel's channels)
CHANNEL_LABELS = {Channel.EVENT: _l("Event"), Channel.SOCIAL_MEDIA: _l("Social media"),
                  Channel.NEWSLETTER: _l("Newsletter"),
                  Channel.AWARENESS_CAMPAIGN: _l("Awareness campaign"),
                  Channel.PARTNER: _l("Partner organisation"), Channel.OTHER: _l("Other")}
#: the state of an application (feminine in Romanian: cererea)
APPLICATION_STATUS_LABELS = {
    ApplicationStatus.PENDING: LazyString(lambda: pgettext("invitation or application", "waiting")),
    ApplicationStatus.ACCEPTED: LazyString(
        lambda: pgettext("invitation or application", "accepted")),
    ApplicationStatus.DECLINED: LazyString(
        lambda: pgettext("invitation or application", "declined")),
}

#: kind -> stored value -> label; the `label` filter's table
LABELS: dict[str, dict] = {
    "size": SIZE_LABELS, "eligibility": ELIGIBILITY_LABELS, "flag": FLAG_LABELS,
    "eligibility_M": MAN_ELIGIBILITY_LABELS, "eligibility_F": WOMAN_ELIGIBILITY_LABELS,
    "employees": EMPLOYEES_LABELS,
    "sex": SEX_LABELS, "role": ROLE_LABELS, "locale": LOCALE_LABELS,
    "employment_status": EMPLOYMENT_LABELS, "environment": ENVIRONMENT_LABELS,
    "isced": ISCED_LABELS, "category": CATEGORY_LABELS, "modality": MODALITY_LABELS,
    "enrollment": ENROLLMENT_LABELS, "mark": MARK_LABELS, "mark_source": MARK_SOURCE_LABELS,
    "document_status": DOCUMENT_STATUS_LABELS, "level": LEVEL_LABELS,
    "severity": SEVERITY_LABELS, "rule_kind": RULE_KIND_LABELS,
    "indicator": INDICATOR_LABELS, "cell": CELL_LABELS,
    "invitation": INVITATION_STATUS_LABELS, "channel": CHANNEL_LABELS,
    "application": APPLICATION_STATUS_LABELS,
}


def label(value, kind: str, missing: str = "—") -> str:
    """The reader's-language label of a stored `value` of `kind`; `missing` for no value.

    A value the table does not know (a code added later) is shown as stored rather than lost.
    """
    if value is None or value == "":
        return missing
    if kind == "county":
        return county_name(value) or str(value)
    labels = LABELS[kind]
    if kind == "isced":
        try:
            value = int(value)
        except (TypeError, ValueError):
            return str(value)
    return str(labels.get(value, value))


#: audited fields whose values are stored codes, and the kind of `status` per table
AUDITED_FIELDS = {"eligibility_status": "eligibility", "role": "role", "size_class": "size",
                  "employment_status": "employment_status", "environment": "environment",
                  "modality": "modality", "category": "category", "locale": "locale",
                  "severity": "severity", "channel": "channel"}
AUDITED_STATUS = {"enrollments": "enrollment", "documents": "document_status",
                  "attendance_marks": "mark", "memberships": "eligibility",
                  "applications": "application"}


def audited_value(entity_type: str, field: str, value) -> str:
    """A value of the audit trail: a stored code by its label, anything else as recorded."""
    if value is None:
        return "∅"
    kind = AUDITED_STATUS.get(entity_type) if field == "status" else AUDITED_FIELDS.get(field)
    if kind is not None and isinstance(value, str) and value in LABELS[kind]:
        return label(value, kind)
    return str(value)
