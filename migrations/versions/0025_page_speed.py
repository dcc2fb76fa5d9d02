"""page speed: the change counter whose version keys the participants list's kept count, and
the review queue's index (pending uploads in upload order)

Revises: 0022
Create Date: 2026-11-30 14:00:00

"""
import sqlalchemy as sa
from alembic import op

from trainhub.core import counts

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'change_counters',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counters')),
    )
    # the row and the SQLite triggers come from the code that reads them, as with create_all
    counts.install(op.get_bind())
    op.create_index('ix_documents_review_order', 'documents', ['status', 'uploaded_at', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_documents_review_order', table_name='documents')
    counts.uninstall(op.get_bind())
    op.drop_table('change_counters')
