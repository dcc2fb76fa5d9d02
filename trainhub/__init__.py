"""TrainHub: runs a publicly funded digital-skills training programme for SMEs."""
import logging
from pathlib import Path

from flask import Flask

from config import DefaultConfig, config_from_env

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_dir(name: str) -> str:
    """A top-level folder (templates/, migrations/) of the checkout, or its copy shipped inside
    the package when TrainHub is installed from a wheel."""
    checkout = PACKAGE_DIR.parent / name
    return str(checkout if checkout.is_dir() else PACKAGE_DIR / name)


def create_app(config: DefaultConfig | dict | None = None) -> Flask:
    """Build the Flask app: config, extensions, blueprints, CLI, error handlers."""
    app = Flask(__name__, template_folder=bundled_dir("templates"), instance_relative_config=True)
    from trainhub.core.bounds import IdConverter

    app.url_map.converters["int"] = IdConverter  # every <int:...> of every route, pages and API
    if isinstance(config, dict):
        base = config_from_env()
        app.config.from_object(base)
        app.config.update(config)
    else:
        base = config or config_from_env()
        app.config.from_object(base)
    base.validate()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("alembic.runtime.plugins", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from trainhub import models  # noqa: F401  (every model registered before anything runs)
    from trainhub.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate
    from trainhub.participants import entry_exit  # noqa: F401  (its session hooks keep entry/exit dates)

    db.init_app(app)
    migrate.init_app(app, db, directory=bundled_dir("migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    from trainhub.auth.services import load_user, select_locale

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=select_locale)

    from trainhub.jobs import queue

    queue.init_app(app)
    from trainhub import views

    views.register(app)
    from trainhub import web

    web.init_app(app)
    from trainhub import api

    api.init_app(app)
    from trainhub.cli import register_cli

    register_cli(app)
    if app.config.get("SCHEDULER_ENABLED"):
        from trainhub.scheduler import start_scheduler

        start_scheduler(app)
    return app
