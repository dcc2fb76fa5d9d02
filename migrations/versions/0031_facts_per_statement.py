"""indicator facts: on PostgreSQL the facts of inserted memberships are written once per
statement, over its inserted rows (a transition table), instead of once per row: an import's
thousands of new memberships in one go (SQLite keeps its row triggers)

Revises: 0030
Create Date: 2026-12-01 03:10:00

"""
from alembic import op

from trainhub.indicators import facts

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        facts.install(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        facts.install(op.get_bind(), per_statement=False)
