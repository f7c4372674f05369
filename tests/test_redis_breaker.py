"""A hung Redis cannot lose an edit or keep a paused tenant open, and costs no time once the breaker is open.

Each test starts its own Redis (tests/private_redis.py), hangs it with SIGSTOP and resumes it with
SIGCONT, and drives a separate app in a subprocess (the limiter is process-wide: pointing it at a
hung Redis here would change it for every other test).
"""
import json
import subprocess
import sys
import textwrap

import pytest

from app.models import Role
from tests.conftest import BACKEND
from tests.private_redis import private_redis

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the embedded default has no Redis to hang")

PRELUDE = textwrap.dedent("""
    import json, os, signal, sys, time, uuid
    from app import create_app
    from config import TestConfig
    database_url, redis_url, redis_pid, sub_a, key_a, sub_b, key_b, cooldown = sys.argv[1:9]
    app = create_app(TestConfig(database_url=database_url, redis_url=redis_url, LOG_LEVEL="CRITICAL",
                                CACHE_KEY_PREFIX=f"t{uuid.uuid4().hex[:6]}:", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex[:6],
                                REDIS_BREAKER_COOLDOWN=float(cooldown)))
    client = app.test_client()
    A = {"X-Tenant": sub_a, "Authorization": "Bearer " + key_a}
    B = {"X-Tenant": sub_b, "Authorization": "Bearer " + key_b}
    hang = lambda: os.kill(int(redis_pid), signal.SIGSTOP)
    resume = lambda: os.kill(int(redis_pid), signal.SIGCONT)
    out = {}
""")


def _run(script: str, database_url, redis, tenant_a, tenant_b, *, cooldown: float = 1.0) -> dict:
    args = [database_url, redis.url, str(redis.process.pid), tenant_a.subdomain, tenant_a.keys[Role.ADMIN],
            tenant_b.subdomain, tenant_b.keys[Role.ADMIN], str(cooldown)]
    result = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script) + "\nprint(json.dumps(out))", *args],
                            check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


EDIT_DURING_HANG = """
    a = client.post("/api/v1/customers", headers=A, json={"first_name": "Jane", "last_name": "Doe", "notes": "before"}).json
    b = client.post("/api/v1/customers", headers=B, json={"first_name": "Bo", "last_name": "Bee", "notes": "b"}).json
    path = f"/api/v1/customers/{a['id']}"
    etag = client.get(path, headers=A).headers["ETag"]  # cached now
    client.get(f"/api/v1/customers/{b['id']}", headers=B)
    hang()
    for _ in range(2):  # other requests meanwhile open the breaker: the edit's invalidations are not even sent
        client.get("/api/v1/me", headers=B)
    out["edit"] = client.patch(path, headers={**A, "If-Match": etag}, json={"notes": "during the outage"}).status_code
    resume()
    time.sleep(float(cooldown) + 0.3)  # the breaker lets Redis be tried again
    out["read"] = client.get(path, headers=A).json["notes"]
    out["stale_patch"] = client.patch(path, headers={**A, "If-Match": etag}, json={"notes": "overwrite"}).status_code
    out["read_again"] = client.get(path, headers=A).json["notes"]
    out["b"] = client.get(f"/api/v1/customers/{b['id']}", headers=B).json["notes"]
"""


def test_an_edit_while_redis_hangs_is_read_back_fresh_and_the_old_etag_is_refused(database_url, tenant_a, tenant_b):
    with private_redis() as redis:
        out = _run(EDIT_DURING_HANG, database_url, redis, tenant_a, tenant_b)
    assert out["edit"] == 200
    assert out["read"] == "during the outage"
    assert out["stale_patch"] == 412
    assert out["read_again"] == "during the outage"
    assert out["b"] == "b"


PAUSE_DURING_HANG = """
    operator = {"Authorization": "Bearer test-operator-token"}
    out["before"] = client.get("/api/v1/me", headers=A).status_code  # tenant cached now
    client.get("/api/v1/me", headers=B)
    hang()
    for _ in range(2):
        client.get("/api/v1/me", headers=B)
    out["pause"] = client.patch(f"/api/v1/platform/tenants/{sub_a}", json={"status": "PAUSED"}, headers=operator).status_code
    resume()
    time.sleep(float(cooldown) + 0.3)
    after = client.get("/api/v1/me", headers=A)
    out["after"] = after.status_code
    out["message"] = after.get_json()["message"]
    out["b"] = client.get("/api/v1/me", headers=B).status_code
"""


def test_a_tenant_paused_while_redis_hangs_is_refused_once_redis_is_back(database_url, tenant_a, tenant_b):
    with private_redis() as redis:
        out = _run(PAUSE_DURING_HANG, database_url, redis, tenant_a, tenant_b)
    assert out["before"] == 200 and out["pause"] == 200
    assert out["after"] == 403 and "paused" in out["message"]
    assert out["b"] == 200


BREAKER = """
    from redis.connection import AbstractConnection
    sends = [0]
    real_send = AbstractConnection.send_packed_command
    def counting_send(self, *args, **kwargs):
        sends[0] += 1
        return real_send(self, *args, **kwargs)
    AbstractConnection.send_packed_command = counting_send

    a = client.post("/api/v1/customers", headers=A, json={"first_name": "Jane", "last_name": "Doe"}).json
    path = f"/api/v1/customers/{a['id']}"
    client.get(path, headers=A)
    hang()
    attempts, statuses = [], []
    for _ in range(6):
        sends[0] = 0
        statuses.append(client.get(path, headers=A).status_code)
        attempts.append(sends[0])
    sends[0] = 0
    out["ready"] = client.get("/readyz").get_json()
    out["ready_attempts"] = sends[0]
    sends[0] = 0
    statuses.append(client.get(path, headers=B).status_code)  # another tenant: the breaker is per process
    attempts.append(sends[0])
    out["statuses"], out["attempts"] = statuses, attempts
    resume()
    time.sleep(float(cooldown) + 0.3)
    sends[0] = 0
    last = client.get(path, headers=A)
    out["recovered"] = [last.status_code, sends[0] > 0, last.headers.get("X-RateLimit-Limit")]
    out["ready_after"] = client.get("/readyz").get_json()["status"]
"""


def test_with_the_breaker_open_requests_make_no_redis_attempt(database_url, tenant_a, tenant_b):
    with private_redis() as redis:
        out = _run(BREAKER, database_url, redis, tenant_a, tenant_b, cooldown=5.0)
    assert out["statuses"][:6] == [200] * 6 and out["statuses"][6] == 404  # A's customer is not B's
    # The first request pays for the failures that open the breaker (3 by default); then none at all.
    assert 1 <= out["attempts"][0] <= 3, out["attempts"]
    assert out["attempts"][1:] == [0] * 6, out["attempts"]
    assert {k: out["ready"][k] for k in ("status", "checks")} == {"status": "degraded",
                                                                  "checks": {"database": "ok", "redis": "down"}}
    assert out["ready_attempts"] == 0
    assert out["recovered"] == [200, True, "500"]  # the key's own half of PRO's 1,000 is the tighter bucket
    assert out["ready_after"] == "ok"


REVOKE_DURING_HANG = """
    made = client.post("/api/v1/api-keys", headers=A, json={"name": "Doomed", "role": "STAFF"}).json
    doomed = {"X-Tenant": sub_a, "Authorization": "Bearer " + made["secret"]}
    out["warm"] = [client.get("/api/v1/me", headers=doomed).status_code for _ in range(3)]  # cached now
    hang()
    out["during"] = client.get("/api/v1/me", headers=doomed).status_code  # from the database: still valid
    out["revoke"] = client.delete(f"/api/v1/api-keys/{made['id']}", headers=A).status_code
    out["refused_during"] = client.get("/api/v1/me", headers=doomed).status_code
    out["a_during"] = client.get("/api/v1/me", headers=A).status_code
    resume()
    time.sleep(float(cooldown) + 0.3)
    out["refused_after"] = [client.get("/api/v1/me", headers=doomed).status_code for _ in range(2)]
    out["a_after"] = client.get("/api/v1/me", headers=A).status_code
    out["b_after"] = client.get("/api/v1/me", headers=B).status_code
"""


def test_a_key_revoked_while_redis_hangs_is_refused_then_and_once_redis_is_back(database_url, tenant_a, tenant_b):
    with private_redis() as redis:
        out = _run(REVOKE_DURING_HANG, database_url, redis, tenant_a, tenant_b)
    assert out["warm"] == [200] * 3 and out["during"] == 200 and out["revoke"] == 200
    assert out["refused_during"] == 401 and out["refused_after"] == [401, 401]
    assert out["a_during"] == out["a_after"] == out["b_after"] == 200


SCOPES_DURING_HANG = """
    made = client.post("/api/v1/api-keys", headers=A, json={"name": "Sync", "scopes": ["customers:read", "pets:read"]}).json
    K = {"X-Tenant": sub_a, "Authorization": "Bearer " + made["secret"]}
    small = client.post("/api/v1/api-keys", headers=A, json={"name": "Small", "rate_limit": 3}).json
    S = {"X-Tenant": sub_a, "Authorization": "Bearer " + small["secret"]}
    out["warm"] = [client.get("/api/v1/customers", headers=K).status_code for _ in range(2)]  # cached now
    etag = client.get(f"/api/v1/api-keys/{made['id']}", headers=A).headers["ETag"]
    hang()
    for _ in range(2):  # open the breaker
        client.get("/api/v1/me", headers=B)
    out["patch"] = client.patch(f"/api/v1/api-keys/{made['id']}", headers={**A, "If-Match": etag},
                                json={"scopes": ["pets:read"]}).status_code
    out["during"] = client.get("/api/v1/customers", headers=K).status_code
    # The key's own bucket holds in memory meanwhile: 3 a window, and B's key is not in it.
    out["bucket_during"] = [client.get("/api/v1/pets", headers=S).status_code for _ in range(4)]
    out["b_during"] = client.get("/api/v1/customers", headers=B).status_code
    resume()
    time.sleep(float(cooldown) + 0.3)
    out["after"] = client.get("/api/v1/customers", headers=K).json.get("required_scope")
"""


def test_a_scope_change_while_redis_hangs_holds_then_and_once_redis_is_back(database_url, tenant_a, tenant_b):
    with private_redis() as redis:
        out = _run(SCOPES_DURING_HANG, database_url, redis, tenant_a, tenant_b)
    assert out["warm"] == [200, 200] and out["patch"] == 200 and out["during"] == 403
    assert out["bucket_during"] == [200, 200, 200, 429] and out["b_during"] == 200
    assert out["after"] == "customers:read"  # the entry cached before the change never comes back
