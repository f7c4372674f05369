"""Platform behaviour: request ids, errors, security headers, health probes, logging, config."""
import json

import pytest
from loguru import logger

from app import create_app
from config import ProductionConfig, TestConfig


def test_request_id_from_client_is_returned(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("bad", ["x" * 10_000, "abc\x01def", "has space", ""])
def test_unsafe_request_id_is_replaced(client, bad):
    r = client.get("/healthz", headers={"X-Request-ID": bad})
    assert r.headers["X-Request-ID"] != bad
    assert len(r.headers["X-Request-ID"]) == 32


def test_unknown_api_path_is_json_404_with_request_id(client, tenant_a):
    r = client.get("/api/v1/no-such-thing", headers=tenant_a.headers(**{"X-Request-ID": "req-1"}))
    assert r.status_code == 404
    assert r.is_json
    assert r.json["code"] == 404 and r.json["status"] == "Not Found" and r.json["request_id"] == "req-1"


def test_unknown_web_path_is_html_404(client, tenant_a):
    r = client.get("/no-such-page", base_url=tenant_a.base_url)
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "404" in r.get_data(as_text=True)


def test_htmx_error_is_a_fragment(client, tenant_a):
    r = client.get("/no-such-page", base_url=tenant_a.base_url, headers={"HX-Request": "true"})
    assert r.status_code == 404
    assert "<html" not in r.get_data(as_text=True)


def _app_with_failing_routes(database_url, redis_url):
    failing = create_app(TestConfig(database_url=database_url, redis_url=redis_url))

    @failing.get("/api/v1/platform/boom")
    def api_boom():
        password = "hun" + "ter2"  # a runtime value, so the trace's source line does not contain it
        raise RuntimeError(f"secret internals password={password}")

    @failing.get("/healthz/boom")
    def web_boom():
        raise RuntimeError("secret internals")

    return failing


def test_a_crash_is_500_without_trace_and_logged_with_request_id(database_url, redis_url, captured_logs):
    failing = _app_with_failing_routes(database_url, redis_url)
    c = failing.test_client()
    r = c.get("/api/v1/platform/boom", headers={"X-Request-ID": "crash-1"})
    assert r.status_code == 500
    assert r.json == {"code": 500, "status": "Internal Server Error", "request_id": "crash-1",
                      "message": r.json["message"]}
    assert "Traceback" not in r.get_data(as_text=True) and "secret internals" not in r.get_data(as_text=True)
    logged = "\n".join(captured_logs)
    assert "RuntimeError" in logged and "crash-1" in logged
    assert "hunter2" not in logged
    html = c.get("/healthz/boom")
    assert html.status_code == 500 and html.mimetype == "text/html"
    assert "secret internals" not in html.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/healthz", "/api/v1/openapi.json", "/does-not-exist"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"]
    assert "Strict-Transport-Security" not in r.headers  # only in production


def test_pages_vary_on_hx_request(client):
    assert "HX-Request" in client.get("/").headers.get("Vary", "")


def test_healthz_is_alive(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_readyz_reports_ok(client, app):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json["checks"]["database"] == "ok"
    if app.config.get("REDIS_URL"):
        assert r.json["checks"]["redis"] == "ok"


def test_readyz_is_degraded_when_redis_is_down(client, app):
    from app.core.breaker import breaker_client, make_breaker

    real, real_client = app.config["REDIS_URL"], app.extensions.get("redis_health_client")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there: Redis is down
    app.extensions["redis_health_client"] = breaker_client(app.config["REDIS_URL"], socket_connect_timeout=0.25,
                                                           breaker=make_breaker(failures=3, cooldown=5))
    try:
        r = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = real
        app.extensions["redis_health_client"] = real_client
    assert r.status_code == 200
    assert (r.json["status"], r.json["checks"]) == ("degraded", {"database": "ok", "redis": "down"})


def test_readyz_is_503_when_the_database_is_down(redis_url, tmp_path):
    broken = create_app(TestConfig(database_url="postgresql://postgres@127.0.0.1:1/none", redis_url=redis_url))
    r = broken.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["database"] == "down"


def test_secrets_are_redacted_from_logs(captured_logs):
    logger.info("login attempt {}", {"email_id": 7, "password": "hunter2", "token": "tok-123"})
    logger.bind(payload={"api_key": "tt_abc", "nested": {"secret": "s3", "card": "4111"}}).info("event")
    logger.info("Authorization: Bearer tt_live_123 password=pw1 'token': 'tok2'")
    logged = "\n".join(captured_logs)
    for value in ("hunter2", "tok-123", "tt_abc", "s3", "4111", "tt_live_123", "pw1", "tok2"):
        assert value not in logged
    assert "***" in logged and "email_id" in logged


def test_access_line_carries_method_path_status_and_request_id(client, captured_logs):
    client.get("/healthz", headers={"X-Request-ID": "access-1"})
    line = next(l for l in captured_logs if "GET /healthz 200" in l)
    assert "access-1" in line and "ms" in line


def test_production_refuses_to_start_without_secrets(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-insecure-change-me")
    monkeypatch.setattr(ProductionConfig, "DATABASE_URL", None)
    monkeypatch.setattr(ProductionConfig, "REDIS_URL", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY, DATABASE_URL, REDIS_URL"):
        ProductionConfig()


def test_production_config_pools_and_secures(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "a-real-secret-of-at-least-32-characters")
    monkeypatch.setattr(ProductionConfig, "DATABASE_URL", "postgresql://db/tailtown")
    monkeypatch.setattr(ProductionConfig, "REDIS_URL", "redis://cache:6379/0")
    config = ProductionConfig()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg2://")
    assert config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True
    assert config.CACHE_TYPE == "RedisCache" and config.RATELIMIT_STORAGE_URI == "redis://cache:6379/0"
    assert config.CACHE_OPTIONS["socket_timeout"] <= 0.5
    assert config.SESSION_COOKIE_SECURE and config.HSTS


def test_embedded_default_uses_sqlite_and_memory(monkeypatch):
    config = TestConfig()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.CACHE_TYPE == "SimpleCache" and config.RATELIMIT_STORAGE_URI == "memory://"


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["info"]["title"] == "Tailtown API"
    assert "/api/v1/me" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_docs_page_uses_only_vendored_assets(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "http" not in html.split("<body", 1)[1].replace("http-equiv", "")
    assert "<script>" not in html  # no inline script
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_landing_page_loads_vendored_htmx(client):
    html = client.get("/").get_data(as_text=True)
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200
    assert json.loads(html.split("name=\"htmx-config\" content='")[1].split("'>")[0])["includeIndicatorStyles"] is False


def test_the_openapi_document_is_valid_openapi(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").json)  # raises on any violation of the 3.0 schema


def test_contact_details_that_slip_into_a_log_line_are_masked(captured_logs):
    logger.error('duplicate key (tenant_id, email)=(7, jane.doe+x@example.co.uk) phone +15551234567 id '
                 '3fa85f64-5717-4562-b3fc-2c963f66afa6')
    logged = "\n".join(captured_logs)
    assert "jane.doe" not in logged and "5551234567" not in logged
    assert "3fa85f64-5717-4562-b3fc-2c963f66afa6" in logged  # ids stay readable


def test_production_refuses_a_secret_key_shorter_than_32_characters(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "DATABASE_URL", "postgresql://db/tailtown")
    monkeypatch.setattr(ProductionConfig, "REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 31)
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        ProductionConfig()
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    assert ProductionConfig().SECRET_KEY == "x" * 32


def test_every_config_hides_statement_parameters_and_postgres_gets_timeouts(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "s" * 40)
    monkeypatch.setattr(ProductionConfig, "DATABASE_URL", "postgresql://db/tailtown")
    monkeypatch.setattr(ProductionConfig, "REDIS_URL", "redis://cache:6379/0")
    production = ProductionConfig().SQLALCHEMY_ENGINE_OPTIONS
    assert production["hide_parameters"] is True and production["pool_pre_ping"] is True
    assert "statement_timeout=5000" in production["connect_args"]["options"]
    assert "lock_timeout=2000" in production["connect_args"]["options"]
    embedded = TestConfig().SQLALCHEMY_ENGINE_OPTIONS
    assert embedded == {"hide_parameters": True}  # SQLite takes no such options


def test_a_failing_statement_logs_no_parameter_values(app, tenant_a):
    """SQLAlchemy quotes a failed statement's parameters in the error; the engine must hide them."""
    import uuid

    # A sink like the app's own (app/core/log.py: no variable values in tracebacks), with the traceback.
    captured_logs: list[str] = []
    sink = logger.add(lambda m: captured_logs.append(str(m)), format="{level} {message} | {extra} | {exception}",
                      level="DEBUG", backtrace=False, diagnose=False)

    from flask import g
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from app.core.errors import _handle_unexpected
    from app.core.extensions import db
    from app.models import Customer
    from app.tenancy import unscoped

    duplicate_id = uuid.uuid4()
    row = {"id": duplicate_id, "tenant_id": tenant_a.id, "first_name": "Zanzibar", "last_name": "Quuxley",
           "email": "zanzibar@quux.example", "search_text": " zanzibar "}
    with app.test_request_context("/api/v1/customers", method="POST"), unscoped():
        g.request_id = "hide-1"
        db.session.execute(insert(Customer).values(**row))
        db.session.commit()
        try:
            db.session.execute(insert(Customer).values(**row))  # same primary key: IntegrityError
        except IntegrityError as exc:
            assert "Zanzibar" not in str(exc)
            _handle_unexpected(exc)  # the app's own path: rollback, then log the exception
        else:
            raise AssertionError("expected an IntegrityError")
    logger.remove(sink)
    logged = "\n".join(captured_logs)
    assert "unhandled error" in logged and "hide-1" in logged and "IntegrityError" in logged
    for value in ("Zanzibar", "Quuxley", "zanzibar@quux.example", "quux.example"):
        assert value not in logged
