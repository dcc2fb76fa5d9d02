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


def pending_documents(count: int = 500) -> list[int]:
    """`count` pending uploads of the scale project's enterprises and participants (the scale
    dataset has none), so the review queue has a page of its own to show; their ids, for the
    bench to delete afterwards (the reminder figure counts missing documents)."""
    from sqlalchemy import insert, select

    from trainhub.core.models import utcnow
    from trainhub.documents.models import Document, DocumentRequirement
    from trainhub.enterprises.models import Enterprise
    from trainhub.extensions import db
    from trainhub.participants.models import Participant

    requirements = {level: db.session.scalars(select(DocumentRequirement.id)
                                              .where(DocumentRequirement.level == level)).all()
                    for level in ("enterprise", "participant")}
    enterprises = db.session.scalars(select(Enterprise.id).order_by(Enterprise.id.desc())
                                     .limit(count // 2)).all()
    people = db.session.scalars(select(Participant.id).order_by(Participant.id.desc())
                                .limit(count - len(enterprises))).all()
    start = (db.session.scalar(select(Document.id).order_by(Document.id.desc()).limit(1)) or 0) + 1
    # a version no upload has yet: a run left over from before never collides
    version = (db.session.scalar(select(Document.version).order_by(Document.version.desc())
                                 .limit(1)) or 0) + 1
    owners = [("enterprise_id", id_, requirements["enterprise"]) for id_ in enterprises] + [
        ("participant_id", id_, requirements["participant"]) for id_ in people]
    rows = [{"id": start + n, "requirement_id": choices[n % len(choices)], "version": version,
             "enterprise_id": id_ if column == "enterprise_id" else None,
             "participant_id": id_ if column == "participant_id" else None,
             "storage_key": f"bench/{n}", "sha256": f"{n:064x}", "size": 1000,
             "content_type": "application/pdf", "original_name": f"act-{n}.pdf",
             "status": "pending", "review_reason": "", "uploaded_at": utcnow()}
            for n, (column, id_, choices) in enumerate(owners)]
    db.session.execute(insert(Document), rows)
    db.session.commit()
    return [row["id"] for row in rows]
