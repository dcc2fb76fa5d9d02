"""Benchmarks run by `make bench`; never part of `make test`."""

BENCH_EMAIL = "bench-load@trainhub.local"


def ensure_bench_user() -> None:
    """The coordinator the served-page load logs in as. The bench adds it before gunicorn
    starts: two workers each adding it while importing the app would collide."""
    from sqlalchemy import select

    from trainhub.auth.models import User
    from trainhub.extensions import db

    if db.session.scalar(select(User.id).where(User.email == BENCH_EMAIL)) is None:
        user = User(email=BENCH_EMAIL, full_name="Bench", role="coordinator", active=True,
                    locale="en", password_hash="")
        user.set_password("bench-password-2026", "pbkdf2:sha256:1000")
        db.session.add(user)
        db.session.commit()
    # the bench coordinator works on every project of the database (DESIGN §14: teams)
    from trainhub.programme.models import Project, ProjectMember

    user = db.session.scalar(select(User).where(User.email == BENCH_EMAIL))
    for project_id in db.session.scalars(select(Project.id).where(Project.id.not_in(
            select(ProjectMember.project_id).where(ProjectMember.user_id == user.id)))):
        db.session.add(ProjectMember(project_id=project_id, user_id=user.id, role=user.role))
    db.session.commit()
