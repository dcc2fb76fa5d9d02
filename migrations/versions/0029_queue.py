"""review queue: documents, checklist lines and calls change the data version, so the queue's
count and filter options are kept while they are unchanged (SQLite triggers; PostgreSQL needs none)

Revises: 0025
Create Date: 2026-11-30 18:00:00

"""
from alembic import op

from trainhub.core import counts

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0025'
branch_labels = None
depends_on = None

#: the tables this revision adds to the versioned ones (trainhub/core/counts.py)
TABLES = ("documents", "document_requirements", "calls")


def upgrade():
    counts.install(op.get_bind(), TABLES)


def downgrade():
    counts.uninstall(op.get_bind(), TABLES)
