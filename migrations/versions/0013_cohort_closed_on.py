"""cohorts: the day a cohort was closed (its certificates name the sessions held by then)

Revises: 0012
Create Date: 2026-11-30 08:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
    # cohorts closed before: the day of their closing timestamp
    cohorts = sa.table('cohorts', sa.column('closed_at', sa.DateTime(timezone=True)),
                       sa.column('closed_on', sa.Date()))
    op.execute(cohorts.update().where(cohorts.c.closed_at.is_not(None))
               .values(closed_on=sa.func.date(cohorts.c.closed_at)))


def downgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
