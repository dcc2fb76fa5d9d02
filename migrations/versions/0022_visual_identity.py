"""Visual identity of a call (texts, logos) and certificate templates; a certificate keeps the
wording it was issued with

Revises: 0014
Create Date: 2026-11-30 10:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False)]


def upgrade():
    op.create_table(
        'call_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('logos', sa.JSON(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'],
                                name=op.f('fk_call_identities_call_id_calls'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_identities')),
        sa.UniqueConstraint('call_id', name=op.f('uq_call_identities_call_id')),
    )
    op.create_table(
        'certificate_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.String(length=2000), nullable=False),
        sa.Column('signatures', sa.JSON(), nullable=False),
        sa.Column('orientation', sa.String(length=1), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint('(call_id IS NULL) <> (project_id IS NULL)',
                           name=op.f('ck_certificate_templates_one_owner')),
        sa.CheckConstraint("orientation IN ('P', 'L')",
                           name=op.f('ck_certificate_templates_orientation_valid')),
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'],
                                name=op.f('fk_certificate_templates_call_id_calls'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_certificate_templates_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_templates')),
        sa.UniqueConstraint('call_id', name=op.f('uq_certificate_templates_call_id')),
        sa.UniqueConstraint('project_id', name=op.f('uq_certificate_templates_project_id')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('template')
    op.drop_table('certificate_templates')
    op.drop_table('call_identities')
