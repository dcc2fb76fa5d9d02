"""drop the enterprises updated_at index: the participants page no longer caches employer options

Revises: 0007
Create Date: 2026-11-25 22:45:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_enterprises_updated_at', table_name='enterprises')


def downgrade():
    op.create_index('ix_enterprises_updated_at', 'enterprises', ['updated_at'], unique=False)
