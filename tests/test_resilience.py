"""With Redis down, the app keeps serving: cache misses go to the database, limits fall back to memory.

Runs in a subprocess because the limiter and cache are process-wide: pointing them at a dead
Redis here would change them for every other test.
"""
import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import BACKEND

SCRIPT = textwrap.dedent("""
    import json, sys
    from app import create_app
    from config import TestConfig
    app = create_app(TestConfig(database_url=sys.argv[1], redis_url="redis://127.0.0.1:1/0", LOG_LEVEL="ERROR"))
    client = app.test_client()
    headers = {"X-Tenant": sys.argv[2], "Authorization": "Bearer " + sys.argv[3]}
    statuses = [client.get("/api/v1/me", headers=headers).status_code for _ in range(3)]
    last = client.get("/api/v1/customers", headers=headers)
    page = client.get("/login", base_url="http://" + sys.argv[2] + ".localhost")
    print(json.dumps({"statuses": statuses + [last.status_code, page.status_code],
                      "limit": last.headers.get("X-RateLimit-Limit"),
                      "remaining": last.headers.get("X-RateLimit-Remaining"),
                      "ready": client.get("/readyz").get_json()}))
""")


@pytest.mark.skipif(BACKEND != "postgres", reason="the embedded default has no Redis to lose")
def test_requests_are_served_when_redis_is_down(database_url, tenant_a):
    result = subprocess.run([sys.executable, "-c", SCRIPT, database_url, tenant_a.subdomain, tenant_a.keys[next(iter(tenant_a.keys))]],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["statuses"] == [200, 200, 200, 200, 200]
    assert out["limit"] == "500" and out["remaining"] == "496"  # counted in memory instead (the key's own half)
    assert {k: out["ready"][k] for k in ("status", "checks")} == {"status": "degraded",
                                                                  "checks": {"database": "ok", "redis": "down"}}
