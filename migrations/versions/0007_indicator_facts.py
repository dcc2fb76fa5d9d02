"""indicator facts: a trigger-kept table of each counted membership's facts

Revises: 0006
Create Date: 2026-11-25 22:00:00

"""
import sqlalchemy as sa
from alembic import op

from trainhub.indicators import facts

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'indicator_facts',
        sa.Column('membership_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('profile', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('entry_date', sa.Date(), nullable=False),
        sa.Column('exit_date', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'],
                                name=op.f('fk_indicator_facts_membership_id_memberships'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('membership_id', name=op.f('pk_indicator_facts')),
    )
    op.create_index('ix_indicator_facts_employer', 'indicator_facts',
                    ['project_id', 'enterprise_id', 'entry_date'], unique=False)
    op.create_index('ix_indicator_facts_profile', 'indicator_facts',
                    ['project_id', 'profile', 'entry_date', 'exit_date'], unique=False)
    # the triggers and the first fill come from the code that defines the facts, so the
    # migration and `create_all` install the same thing
    facts.install(op.get_bind(), per_statement=False)  # per statement from 0031 on
    facts.rebuild(op.get_bind())


def downgrade():
    facts.uninstall(op.get_bind())
    op.drop_index('ix_indicator_facts_profile', table_name='indicator_facts')
    op.drop_index('ix_indicator_facts_employer', table_name='indicator_facts')
    op.drop_table('indicator_facts')
