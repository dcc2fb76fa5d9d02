"""gdpr: consent details per membership, pseudonymisation mark per participant

Revises: 0004
Create Date: 2026-11-25 17:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_text_version', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('consent_method', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('consent_document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_memberships_consent_document_id_documents'), 'documents', ['consent_document_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.alter_column('consent_text_version', server_default=None)
        batch_op.alter_column('consent_method', server_default=None)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pseudonymised_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_column('pseudonymised_at')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_memberships_consent_document_id_documents'), type_='foreignkey')
        batch_op.drop_column('consent_document_id')
        batch_op.drop_column('consent_method')
        batch_op.drop_column('consent_text_version')
