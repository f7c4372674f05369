"""Serving: threaded gunicorn workers, and an app that keeps requests apart when they share a process."""
import runpy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_runs_threaded_workers_within_the_database_pool():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["worker_class"] == "gthread" and conf["threads"] >= 2
    assert conf["threads"] <= 5  # ProductionConfig's default DB_POOL_SIZE: a thread never waits for a connection


def test_the_sample_proxy_buffers_and_overwrites_forwarded_headers():
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for directive in ("proxy_request_buffering on;", "proxy_set_header Host $host;",
                      "proxy_set_header X-Forwarded-For $remote_addr;", "client_body_timeout"):
        assert directive in nginx


def test_concurrent_requests_in_threads_each_see_only_their_own_tenant(app, tenant_a, tenant_b):
    """What gthread does: many requests at once in one process (tenant, session, principal per request)."""
    for fx in (tenant_a, tenant_b):
        client = app.test_client()
        for i in range(3):
            client.post("/api/v1/customers", headers=fx.headers(), json={"first_name": fx.subdomain, "last_name": str(i)})

    def fetch(i):
        fx = (tenant_a, tenant_b)[i % 2]
        r = app.test_client().get("/api/v1/customers", headers=fx.headers())
        return fx.subdomain, r.status_code, {c["first_name"] for c in r.json}, r.headers["X-RateLimit-Limit"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, range(64)))
    for subdomain, status, names, _ in results:
        assert status == 200 and names == {subdomain}
