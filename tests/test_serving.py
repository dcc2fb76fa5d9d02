"""The gunicorn settings every server start uses: the hooks are found and freeze the kept objects."""
import gc
from pathlib import Path

from gunicorn.config import Config

import trainhub.serving as serving

ROOT = Path(__file__).resolve().parent.parent


def _loaded(config_path: str) -> Config:
    from gunicorn.app.base import Application

    class _App(Application):
        def init(self, parser, opts, args):
            return None

        def load(self):
            return None

    app = _App.__new__(_App)
    app.usage, app.prog, app.callable = None, None, None
    app.cfg = Config()
    app.load_config_from_file(config_path)
    return app.cfg


def test_the_config_module_carries_the_hooks():
    """`make serve`, the systemd unit, the container, the bench and the load test all start
    gunicorn with `--config python:trainhub.serving`."""
    cfg = _loaded("python:trainhub.serving")
    assert cfg.post_worker_init is serving.post_worker_init
    assert cfg.post_request is serving.post_request


def test_every_gunicorn_command_names_the_config_module():
    for path in ("Makefile", "docs/deploy.md", "tests/load/__main__.py", "tests/bench/__main__.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert "gunicorn" in text and "trainhub.serving" in text, path


def test_a_worker_freezes_after_loading_and_once_after_its_warm_up(monkeypatch):
    frozen = []
    monkeypatch.setattr(serving, "freeze_kept_objects", lambda: frozen.append(True))
    monkeypatch.setattr(serving, "_served", iter(range(1, 1000)))
    serving.post_worker_init(None)
    assert len(frozen) == 1
    for _ in range(serving.WARM_UP_REQUESTS * 3):
        serving.post_request(None, None, {}, None)
    assert len(frozen) == 2


def test_freezing_moves_the_live_objects_out_of_the_collector():
    try:
        kept = [object() for _ in range(10)]
        serving.freeze_kept_objects()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
