"""Redis killed or hung under load: every request is still answered, none with a 5xx."""
import time

import pytest

from tests.faults.harness import check_isolation, check_writes, failures, is_2xx, report, summary

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

CLIENT_TIMEOUT = 20.0  # generous on purpose: "bounded latency" means answered, not fast (gunicorn's timeout is 30 s)


def _failures(outcomes):
    """Not served: a 5xx, a 4xx (e.g. a tenant lookup that gave up: 404) or no answer in time."""
    return [o for o in outcomes if not is_2xx(o)]


def test_killed_redis_costs_no_5xx_and_readyz_reports_degraded(stack):
    api = stack.api()
    with stack.load(timeout=CLIENT_TIMEOUT) as load:
        time.sleep(3)
        killed = time.monotonic()
        stack.redis.kill()
        time.sleep(2)
        ready = api.get("/readyz")
        time.sleep(4)
    report(summary("redis killed: healthy", load.before(killed)))
    report(summary("redis killed: redis dead", load.after(killed)))
    report(f"redis killed: /readyz -> {ready.status} {ready.body}")
    assert len(load.after(killed)) >= 10, "the load did not run during the outage"
    bad = _failures(load.outcomes)
    assert not bad, failures("not served", bad)
    assert ready.status == 200
    assert ready.body["status"] == "degraded" and ready.body["checks"]["redis"] == "down"
    assert ready.body["checks"]["database"] == "ok"
    assert check_writes(stack.postgres, stack.tenants, load.ledger) == []
    assert check_isolation(api, stack.tenants, load.ledger) == []


def test_hung_redis_costs_no_5xx_and_every_request_completes(stack):
    api = stack.api()
    with stack.load(timeout=CLIENT_TIMEOUT) as load:
        time.sleep(3)
        hung = time.monotonic()
        stack.redis.pause()
        try:
            time.sleep(2)
            ready = api.get("/readyz")
            time.sleep(6)
        finally:
            stack.redis.resume()
        resumed = time.monotonic()
        time.sleep(2)
    report(summary("redis hung: healthy", load.before(hung)))
    report(summary("redis hung: SIGSTOPped", load.between(hung, resumed)))
    report(summary("redis hung: resumed", load.after(resumed)))
    report(f"redis hung: /readyz -> {ready.status} {ready.body}")
    assert len(load.between(hung, resumed)) >= 4, "the load did not run while Redis hung"
    # Every request was served within the client timeout: no 5xx, and no other failure either.
    bad = _failures(load.outcomes)
    assert not bad, failures("not served", bad)
    assert ready.status == 200 and ready.body["status"] == "degraded"
    assert check_writes(stack.postgres, stack.tenants, load.ledger) == []
    assert check_isolation(api, stack.tenants, load.ledger) == []
