"""A database that is down, locked or slow gets a fast 503 with Retry-After, never a 500 or a hung worker."""
import json
import subprocess
import sys
import textwrap
import threading

import pytest
from sqlalchemy import create_engine, text

from app.core.extensions import db
from app.tenancy import tenant_free
from tests.conftest import BACKEND

DOWN = textwrap.dedent("""
    import json, sys
    from app import create_app
    from config import TestConfig
    app = create_app(TestConfig(database_url=sys.argv[1], ANONYMOUS_API_RATE_LIMIT="3 per hour",
                                ANONYMOUS_WEB_RATE_LIMIT="3 per hour", LOG_LEVEL="CRITICAL"))
    client = app.test_client()
    api = [client.get("/api/v1/me", headers={"X-Tenant": "alpha-paws", "Authorization": "Bearer tt_x_y"})
           for _ in range(5)]
    web = [client.get("/login", base_url="http://alpha-paws.localhost") for _ in range(5)]
    print(json.dumps({
        "api": [r.status_code for r in api], "web": [r.status_code for r in web],
        "retry_after": api[0].headers.get("Retry-After"), "body": api[0].get_json(),
        "web_type": web[0].mimetype, "web_retry_after": web[0].headers.get("Retry-After"),
        "web_text": web[0].get_data(as_text=True),
    }))
""")


def _unreachable_url() -> str:
    if BACKEND == "postgres":
        return "postgresql://postgres@127.0.0.1:1/tailtown"  # nothing listens on port 1: connection refused
    return "sqlite:////nonexistent-directory/tailtown.db"  # cannot be opened


def _run_with_database_down() -> dict:
    # Its own process: this app's engine points at a database that does not answer.
    result = subprocess.run([sys.executable, "-c", DOWN, _unreachable_url()], capture_output=True, text=True, check=False,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_unreachable_database_is_a_503_with_retry_after_and_the_usual_bodies():
    out = _run_with_database_down()
    assert out["api"][0] == 503 and 4 <= int(out["retry_after"]) <= 5  # the limiter re-rounds it
    body = out["body"]
    assert body["code"] == 503 and body["status"] == "Service Unavailable" and body["request_id"]
    assert "Try again in a few seconds" in body["message"]
    assert out["web"][0] == 503 and out["web_type"] == "text/html" and 4 <= int(out["web_retry_after"]) <= 5
    assert "Try again in a few seconds" in out["web_text"] and "Traceback" not in out["web_text"]


def test_server_errors_never_fill_the_anonymous_buckets():
    out = _run_with_database_down()  # both buckets allow 3 per hour here; each side made 5 requests
    assert out["api"] == [503] * 5 and out["web"] == [503] * 5


@pytest.fixture
def locked_customers(app, database_url):
    """Another connection holds an exclusive lock on the customers table for the test's duration."""
    engine = create_engine(database_url)
    conn = engine.connect()
    conn.execute(text("LOCK TABLE customers IN ACCESS EXCLUSIVE MODE"))
    yield
    conn.rollback()
    conn.close()
    engine.dispose()


@pytest.mark.postgres
def test_every_connection_has_the_statement_and_lock_timeouts(app):
    with app.app_context():
        assert db.session.execute(tenant_free(text("SHOW statement_timeout"))).scalar_one() == "5s"
        assert db.session.execute(tenant_free(text("SHOW lock_timeout"))).scalar_one() == "2s"


@pytest.mark.postgres
def test_a_locked_table_is_a_503_after_the_lock_timeout_not_a_hung_worker(client, tenant_a, tenant_b,
                                                                          locked_customers, captured_logs):
    result = {}
    worker = threading.Thread(target=lambda: result.update(r=client.get("/api/v1/customers",
                                                                          headers=tenant_a.headers())))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the request hung on the lock"
    r = result["r"]
    assert r.status_code == 503 and 4 <= int(r.headers["Retry-After"]) <= 5 and r.json["code"] == 503
    # The lock timeout fired (not the statement timeout, which would be QueryCanceled).
    assert any("database unavailable on GET /api/v1/customers: LockNotAvailable" in line for line in captured_logs)
    # Tenant B's requests that do not touch the locked table are served meanwhile.
    assert client.get("/api/v1/me", headers=tenant_b.headers()).status_code == 200


@pytest.mark.postgres
def test_a_503_does_not_spend_the_tenants_budget(client, tenant_a, locked_customers):
    # The key's own bucket (half of PRO's 1,000) is the tighter one the headers name: neither it nor the tenant's moves.
    assert client.get("/api/v1/me", headers=tenant_a.headers()).headers["X-RateLimit-Remaining"] == "499"
    assert client.get("/api/v1/customers", headers=tenant_a.headers()).status_code == 503
    assert client.get("/api/v1/me", headers=tenant_a.headers()).headers["X-RateLimit-Remaining"] == "498"


@pytest.mark.postgres
def test_a_signed_in_page_gets_the_503_page_when_its_user_cannot_be_loaded(app, client, tenant_a, tenant_b):
    from tests.conftest import web_login

    web_login(client, tenant_a)
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        conn.execute(text("LOCK TABLE user_sessions IN ACCESS EXCLUSIVE MODE"))
        r = client.get("/", base_url=tenant_a.base_url)
        conn.rollback()
    engine.dispose()
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert "Try again in a few seconds" in r.get_data(as_text=True)
    assert client.get("/", base_url=tenant_a.base_url).status_code == 200  # and signed in again once it is free
