"""Per-tenant rate limits: one shared bucket per tenant for the API, a larger one for the web."""
import time

from flask import current_app

from app.extensions import limiter
from app.models import Plan
from app.tenancy import current_tenant_or_none, rate_limit_key, resolve_request_tenant

WINDOW = "15 minutes"
PLAN_LIMITS = {Plan.FREE: 100, Plan.PRO: 1_000, Plan.ENTERPRISE: 5_000}


def plan_limit() -> str:
    """The API limit of the request's tenant plan (read per request, so a plan change applies at once)."""
    tenant = resolve_request_tenant()
    plan = tenant.plan if tenant else Plan.FREE
    return f"{PLAN_LIMITS[plan]} per {WINDOW}"


def web_limit() -> str:
    """The web pages' per-tenant limit: staff click all day."""
    return current_app.config["WEB_RATE_LIMIT"]


api_limit = limiter.shared_limit(plan_limit, scope="api", key_func=rate_limit_key)
web_limit_decorator = limiter.shared_limit(web_limit, scope="web", key_func=rate_limit_key)
operator_limit = limiter.shared_limit("1000 per 15 minutes", scope="operator")


def breach_details() -> dict:
    """Tenant and seconds to wait, for the 429 body."""
    current = limiter.current_limit
    retry_after = 1
    if current:
        # Whole seconds, rounded down as Flask-Limiter rounds its Retry-After header.
        retry_after = max(1, min(int(current.reset_at - time.time()), current.limit.get_expiry()))
    tenant = current_tenant_or_none()
    return {"tenant": tenant.subdomain if tenant else None, "retry_after": retry_after,
            "limit": str(current.limit) if current else None}
