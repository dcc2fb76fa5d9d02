"""cohorts: the online link of a cohort taught (partly) online, shown to its trainer and people

Revises: 0014
Create Date: 2026-11-30 10:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online_link', sa.String(length=500), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('online_link')
