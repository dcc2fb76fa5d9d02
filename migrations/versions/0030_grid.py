"""attendance grid: cohorts, sessions, enrollments, marks and sign-in sheets change the data
version, so a grid's rendered rows are kept while they are unchanged (SQLite triggers;
PostgreSQL needs none)

Revises: 0029
Create Date: 2026-11-30 23:50:00

"""
from alembic import op

from trainhub.core import counts

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

#: the tables this revision adds to the versioned ones (trainhub/core/counts.py)
TABLES = ("cohorts", "training_sessions", "enrollments", "attendance_marks", "sign_in_sheets")


def upgrade():
    counts.install(op.get_bind(), TABLES)


def downgrade():
    counts.uninstall(op.get_bind(), TABLES)
