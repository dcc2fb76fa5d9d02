"""the SME's digital journey: maturity questionnaire (version 1 seeded) and assessments, course
cost per participant-hour and competence tags (the starter catalogue's seeded), skills vouchers
and their charges, exit situations and six-month follow-ups

Revises: 0014
Create Date: 2026-11-30 10:00:05

"""
import sqlalchemy as sa
from alembic import op

from trainhub.journey.seed import STARTER_COURSE_DIMENSIONS, seed_questionnaire


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('maturity_questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maturity_questionnaires')),
    sa.UniqueConstraint('version', name=op.f('uq_maturity_questionnaires_version'))
    )
    op.create_table('maturity_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('text_ro', sa.String(length=500), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.CheckConstraint("dimension IN ('strategy', 'readiness', 'human', 'data', 'automation', 'green')", name=op.f('ck_maturity_questions_dimension_valid')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['maturity_questionnaires.id'], name=op.f('fk_maturity_questions_questionnaire_id_maturity_questionnaires'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maturity_questions')),
    sa.UniqueConstraint('questionnaire_id', 'code', name=op.f('uq_maturity_questions_questionnaire_id_code'))
    )
    with op.batch_alter_table('maturity_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maturity_questions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('maturity_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('taken_on', sa.Date(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('filled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('entry', 'exit')", name=op.f('ck_maturity_assessments_kind_valid')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_maturity_assessments_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['filled_by_id'], ['users.id'], name=op.f('fk_maturity_assessments_filled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_maturity_assessments_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['maturity_questionnaires.id'], name=op.f('fk_maturity_assessments_questionnaire_id_maturity_questionnaires'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maturity_assessments')),
    sa.UniqueConstraint('project_id', 'enterprise_id', 'kind', name=op.f('uq_maturity_assessments_project_id_enterprise_id_kind'))
    )
    with op.batch_alter_table('maturity_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maturity_assessments_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maturity_assessments_project_id'), ['project_id'], unique=False)

    op.create_table('vouchers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('budget_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('budget_eur IS NULL OR budget_eur >= 0', name=op.f('ck_vouchers_budget_eur_non_negative')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_vouchers_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_vouchers_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_vouchers_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers')),
    sa.UniqueConstraint('project_id', 'enterprise_id', name=op.f('uq_vouchers_project_id_enterprise_id'))
    )
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vouchers_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_project_id'), ['project_id'], unique=False)

    op.create_table('maturity_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.CheckConstraint('points BETWEEN 0 AND 5', name=op.f('ck_maturity_answers_points_in_scale')),
    sa.ForeignKeyConstraint(['assessment_id'], ['maturity_assessments.id'], name=op.f('fk_maturity_answers_assessment_id_maturity_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['maturity_questions.id'], name=op.f('fk_maturity_answers_question_id_maturity_questions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maturity_answers')),
    sa.UniqueConstraint('assessment_id', 'question_id', name=op.f('uq_maturity_answers_assessment_id_question_id'))
    )
    with op.batch_alter_table('maturity_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maturity_answers_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maturity_answers_question_id'), ['question_id'], unique=False)

    op.create_table('exit_situations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('qualification_obtained', sa.Boolean(), nullable=False),
    sa.Column('employed', sa.Boolean(), nullable=False),
    sa.Column('better_job', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_exit_situations_membership_id_memberships'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_exit_situations_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exit_situations')),
    sa.UniqueConstraint('membership_id', name=op.f('uq_exit_situations_membership_id'))
    )
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('employed', sa.Boolean(), nullable=True),
    sa.Column('better_job', sa.Boolean(), nullable=True),
    sa.Column('qualification_used', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['memberships.id'], name=op.f('fk_follow_ups_membership_id_memberships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('membership_id', name=op.f('uq_follow_ups_membership_id'))
    )
    op.create_table('voucher_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('voucher_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('amount_eur', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('refunded_on', sa.Date(), nullable=True),
    sa.Column('override_reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_eur IS NULL OR amount_eur >= 0', name=op.f('ck_voucher_charges_amount_eur_non_negative')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_voucher_charges_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_voucher_charges_voucher_id_vouchers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_charges')),
    sa.UniqueConstraint('enrollment_id', name=op.f('uq_voucher_charges_enrollment_id'))
    )
    with op.batch_alter_table('voucher_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voucher_charges_voucher_id'), ['voucher_id'], unique=False)

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_per_hour_eur', sa.Numeric(precision=8, scale=2),
                                      nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('dimensions', sa.JSON(), nullable=False,
                                      server_default='[]'))
    connection = op.get_bind()
    seed_questionnaire(connection)  # version 1 is frozen: see trainhub/journey/seed.py
    courses = sa.table('courses', sa.column('code', sa.String), sa.column('dimensions', sa.JSON))
    for code, dimensions in STARTER_COURSE_DIMENSIONS.items():
        connection.execute(courses.update().where(courses.c.code == code)
                           .values(dimensions=dimensions))



def downgrade():
    # plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of `courses` would drop a
    # table the cohorts' rows refer to
    op.execute('ALTER TABLE courses DROP COLUMN dimensions')
    op.execute('ALTER TABLE courses DROP COLUMN cost_per_hour_eur')

    with op.batch_alter_table('voucher_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voucher_charges_voucher_id'))

    op.drop_table('voucher_charges')
    op.drop_table('follow_ups')
    op.drop_table('exit_situations')
    with op.batch_alter_table('maturity_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maturity_answers_question_id'))
        batch_op.drop_index(batch_op.f('ix_maturity_answers_assessment_id'))

    op.drop_table('maturity_answers')
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vouchers_project_id'))
        batch_op.drop_index(batch_op.f('ix_vouchers_enterprise_id'))

    op.drop_table('vouchers')
    with op.batch_alter_table('maturity_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maturity_assessments_project_id'))
        batch_op.drop_index(batch_op.f('ix_maturity_assessments_enterprise_id'))

    op.drop_table('maturity_assessments')
    with op.batch_alter_table('maturity_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maturity_questions_questionnaire_id'))

    op.drop_table('maturity_questions')
    op.drop_table('maturity_questionnaires')
