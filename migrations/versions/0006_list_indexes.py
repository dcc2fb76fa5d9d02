"""list indexes: participants in list order (name, id) and enterprises by last change

Revises: 0005
Create Date: 2026-11-25 20:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # the composite index serves every lookup the last-name index served
    op.drop_index('ix_participants_last_name', table_name='participants')
    op.create_index('ix_participants_name_order', 'participants',
                    ['last_name', 'first_name', 'id'], unique=False)
    op.create_index('ix_enterprises_updated_at', 'enterprises', ['updated_at'], unique=False)


def downgrade():
    op.drop_index('ix_enterprises_updated_at', table_name='enterprises')
    op.drop_index('ix_participants_name_order', table_name='participants')
    op.create_index('ix_participants_last_name', 'participants', ['last_name'], unique=False)
