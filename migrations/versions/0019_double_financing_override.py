"""memberships: the managing authority's override of the double-financing rule (reason, who, when)

Revises: 0014
Create Date: 2026-11-30 10:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD/DROP COLUMN, not a batch copy: rebuilding `memberships` on SQLite would drop
    # the triggers that keep the indicator facts
    op.add_column('memberships', sa.Column('double_financing_override', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('memberships', 'double_financing_override')
