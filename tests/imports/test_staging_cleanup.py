"""Staged web-import uploads go away: on confirm, on cancel, on a failed import, and in the
daily clean-up once nobody touched them for a day; nothing else in the folder is touched."""
import os
import time
from pathlib import Path

import pytest

from tests.factories import ProjectFactory, UserFactory
from tests.imports.test_mapping import CUI_A, firms_csv, upload
from trainhub.extensions import db
from trainhub.imports import views as import_views
from trainhub.imports.services import ImportFailed
from trainhub.imports.staging import remove_stale_uploads, staging_directory
from trainhub.scheduler import run_jobs_cleanup

pytestmark = pytest.mark.usefixtures("one_team")
DAY = 24 * 3600


@pytest.fixture
def staged_by(app, auth):
    """Log a coordinator in; returns a function staging a valid file, giving its preview URL."""
    user = UserFactory(role="coordinator", locale="ro")
    project = ProjectFactory()
    db.session.commit()
    auth.login(user.email)
    return lambda content=None: upload(auth, project, content or firms_csv(CUI_A))


def _files(app) -> set[str]:
    directory = staging_directory(app.config["UPLOAD_DIR"])
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


def _token(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[1]


def test_cancel_removes_the_staged_file_and_what_its_preview_kept(app, client, auth, staged_by):
    location = staged_by()
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="cancel-import"' in page
    token = _token(location)
    assert any(name.startswith(token + ".") for name in _files(app))  # the kept tables
    response = auth.post(f"{location}/cancel", {})
    assert response.status_code == 302 and "/imports/" in response.location
    assert not [name for name in _files(app) if name.startswith(token)]
    assert "Importul a fost anulat" in client.get(response.location).get_data(as_text=True)
    assert client.get(location).status_code == 404


def test_upload_a_corrected_file_drops_the_one_with_errors(app, client, auth, staged_by):
    location = staged_by(firms_csv("123"))  # an invalid CUI: a row error, nothing to confirm
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="upload-corrected"' in page
    assert auth.post(f"{location}/cancel", {}).status_code == 302
    assert not [name for name in _files(app) if name.startswith(_token(location))]


def test_an_import_that_fails_at_confirm_leaves_no_staged_file(app, auth, staged_by,
                                                               monkeypatch):
    location = staged_by()

    def failing(*_args, **_kwargs):
        raise ImportFailed("cannot be read")
    monkeypatch.setattr(import_views, "run_import", failing)
    assert auth.post(f"{location}/confirm", {}).status_code == 302
    assert not [name for name in _files(app) if name.startswith(_token(location))]


def _age(path: Path, seconds: float) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_staged_uploads_untouched_for_a_day_are_removed_and_nothing_else(tmp_path):
    old, recent, touched = "a" * 32, "b" * 32, "c" * 32
    for token in (old, recent, touched):
        for suffix in ("", ".meta", ".tables", ".report"):
            (tmp_path / f"{token}{suffix}").write_bytes(b"x")
    (tmp_path / f"{old}.meta-new").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")  # not a staged upload: left alone
    for path in tmp_path.iterdir():
        if not path.name.startswith(recent):
            _age(path, DAY + 60)
    _age(tmp_path / f"{touched}.meta", 60)  # its mapping was saved a minute ago: still in use
    assert remove_stale_uploads(tmp_path) == 1
    names = {path.name for path in tmp_path.iterdir()}
    assert not [name for name in names if name.startswith(old)]
    assert {recent, f"{touched}.tables", "notes.txt"} <= names
    assert remove_stale_uploads(tmp_path / "missing") == 0


def test_the_daily_clean_up_and_its_command_remove_old_staged_uploads(app, runner, auth,
                                                                     staged_by):
    first = _token(staged_by())
    for path in staging_directory(app.config["UPLOAD_DIR"]).iterdir():
        _age(path, DAY + 60)
    second = _token(staged_by())
    run_jobs_cleanup(app)
    assert not [name for name in _files(app) if name.startswith(first)]
    assert second in _files(app)
    for path in staging_directory(app.config["UPLOAD_DIR"]).iterdir():
        _age(path, DAY + 60)
    result = runner.invoke(args=["jobs", "cleanup"])
    assert result.exit_code == 0 and "1 staged upload(s)" in result.output
    assert _files(app) == set()
