"""mail log: every reminder e-mail, sent or failed, with the items it named (issue 5)

Revises: 0001
Create Date: 2026-11-25 17:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.CheckConstraint("status IN ('sent', 'failed')", name=op.f('ck_mail_log_status_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_log'))
    )
    with op.batch_alter_table('mail_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_log_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index('ix_mail_log_to_sent_at', ['to', 'sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_log', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_log_to_sent_at')
        batch_op.drop_index(batch_op.f('ix_mail_log_sent_at'))

    op.drop_table('mail_log')
