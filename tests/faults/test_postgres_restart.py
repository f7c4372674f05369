"""PostgreSQL restarted under load: 503s (never 500s) while it is away, recovery on its own, no half writes."""
import time

import pytest

from tests.faults.harness import check_isolation, check_writes, failures, is_2xx, report, summary

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

RECOVERY_GRACE = 2.0  # seconds after pg_ctl reports the server up before every request must succeed again


def test_postgres_restart_gives_only_503s_then_recovers_without_half_writes(stack):
    api = stack.api()
    with stack.load(timeout=20.0) as load:
        time.sleep(3)
        down = time.monotonic()
        stack.postgres.restart()
        up = time.monotonic()
        time.sleep(RECOVERY_GRACE + 5)
    recovered = up + RECOVERY_GRACE
    during = load.between(down, recovered)
    report(f"postgres restart: pg_ctl restart -m fast took {(up - down) * 1000:.0f}ms")
    report(summary("postgres restart: before", load.before(down)))
    report(summary("postgres restart: during", during))
    report(summary("postgres restart: after", load.after(recovered)))
    bad = [o for o in load.before(down) if not is_2xx(o)]
    assert not bad, failures("failed before the restart", bad)
    # While the database is away the only failure is a 503 with Retry-After: no 500, no dropped connection.
    bad = [o for o in during if not (is_2xx(o) or o.status == 503)]
    assert not bad, failures("neither served nor 503 during the restart", bad)
    bad = [o for o in during if o.status == 503 and not o.retry_after]
    assert not bad, failures("503 without Retry-After", bad)
    # Recovery needs nobody: shortly after the restart every request succeeds again.
    after = load.after(recovered)
    assert len(after) >= 10, "the load did not run after the restart"
    bad = [o for o in after if not is_2xx(o)]
    assert not bad, failures("failed after the restart", bad)
    ready = api.get("/readyz")
    assert ready.status == 200 and ready.body["status"] == "ok"
    # Every acknowledged write is complete; a failed one is all there or not at all.
    assert check_writes(stack.postgres, stack.tenants, load.ledger) == []
    assert check_isolation(api, stack.tenants, load.ledger) == []
