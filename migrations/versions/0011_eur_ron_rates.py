"""EUR/RON annual average rates: amounts in lei in imported files are converted to EUR

Revises: 0010
Create Date: 2026-11-30 07:30:00

"""
import sqlalchemy as sa
from alembic import op

from trainhub.enterprises.models import seed_rates

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'eur_ron_rates',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('ron_per_eur', sa.Numeric(precision=8, scale=4), nullable=False),
        sa.CheckConstraint('ron_per_eur > 0', name=op.f('ck_eur_ron_rates_ron_per_eur_positive')),
        sa.CheckConstraint('year BETWEEN 1990 AND 2100',
                           name=op.f('ck_eur_ron_rates_year_plausible')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_eur_ron_rates')),
    )
    # the published rates come from the code that defines the table, as `create_all` has them
    seed_rates(op.get_bind())


def downgrade():
    op.drop_table('eur_ron_rates')
