"""The web server under abuse: a worker SIGKILLed is replaced, slow clients do not starve the others."""
import signal
import threading
import time

import pytest

from tests.faults.harness import (
    check_isolation,
    check_writes,
    failures,
    is_2xx,
    is_5xx,
    report,
    signal_pid,
    summary,
    wait_until,
)
from tests.faults.slowloris import slowloris

pytestmark = [pytest.mark.postgres, pytest.mark.faults]

SLOW_SECONDS = 12.0  # how long the slowloris holds its connections
SLOW_CLIENT_TIMEOUT = 8.0  # a normal client waiting longer than this during the slowloris was starved


def test_sigkilled_worker_is_replaced_and_the_new_worker_serves(stack):
    server = stack.gunicorn
    api = stack.api(timeout=25)  # below gunicorn's 30 s, after which it would replace the paused worker too
    with stack.load(threads=3) as load:
        time.sleep(2)
        old = server.worker_pids()
        victim = old[0]
        killed = time.monotonic()
        signal_pid(victim, signal.SIGKILL)

        def replaced():
            pids = server.worker_pids()
            return pids if len(pids) == server.workers and set(pids) - set(old) else None

        workers = wait_until(replaced, timeout=30, what="a replacement worker")
        replaced_at = time.monotonic()
        time.sleep(3)
    fresh = (set(workers) - set(old)).pop()
    survivor = (set(workers) - {fresh}).pop()
    # With the surviving old worker paused only the new one can accept: its answers prove it serves.
    # (The first request may wait for the new worker to finish loading the app on a busy machine.)
    signal_pid(survivor, signal.SIGSTOP)
    try:
        probe = time.monotonic()
        replies = [api.get("/api/v1/customers", headers=t.headers()) for t in stack.tenants * 3]
        probed = time.monotonic() - probe
    finally:
        signal_pid(survivor, signal.SIGCONT)
    report(f"worker SIGKILL: replaced in {(replaced_at - killed) * 1000:.0f}ms ({victim} -> {fresh}); "
           f"{len(replies)} requests served by the new worker alone in {probed * 1000:.0f}ms")
    report(summary("worker SIGKILL: around the kill", load.between(killed, replaced_at + 1)))
    report(summary("worker SIGKILL: after replacement", load.after(replaced_at + 1)))
    assert victim not in workers and fresh not in old
    assert [r.status for r in replies] == [200] * len(replies)
    bad = [o for o in load.outcomes if is_5xx(o)]
    assert not bad, failures("5xx", bad)
    # The request the victim was serving may be cut off; nothing after the replacement fails.
    assert len(load.after(replaced_at + 1)) >= 5
    bad = [o for o in load.after(replaced_at + 1) if not is_2xx(o)]
    assert not bad, failures("failed after the replacement", bad)
    assert check_writes(stack.postgres, stack.tenants, load.ledger) == []
    assert check_isolation(api, stack.tenants, load.ledger) == []


def test_slowloris_does_not_starve_other_clients(stack):
    tenant = stack.tenants[0]
    slow = {}
    attacker = threading.Thread(target=lambda: slow.update(conns=slowloris(
        stack.gunicorn.port, seconds=SLOW_SECONDS, connections=3, tenant=tenant.subdomain, key=tenant.key)))
    slow_until = time.monotonic() + SLOW_SECONDS
    attacker.start()
    try:
        time.sleep(1)  # the slow connections are in before the others arrive
        with stack.load(threads=2, timeout=SLOW_CLIENT_TIMEOUT, pause=0.2) as load:
            time.sleep(SLOW_SECONDS - 4)
    finally:
        attacker.join(timeout=SLOW_SECONDS + 15)
    report(summary("slowloris: other clients", load.outcomes))
    report(f"slowloris: {slow.get('conns')}")
    assert not attacker.is_alive()
    bad = [o for o in load.outcomes if not is_2xx(o)]
    assert not bad, failures("starved during the slowloris", bad)
    # Served while the slow connections were still held open, not once they went away.
    assert len([o for o in load.outcomes if o.ended < slow_until]) >= 4
    assert check_writes(stack.postgres, stack.tenants, load.ledger) == []
    assert check_isolation(stack.api(), stack.tenants, load.ledger) == []
