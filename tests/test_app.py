"""The app factory and configuration."""
import pytest

from config import ConfigError, DevelopmentConfig, ProductionConfig, config_from_env
from trainhub import create_app


def test_testing_app_uses_testing_config(app):
    assert app.config["TESTING"] is True
    assert app.config["WTF_CSRF_ENABLED"] is not False


def test_production_refuses_to_start_without_secret_key_and_database(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as error:
        create_app(ProductionConfig())
    assert "SECRET_KEY" in str(error.value) and "DATABASE_URL" in str(error.value)


def test_production_refuses_a_malformed_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "not a url")
    with pytest.raises(ConfigError, match="not a database URL"):
        create_app(ProductionConfig())


def test_production_starts_with_its_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    app = create_app(ProductionConfig())
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_malformed_boolean_setting_is_refused(monkeypatch):
    monkeypatch.setenv("SCHEDULER_ENABLED", "perhaps")
    with pytest.raises(ConfigError, match="SCHEDULER_ENABLED"):
        DevelopmentConfig()


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("TRAINHUB_ENV", "staging")
    with pytest.raises(ConfigError, match="TRAINHUB_ENV"):
        config_from_env()


def test_development_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    import config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path)
    first = DevelopmentConfig().SECRET_KEY
    assert len(first) > 32
    assert DevelopmentConfig().SECRET_KEY == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unknown_page_is_404_in_the_layout(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "TrainHub" in response.get_data(as_text=True)


def test_static_bootstrap_is_served_locally(client):
    html = client.get("/login").get_data(as_text=True)
    assert "cdn" not in html.lower()
    css = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert css.status_code == 200


def test_unexpected_error_shows_the_500_page_in_the_layout():
    from tests.conftest import make_app

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "TrainHub" in html and "secret internals" not in html


@pytest.mark.parametrize("name, value, message", [
    ("RETENTION_YEARS", "ten", "RETENTION_YEARS"), ("RETENTION_YEARS", "-1", "negative"),
    ("RETENTION_CHECK_TIME", "25:00", "RETENTION_CHECK_TIME")])
def test_malformed_retention_settings_are_refused(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        DevelopmentConfig().validate()


def test_retention_is_ten_years_unless_configured(monkeypatch):
    assert DevelopmentConfig().RETENTION_YEARS == 10
    monkeypatch.setenv("RETENTION_YEARS", "5")
    assert DevelopmentConfig().RETENTION_YEARS == 5
