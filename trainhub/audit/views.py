"""Admin page to browse the audit trail."""
from flask import Blueprint, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainhub.audit.models import AuditEvent
from trainhub.auth.permissions import permission_required
from trainhub.core.labels import audited_value
from trainhub.core.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@permission_required("audit.read")
def events():
    stmt = select(AuditEvent).options(joinedload(AuditEvent.user)).order_by(AuditEvent.id.desc())
    entity_type = request.args.get("entity_type", "").strip()
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    entity_id = request.args.get("entity_id", type=int)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    return render_template("audit/events.html", page=paginate(stmt, per_page=50),
                           entity_type=entity_type, entity_id=entity_id,
                           audited_value=audited_value)
