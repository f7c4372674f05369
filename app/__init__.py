"""Tailtown application factory."""
from pathlib import Path

from flask import Flask

from config import Config, config_from_env

ROOT = Path(__file__).resolve().parent.parent

# The register_* functions import what they register, as in the Flask tutorial: every `import app.x`
# (Alembic's env, a script, a test) runs this file first and should not load every blueprint with it.


def create_app(config: Config | None = None) -> Flask:
    """Build the app: logging, extensions, request hooks, blueprints, errors, CLI."""
    config = config or config_from_env()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config)
    Path(app.instance_path).mkdir(exist_ok=True)
    register_logging(app)
    register_request_hooks(app)
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    """Loguru for everything: JSON lines in production, human lines otherwise."""
    from app.core.log import configure_logging

    configure_logging(json=app.config["LOG_JSON"], level=app.config["LOG_LEVEL"])


def register_request_hooks(app: Flask) -> None:
    """Request ids, access log and security headers wrap every request (registered first), then body checks."""
    from app.core.body import register_body_checks
    from app.core.request_id import register_request_hooks as register

    register(app)
    register_body_checks(app)
    trust_proxies(app)


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, read the client address and scheme from X-Forwarded-*.

    With the default 0 the headers are ignored: anyone can send them, and the rate limits,
    sign-in throttle and audit log would then trust a forged address.
    """
    trusted = int(app.config.get("TRUSTED_PROXIES", 0))
    if trusted:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted)


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from app import models  # noqa: F401  (register every model on the metadata)
    from app.core.breaker import install_breaker
    from app.core.extensions import cache, csrf, db, limiter, migrate

    install_breaker(app)  # before the cache and limiter read their Redis settings
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run in reverse).
    from app.core.errors import close_session_quietly

    app.teardown_appcontext(close_session_quietly)
    register_row_security(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    cache.init_app(app)
    csrf.init_app(app)
    from app.limits import register_limit_headers

    register_limit_headers(app)  # before the limiter: its hook must run after the limiter's
    from app.cors import register_cors

    register_cors(app)  # before the limiter too: a preflight is answered before any limit, tenant gate or key
    limiter.init_app(app)
    from app.limits import register_counter_batching

    register_counter_batching(app)  # after the limiter: its hook must run before the limiter's
    # The tenant gate and sign-in run after the limiter's own hook (which resolves the tenant itself).
    from app.auth import register_auth
    from app.tenancy import register_tenancy

    register_tenancy(app)
    register_auth(app)
    # After the session's own teardowns are registered, so inline jobs run before the session closes.
    from app.jobs import register_jobs

    register_jobs(app)


def register_row_security(app: Flask) -> None:
    """PostgreSQL: every app transaction runs as DATABASE_APP_ROLE with the tenant set for the policies."""
    from app.core.extensions import db
    from app.core.rls import install_row_security
    from app.tenancy import row_security_settings

    with app.app_context():
        install_row_security(db.engine, role=app.config["DATABASE_APP_ROLE"],
                             operator_role=app.config["DATABASE_OPERATOR_ROLE"], settings=row_security_settings)


def register_blueprints(app: Flask) -> None:
    """Health probes, the versioned API and the HTMX web pages."""
    from app.api import register_api
    from app.core.health import bp as health_bp
    from app.web import register_web

    app.register_blueprint(health_bp)
    register_api(app)
    register_web(app)


def register_errors(app: Flask) -> None:
    """Error handlers last, so they replace flask-smorest's JSON-for-everything handler."""
    from app.core.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    """Operator commands under `flask --app wsgi ...`."""
    from app.cli import register_commands

    register_commands(app)
