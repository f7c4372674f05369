"""Settings, read from the environment; one class per deployment kind."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-insecure-change-me"


def _redis_options() -> dict:
    """Short timeouts so a dead Redis costs milliseconds, not seconds."""
    timeout = float(os.environ.get("REDIS_TIMEOUT", "0.25"))
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout}


def normalize_database_url(url: str | None) -> str | None:
    """Use the psycopg2 driver for plain postgres URLs (SQLAlchemy 2.1 would pick psycopg 3)."""
    if url:
        for scheme in ("postgres://", "postgresql://"):
            if url.startswith(scheme):
                return "postgresql+psycopg2://" + url[len(scheme):]
    return url


class Config:
    """Shared defaults: the embedded mode (SQLite + in-process cache) unless URLs are set."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    DATABASE_URL = os.environ.get("DATABASE_URL")
    # PostgreSQL: the role every app transaction switches to (no BYPASSRLS, owns nothing; see README).
    DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "tailtown_app")
    DATABASE_OPERATOR_ROLE = os.environ.get("DATABASE_OPERATOR_ROLE", "tailtown_operator")  # inside unscoped()
    REDIS_URL = os.environ.get("REDIS_URL")
    BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
    PUBLIC_PORT = os.environ.get("PUBLIC_PORT", "")  # port in links to tenant hosts, e.g. 5000 in development
    LANDING_LISTS_RESORTS = False  # the bare domain's landing page lists every resort (development and tests only)
    PLATFORM_OPERATOR_TOKEN = os.environ.get("PLATFORM_OPERATOR_TOKEN")
    LOG_JSON = os.environ.get("LOG_JSON", "0") == "1"
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    API_TITLE = "Tailtown API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"

    WEB_RATE_LIMIT = os.environ.get("WEB_RATE_LIMIT", "20000 per 15 minutes")
    # Counted per client address; keep the windows longer than the tenant's 15 minutes so the
    # tenant's limit is the one X-RateLimit-* headers report.
    ANONYMOUS_API_RATE_LIMIT = os.environ.get("ANONYMOUS_API_RATE_LIMIT", "300 per hour")
    ANONYMOUS_WEB_RATE_LIMIT = os.environ.get("ANONYMOUS_WEB_RATE_LIMIT", "3000 per hour")
    # Each API key's own bucket, unless the key sets one: this share of its tenant's plan budget, so one
    # runaway integration leaves the others at least the rest (app/limits.py).
    API_KEY_RATE_SHARE = float(os.environ.get("API_KEY_RATE_SHARE", "0.5"))
    # Change feeds hold back rows changed this recently, so a transaction that commits late (its rows
    # stamped before a newer one's) is still seen by a client resuming from what it saw (app/api/paging.py).
    CHANGE_FEED_LAG_SECONDS = int(os.environ.get("CHANGE_FEED_LAG_SECONDS", "30"))
    # How long a browser may reuse a CORS preflight answer (app/cors.py).
    CORS_MAX_AGE = int(os.environ.get("CORS_MAX_AGE", "600"))
    RATELIMIT_HEADERS_ENABLED = True
    # Flask-Limiter writes Retry-After on every response it counts: the seconds left in the window
    # (up to 15 minutes on a 200), and it raises the app's own short Retry-After (a 409 or 503) to
    # that too. It writes it under this internal name instead, which app/limits.py strips; the 429
    # handler sends the real one (app/core/errors.py).
    RATELIMIT_HEADER_RETRY_AFTER = "X-Tailtown-Limiter-Retry-After"
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_STRATEGY = "fixed-window"
    # One circuit breaker around Redis (app/core/breaker.py): this many failures in a row open it,
    # then Redis is skipped for this many seconds before one command tries it again.
    REDIS_BREAKER_FAILURES = int(os.environ.get("REDIS_BREAKER_FAILURES", "3"))
    REDIS_BREAKER_COOLDOWN = float(os.environ.get("REDIS_BREAKER_COOLDOWN", "5"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    HSTS = False
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@tailtown.local")
    PHONE_REGION = os.environ.get("PHONE_REGION", "US")  # how numbers without a country code are read
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR")  # local photo storage; defaults to instance/uploads
    SMTP_HOST = os.environ.get("SMTP_HOST")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    # "smtp" sends over SMTP_HOST; "development" only records the message in the outbox (its links stay
    # usable on the Outbox page). Default: smtp when SMTP_HOST is set, else development (production: smtp).
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT")
    # "development" records SMS in the outbox only; a real provider is "package.module:ClassName" (an SmsProvider).
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "development")

    # --- Background jobs and the outbox (app/jobs/) --------------------------------------------------
    # "rq": jobs go to RQ queues on REDIS_URL, run by `flask --app wsgi worker`; "inline": they run in the
    # process that committed, right after the commit (the embedded default: no Redis needed).
    JOBS_MODE = os.environ.get("JOBS_MODE") or ("rq" if os.environ.get("REDIS_URL") else "inline")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "tailtown")
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "6"))  # then the message is dead-lettered
    OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "30"))  # 30 s, 1 min, 2 min ...
    OUTBOX_RETRY_MAX_SECONDS = float(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", "3600"))
    # A worker owns a message it is sending this long; after that (it crashed) the sweep hands it to another.
    OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "120"))
    OUTBOX_SWEEP_SECONDS = int(os.environ.get("OUTBOX_SWEEP_SECONDS", "60"))  # how often the sweep runs
    # Webhooks: refuse URLs that resolve to loopback/private/link-local addresses (and plain http)
    # unless this is on; on for development and tests, whose receivers run on this machine.
    WEBHOOKS_ALLOW_PRIVATE = os.environ.get("WEBHOOKS_ALLOW_PRIVATE", "1") == "1"
    WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
    WEBHOOK_DISABLE_AFTER = int(os.environ.get("WEBHOOK_DISABLE_AFTER", "10"))  # consecutive failures
    OUTBOX_SHOWS_LINKS = True  # links in the Outbox page's bodies are clickable (not in production)
    # Reminders (arrival the day before, vaccine expiry): checked this often, sent from this local hour on.
    # Each is once per stay / vaccine record however often the check runs (outbox dedupe_key).
    REMINDER_SECONDS = int(os.environ.get("REMINDER_SECONDS", "900"))
    REMINDER_HOUR = int(os.environ.get("REMINDER_HOUR", "9"))
    # Inbound SMS (STOP/START) on /webhooks/sms/inbound need this shared secret in X-Webhook-Secret; unset: off.
    SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET")

    # --- Hardening (issue 8 §3-§5): proxies, request bodies, database timeouts ------------------
    # Reverse proxies in front that append X-Forwarded-For/-Proto (1 for deploy/nginx.conf). The
    # default 0 ignores those headers: a client could forge them to dodge per-address limits.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Any request body above this is a 413 before it is read; uploads have their own, smaller caps.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024)))
    MAX_PHOTO_BYTES = int(os.environ.get("MAX_PHOTO_BYTES", str(5 * 1024 * 1024)))
    MAX_DOCUMENT_BYTES = int(os.environ.get("MAX_DOCUMENT_BYTES", str(10 * 1024 * 1024)))
    MAX_JSON_DEPTH = int(os.environ.get("MAX_JSON_DEPTH", "32"))  # no schema nests more than 3 levels
    # PostgreSQL only: a statement or lock wait longer than this is cancelled (then a 503), so a
    # locked table cannot hold every worker until gunicorn kills them.
    DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "5000"))
    DB_LOCK_TIMEOUT_MS = int(os.environ.get("DB_LOCK_TIMEOUT_MS", "2000"))
    DB_RETRY_AFTER_SECONDS = int(os.environ.get("DB_RETRY_AFTER_SECONDS", "5"))  # Retry-After on those 503s
    MIN_SECRET_KEY_LENGTH = 32  # production refuses a shorter SECRET_KEY
    SEARCH_MAX_WORDS = int(os.environ.get("SEARCH_MAX_WORDS", "8"))  # customer search reads this many words

    def engine_options(self, url: str) -> dict:
        """Engine options for every config: never log parameter values; timeouts on PostgreSQL."""
        options: dict = {"hide_parameters": True}  # SQL errors would otherwise quote emails, phones, names
        if url.startswith("postgresql"):
            options["connect_args"] = {"options": f"-c statement_timeout={self.DB_STATEMENT_TIMEOUT_MS} "
                                                  f"-c lock_timeout={self.DB_LOCK_TIMEOUT_MS}"}
        return options
    # --- end of hardening settings -----------------------------------------------------------------

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(self.DATABASE_URL) or f"sqlite:///{INSTANCE_DIR / 'tailtown.db'}"
        self.SQLALCHEMY_ENGINE_OPTIONS = {**self.engine_options(self.SQLALCHEMY_DATABASE_URI),
                                          **self.SQLALCHEMY_ENGINE_OPTIONS}
        if self.REDIS_URL:
            self.CACHE_TYPE = "RedisCache"
            self.CACHE_REDIS_URL = self.REDIS_URL
            self.CACHE_OPTIONS = _redis_options()
            self.RATELIMIT_STORAGE_URI = self.REDIS_URL
            self.RATELIMIT_STORAGE_OPTIONS = _redis_options()
        else:
            self.CACHE_TYPE = "SimpleCache"
            self.RATELIMIT_STORAGE_URI = "memory://"
        self.CACHE_DEFAULT_TIMEOUT = 300
        self.CACHE_KEY_PREFIX = "tailtown:"


class DevelopmentConfig(Config):
    """Local development: human-readable logs, embedded default unless URLs are set."""

    DEBUG = False
    LANDING_LISTS_RESORTS = True


class TestConfig(Config):
    """Tests: URLs come from TEST_DATABASE_URL / TEST_REDIS_URL set by tests/conftest.py."""

    __test__ = False  # not a pytest test class
    TESTING = True
    LANDING_LISTS_RESORTS = True
    SECRET_KEY = "test-secret-key"
    PLATFORM_OPERATOR_TOKEN = "test-operator-token"
    # Cheap Argon2id so fixtures are fast; production uses the library's recommended cost.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    DATABASE_URL = None
    REDIS_URL = None
    JOBS_MODE = "inline"  # the worker tests switch to "rq" with their own queue

    def __init__(self, database_url: str | None = None, redis_url: str | None = None, **overrides) -> None:
        self.DATABASE_URL = database_url
        self.REDIS_URL = redis_url
        super().__init__()
        for key, value in overrides.items():
            setattr(self, key, value)


class ProductionConfig(Config):
    """Production: PostgreSQL + Redis required, secure cookies, JSON logs."""

    LOG_JSON = os.environ.get("LOG_JSON", "1") == "1"
    PREFERRED_URL_SCHEME = "https"
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")  # no silent development mailbox in production
    OUTBOX_SHOWS_LINKS = False
    WEBHOOKS_ALLOW_PRIVATE = os.environ.get("WEBHOOKS_ALLOW_PRIVATE", "0") == "1"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True

    def __init__(self) -> None:
        missing = []
        if not self.SECRET_KEY or self.SECRET_KEY == DEFAULT_SECRET_KEY:
            missing.append("SECRET_KEY")
        elif len(self.SECRET_KEY) < self.MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(f"Production config refuses to start: SECRET_KEY must be at least "
                               f"{self.MIN_SECRET_KEY_LENGTH} characters (e.g. `python -c 'import secrets; "
                               f"print(secrets.token_urlsafe(48))'`)")
        if not self.DATABASE_URL:
            missing.append("DATABASE_URL")
        if not self.REDIS_URL:
            missing.append("REDIS_URL")
        if missing:
            raise RuntimeError(f"Production config refuses to start: set {', '.join(missing)}")
        super().__init__()
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            **self.SQLALCHEMY_ENGINE_OPTIONS,
            "pool_size": int(os.environ.get("DB_POOL_SIZE", "5")),
            "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "10")),
            "pool_pre_ping": True,
            "pool_recycle": 1800,
            "pool_timeout": 10,
        }


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}


def config_from_env() -> Config:
    """Pick the config class named by TAILTOWN_ENV (default development)."""
    return CONFIGS[os.environ.get("TAILTOWN_ENV", "development")]()
