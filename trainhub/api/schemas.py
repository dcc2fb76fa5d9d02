"""marshmallow schemas of the API's answers and query arguments (they also make the OpenAPI)."""
from marshmallow import Schema, fields, validate

from trainhub.core.bounds import MAX_PAGE


class ErrorSchema(Schema):
    """Every API error, whatever its status."""

    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    error = fields.String(required=True, metadata={"description": "short name, e.g. not_found"})
    message = fields.String(required=True)
    errors = fields.Dict(metadata={"description": "per-parameter problems (422 only)"})


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=200))


class PaginationSchema(Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "rows on all pages"})
    pages = fields.Integer(required=True)


class TargetSchema(Schema):
    indicator_code = fields.String(required=True)
    value = fields.Integer(required=True)


class ProjectSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    title = fields.String(required=True)
    call_code = fields.String(required=True, attribute="call.code")
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    regions = fields.List(fields.String(), required=True, metadata={"description": "NUTS2 codes"})
    completion_threshold = fields.Float(required=True)
    targets = fields.List(fields.Nested(TargetSchema), required=True)


class ReportingPeriodSchema(Schema):
    id = fields.Integer(required=True)
    label = fields.String(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    locked = fields.Boolean(required=True, metadata={"description": "a snapshot was locked"})


class EnterpriseSchema(Schema):
    id = fields.Integer(required=True)
    cui = fields.String(required=True)
    name = fields.String(required=True)
    caen = fields.String(required=True)
    county = fields.String(required=True, metadata={"description": "ISO 3166-2:RO, e.g. RO-B"})
    locality = fields.String(required=True)
    nuts2 = fields.String(required=True, allow_none=True)
    employees = fields.Integer(required=True, allow_none=True)
    turnover_eur = fields.Float(required=True, allow_none=True)
    balance_eur = fields.Float(required=True, allow_none=True)
    size_class = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    contact_phone = fields.String(required=True)


class MembershipSchema(Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    project_code = fields.String(required=True, attribute="project.code")
    eligibility_status = fields.String(required=True)
    decision_stale = fields.Boolean(required=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    reasons = fields.List(fields.Dict(), required=True,
                          metadata={"description": (
                              "rules not passed: code, severity, message, detail; a CNP inside is "
                              "masked like `cnp`, a possible duplicate names only people the "
                              "token's owner may see (and is left out when there is none)")})
    entry_date = fields.Date(required=True, allow_none=True)
    exit_date = fields.Date(required=True, allow_none=True)
    double_financing_override = fields.Dict(
        required=True, allow_none=True, metadata={"description": (
            "the managing authority let the person be financed although they are in another "
            "project of the call: {reason, at}; a CNP inside is masked like in `reasons`")})


class ParticipantSchema(Schema):
    id = fields.Integer(required=True)
    cnp = fields.String(required=True, metadata={
        "description": "masked (1******123456) unless the token's owner may export full data"})
    last_name = fields.String(required=True)
    first_name = fields.String(required=True)
    sex = fields.String(required=True)
    birth_date = fields.Date(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)
    county = fields.String(required=True, allow_none=True)
    environment = fields.String(required=True, allow_none=True)
    isced = fields.Integer(required=True, allow_none=True)
    employment_status = fields.String(required=True, allow_none=True)
    enterprise_id = fields.Integer(required=True, allow_none=True)
    job_title = fields.String(required=True)
    disability = fields.Boolean(allow_none=True, metadata={
        "description": "special-category data: only for admins and coordinators"})
    minority_or_migrant = fields.Boolean(allow_none=True, metadata={
        "description": "special-category data: only for admins and coordinators"})
    memberships = fields.List(fields.Nested(MembershipSchema), required=True)


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A page of `item_schema` rows with its pagination facts."""
    return Schema.from_dict({
        "items": fields.List(fields.Nested(item_schema), required=True),
        "pagination": fields.Nested(PaginationSchema, required=True),
    }, name=name)


ProjectPageSchema = page_schema(ProjectSchema, "ProjectPage")
ReportingPeriodPageSchema = page_schema(ReportingPeriodSchema, "ReportingPeriodPage")
EnterprisePageSchema = page_schema(EnterpriseSchema, "EnterprisePage")
ParticipantPageSchema = page_schema(ParticipantSchema, "ParticipantPage")


class IndicatorArgsSchema(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "first day (default: project start)"})
    to = fields.Date(metadata={"description": "last day (default: project end)"})


class IndicatorRowSchema(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True)
    men = fields.Integer(required=True, allow_none=True, metadata={"description": "null for CO23"})
    women = fields.Integer(required=True, allow_none=True)
    total = fields.Integer(required=True)


class IndicatorTableSchema(Schema):
    project = fields.String(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    indicators = fields.List(fields.Nested(IndicatorRowSchema), required=True)


class SnapshotSchema(Schema):
    version = fields.Integer(required=True)
    locked_at = fields.DateTime(required=True)
    note = fields.String(required=True)
    indicators = fields.List(fields.Nested(IndicatorRowSchema), required=True)


class SnapshotListSchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True)
    snapshots = fields.List(fields.Nested(SnapshotSchema), required=True)
