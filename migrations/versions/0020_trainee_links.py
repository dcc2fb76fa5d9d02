"""memberships: the personal trainee link (version, issue time) of DESIGN §16

Revises: 0014
Create Date: 2026-11-30 10:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD/DROP COLUMN (SQLite 3.35+ and PostgreSQL): a batch copy of `memberships` would
    # break the indicator-fact triggers that name it
    op.add_column('memberships', sa.Column('link_version', sa.Integer(), server_default='0',
                                           nullable=False))
    op.add_column('memberships', sa.Column('link_issued_at', sa.DateTime(timezone=True),
                                           nullable=True))


def downgrade():
    op.execute('ALTER TABLE memberships DROP COLUMN link_issued_at')
    op.execute('ALTER TABLE memberships DROP COLUMN link_version')
