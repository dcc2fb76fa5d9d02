"""The column mapping a project saved for a kind of file, applied to its next uploads."""
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trainhub.core.models import TimestampMixin
from trainhub.extensions import db

#: the kinds of file a column mapping applies to (one sheet of one kind; not the workbook)
MAPPED_KINDS = ("enterprises", "participants", "attendance")


class ImportMapping(TimestampMixin, db.Model):
    """How a project's files of one kind name their columns: {file column as typed: field or
    None to ignore it}, laid over the synonyms when such a file is read (DESIGN §13)."""

    __tablename__ = "import_mappings"
    __table_args__ = (
        UniqueConstraint("project_id", "kind"),
        CheckConstraint("kind IN ('enterprises', 'participants', 'attendance')",
                        name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    #: the kind of file (MAPPED_KINDS)
    kind: Mapped[str] = mapped_column(String(20))
    #: {file column as typed: field name or None}
    columns: Mapped[dict] = mapped_column(JSON, default=dict)
    #: who saved it last
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
