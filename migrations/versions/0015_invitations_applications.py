"""Invitations by e-mail and public SME applications

Revises: 0014
Create Date: 2026-11-30 10:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('full_name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('project_id', sa.Integer(), nullable=True),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('coordinator', 'trainer', 'sme')",
                           name=op.f('ck_invitations_role_valid')),
        sa.CheckConstraint("role <> 'sme' OR enterprise_id IS NOT NULL",
                           name=op.f('ck_invitations_sme_has_enterprise')),
        sa.CheckConstraint("role = 'sme' OR project_id IS NOT NULL",
                           name=op.f('ck_invitations_team_has_project')),
        sa.CheckConstraint('email = lower(email)', name=op.f('ck_invitations_email_lowercase')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_invitations_enterprise_id_enterprises'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_invitations_project_id_projects'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'],
                                name=op.f('fk_invitations_invited_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_invitations_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash')),
    )
    for column in ('email', 'enterprise_id', 'project_id', 'invited_by_id'):
        op.create_index(op.f(f'ix_invitations_{column}'), 'invitations', [column], unique=False)

    op.create_table(
        'applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('cui', sa.String(length=10), nullable=False),
        sa.Column('company_name', sa.String(length=300), nullable=False),
        sa.Column('caen', sa.String(length=4), nullable=False),
        sa.Column('county', sa.String(length=5), nullable=False),
        sa.Column('employees', sa.Integer(), nullable=True),
        sa.Column('contact_name', sa.String(length=200), nullable=False),
        sa.Column('contact_email', sa.String(length=254), nullable=False),
        sa.Column('contact_phone', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('extra_contacts', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decline_reason', sa.String(length=1000), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('enterprise_id', sa.Integer(), nullable=True),
        sa.Column('invitation_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('event', 'social_media', 'newsletter', "
                           "'awareness_campaign', 'partner', 'other')",
                           name=op.f('ck_applications_channel_valid')),
        sa.CheckConstraint("status IN ('pending', 'accepted', 'declined')",
                           name=op.f('ck_applications_status_valid')),
        sa.CheckConstraint('employees IS NULL OR employees >= 0',
                           name=op.f('ck_applications_employees_non_negative')),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_applications_project_id_projects'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_applications_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                                name=op.f('fk_applications_enterprise_id_enterprises'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_applications_invitation_id_invitations'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
        sa.UniqueConstraint('project_id', 'cui', name=op.f('uq_applications_project_id_cui')),
    )
    for column in ('project_id', 'status', 'enterprise_id'):
        op.create_index(op.f(f'ix_applications_{column}'), 'applications', [column],
                        unique=False)


def downgrade():
    for column in ('project_id', 'status', 'enterprise_id'):
        op.drop_index(op.f(f'ix_applications_{column}'), table_name='applications')
    op.drop_table('applications')
    for column in ('email', 'enterprise_id', 'project_id', 'invited_by_id'):
        op.drop_index(op.f(f'ix_invitations_{column}'), table_name='invitations')
    op.drop_table('invitations')
