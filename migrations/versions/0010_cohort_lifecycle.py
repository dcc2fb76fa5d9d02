"""cohort lifecycle: reopening, mark remarks, certificate figures and their revisions

Revises: 0009
Create Date: 2026-11-30 07:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reopen_reason', sa.String(length=500), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remark', sa.String(length=300), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('last_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('hours_attended', sa.Numeric(precision=6, scale=2), nullable=True))
        batch_op.add_column(sa.Column('hours_planned', sa.Numeric(precision=6, scale=2), nullable=True))
    op.create_table('certificate_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('hours_attended', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('hours_planned', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_revisions_certificate_id_certificates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_revisions')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificate_revisions_serial')),
    sa.UniqueConstraint('token', name=op.f('uq_certificate_revisions_token'))
    )
    with op.batch_alter_table('certificate_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_revisions_certificate_id'), ['certificate_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_revisions_certificate_id'))
    op.drop_table('certificate_revisions')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('hours_planned')
        batch_op.drop_column('hours_attended')
        batch_op.drop_column('last_day')
        batch_op.drop_column('first_day')
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.drop_column('remark')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('reopen_reason')
        batch_op.drop_column('reopened_at')
