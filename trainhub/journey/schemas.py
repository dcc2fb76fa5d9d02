"""marshmallow schemas of the digital journey's API answers (DESIGN §17)."""
from marshmallow import Schema, fields


class VoucherRowSchema(Schema):
    cui = fields.String(required=True)
    name = fields.String(required=True)
    budget_eur = fields.Decimal(required=True, as_string=True)
    spent_eur = fields.Decimal(required=True, as_string=True)
    balance_eur = fields.Decimal(required=True, as_string=True)


class VoucherReportSchema(Schema):
    project = fields.String(required=True)
    vouchers = fields.List(fields.Nested(VoucherRowSchema), required=True)


class MaturityRowSchema(Schema):
    cui = fields.String(required=True)
    dimension = fields.String(required=True)
    score_entry = fields.Integer(required=True, allow_none=True)
    score_exit = fields.Integer(required=True, allow_none=True)


class MaturityReportSchema(Schema):
    project = fields.String(required=True)
    scores = fields.List(fields.Nested(MaturityRowSchema), required=True)
