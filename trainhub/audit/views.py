"""Admin page to browse the audit trail."""
from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trainhub.audit.models import AuditEvent
from trainhub.auth.permissions import permission_required
from trainhub.core.bounds import an_id
from trainhub.core.labels import audited_value
from trainhub.core.pagination import paginate
from trainhub.extensions import db
from trainhub.participants.services import reader_view

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


@bp.route("/")
@permission_required("audit.read")
def events():
    stmt = select(AuditEvent).options(joinedload(AuditEvent.user)).order_by(AuditEvent.id.desc())
    entity_type = request.args.get("entity_type", "").strip()
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    entity_id = request.args.get("entity_id", type=an_id)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    page = paginate(stmt, per_page=50)
    view = reader_view(db.session, current_user, [event.changes for event in page.items])
    return render_template("audit/events.html", page=page, entity_type=entity_type,
                           entity_id=entity_id, shown=view.text, audited_value=audited_value)
