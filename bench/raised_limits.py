"""WSGI entry for the bench's "raised limits" server: the stock app, every plan's API limit raised.

The app has no setting for the API plan limits (`app.limits.PLAN_LIMITS` is a constant), so the
bench raises them here, before the app is built. The limiter still runs on every request (tenant
key, Redis counter, headers); it simply never says no. `gunicorn ... bench.raised_limits:app`.
"""
import os

from app.limits import PLAN_LIMITS

RAISED = int(os.environ.get("BENCH_API_LIMIT", "1000000000"))
for _plan in PLAN_LIMITS:
    PLAN_LIMITS[_plan] = RAISED

from wsgi import app  # noqa: E402,F401  (built after the limits are raised)
