"""Configuration classes for TrainHub; every setting comes from an environment variable."""
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("TRAINHUB_INSTANCE", BASE_DIR / "instance"))


class ConfigError(RuntimeError):
    """Raised when the configuration is missing or malformed; the app refuses to start."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {value!r}")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _persistent_secret_key() -> str:
    """A development secret key, generated once and kept in the instance folder."""
    key_file = INSTANCE_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


class DefaultConfig:
    """Settings shared by every environment, read from the environment when instantiated."""

    BABEL_DEFAULT_LOCALE = "ro"
    LANGUAGES = ("ro", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    RATELIMIT_HEADERS_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None
    PAGE_SIZE = 25
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    API_TITLE = "TrainHub API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # No Swagger UI / ReDoc: flask-smorest loads them from a CDN; /api/docs is a local page.
    API_SPEC_OPTIONS = {
        "info": {"description": "Read access to projects, enterprises and participants, "
                                "scoped like the web pages to what the token's owner may see."},
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A personal token from the API tokens page"}}},
        "security": [{"bearerAuth": []}],
    }

    def __init__(self) -> None:
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = env(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'trainhub.db'}"
        )
        self.UPLOAD_DIR = env("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
        self.UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
        # The request limit sits above the per-file limit so an oversized file gets the
        # friendly per-file message; anything larger is cut off with the 413 page.
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 50 * 1024 * 1024)
        #: the largest CSV/XLSX file an import reads (web and CLI); 0 keeps the built-in 50 MB.
        #: A web upload is also capped by MAX_CONTENT_LENGTH.
        self.IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 0)
        self.MAIL_SERVER = env("MAIL_SERVER", "localhost")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_FROM = env("MAIL_FROM", "trainhub@localhost")
        self.SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", False)
        #: where the one-scheduler-per-host lock file lives
        self.SCHEDULER_LOCK_FILE = env("SCHEDULER_LOCK_FILE",
                                       str(INSTANCE_DIR / "scheduler.lock"))
        #: daily time (HH:MM, server time) of the document reminders
        self.REMINDER_TIME = env("REMINDER_TIME", "07:00")
        #: the same document is not reminded again to the same address within this many days
        self.REMINDER_INTERVAL_DAYS = _int("REMINDER_INTERVAL_DAYS", 7)
        #: the site's address, for links in e-mails sent by jobs
        self.BASE_URL = env("BASE_URL", "http://localhost:5000")
        #: years a project's records are kept after its end date (funding rules)
        self.RETENTION_YEARS = _int("RETENTION_YEARS", 10)
        #: daily time (HH:MM, server time) of the retention check
        self.RETENTION_CHECK_TIME = env("RETENTION_CHECK_TIME", "06:30")
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URI", "memory://")
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per minute")
        #: public SME applications (DESIGN §16) accepted from one address
        self.APPLY_RATE_LIMIT = env("APPLY_RATE_LIMIT", "10 per hour")
        #: this many failed logins within LOCKOUT_WINDOW_MINUTES lock the account ...
        self.LOCKOUT_THRESHOLD = _int("LOCKOUT_THRESHOLD", 5)
        self.LOCKOUT_WINDOW_MINUTES = _int("LOCKOUT_WINDOW_MINUTES", 15)
        #: ... for this many minutes (an admin unlocks earlier by reactivating the account)
        self.LOCKOUT_MINUTES = _int("LOCKOUT_MINUTES", 15)
        #: how long an e-mailed password reset link stays valid, in seconds
        self.PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
        #: days a trainee's personal link (DESIGN §16) stays valid after it is issued
        self.TRAINEE_LINK_DAYS = _int("TRAINEE_LINK_DAYS", 60)
        #: requests per address on the trainee link pages
        self.TRAINEE_LINK_RATE_LIMIT = env("TRAINEE_LINK_RATE_LIMIT", "60 per minute")
        #: seconds the background sender of a reset e-mail waits for the SMTP server
        self.MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
        #: how many reverse proxies / load balancers set X-Forwarded-For/-Proto in front of the
        #: app (0: none); rate limits then count the client's address, not the balancer's
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        #: Strict-Transport-Security on every response (production only: it needs HTTPS)
        self.HSTS_ENABLED = _bool("HSTS_ENABLED", False)
        #: one JSON line per request on the "trainhub.requests" logger
        self.REQUEST_LOG_JSON = _bool("REQUEST_LOG_JSON", False)
        #: background jobs (DESIGN §14): the huey queue is this SQLite file unless a Redis URL
        #: is given (several app hosts sharing the work; needs the `redis` package)
        self.HUEY_SQLITE_PATH = env("HUEY_SQLITE_PATH", str(INSTANCE_DIR / "huey.db"))
        self.HUEY_REDIS_URL = env("HUEY_REDIS_URL", "")
        #: run each job inline, at once, in the process that starts it (the tests)
        self.HUEY_IMMEDIATE = _bool("HUEY_IMMEDIATE", False)
        #: an export of more rows than this runs as a background job
        self.EXPORT_JOB_ROWS = _int("EXPORT_JOB_ROWS", 2000)
        #: an import file larger than this (bytes) is read by a background job
        self.IMPORT_JOB_BYTES = _int("IMPORT_JOB_BYTES", 2 * 1024 * 1024)
        #: a job's result file is removed this many days after the job ended
        self.JOB_RESULT_DAYS = _int("JOB_RESULT_DAYS", 7)
        #: daily time (HH:MM, server time) of that clean-up
        self.JOB_CLEANUP_TIME = env("JOB_CLEANUP_TIME", "05:45")

    def validate(self) -> None:
        """Check the settings that must be right before the app serves anything."""
        hour, _sep, minute = self.REMINDER_TIME.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ConfigError(f"REMINDER_TIME must be HH:MM, got {self.REMINDER_TIME!r}")
        hour, _sep, minute = self.RETENTION_CHECK_TIME.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ConfigError(
                f"RETENTION_CHECK_TIME must be HH:MM, got {self.RETENTION_CHECK_TIME!r}")
        hour, _sep, minute = self.JOB_CLEANUP_TIME.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise ConfigError(f"JOB_CLEANUP_TIME must be HH:MM, got {self.JOB_CLEANUP_TIME!r}")
        if self.RETENTION_YEARS < 0:
            raise ConfigError(f"RETENTION_YEARS must not be negative, got {self.RETENTION_YEARS}")


class DevelopmentConfig(DefaultConfig):
    """Local development: SQLite in instance/, a secret key generated once and kept there."""

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = self.SECRET_KEY or _persistent_secret_key()


class TestingConfig(DefaultConfig):
    """The test suite: throw-away database, CSRF on (tests post real tokens), no SMTP."""

    TESTING = True
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast in tests; production keeps the default

    def __init__(self) -> None:
        super().__init__()
        self.SECRET_KEY = "testing-secret-key"
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
        self.SCHEDULER_ENABLED = False
        self.MAIL_SERVER = "127.0.0.1"
        self.MAIL_PORT = 1  # nothing listens there unless a test starts an SMTP server
        self.HUEY_IMMEDIATE = True  # a job runs inline, inside the request that starts it


class ProductionConfig(DefaultConfig):
    """Production: everything secret or site-specific must be given explicitly."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
        self.HSTS_ENABLED = _bool("HSTS_ENABLED", True)
        self.REQUEST_LOG_JSON = _bool("REQUEST_LOG_JSON", True)

    def validate(self) -> None:
        super().validate()
        problems = []
        if not self.SECRET_KEY or len(self.SECRET_KEY) < 16:
            problems.append("SECRET_KEY must be set to a random string of at least 16 characters")
        url = self.SQLALCHEMY_DATABASE_URI
        if not url:
            problems.append("DATABASE_URL must be set (e.g. postgresql+psycopg://user@host/db)")
        elif "://" not in url:
            problems.append(f"DATABASE_URL is not a database URL: {url!r}")
        if problems:
            raise ConfigError("TrainHub refuses to start: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> DefaultConfig:
    """The config named by TRAINHUB_ENV (development by default), read from the environment."""
    name = os.environ.get("TRAINHUB_ENV", "development")
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(
            f"TRAINHUB_ENV must be one of {', '.join(CONFIGS)}, got {name!r}"
        ) from None
