"""Per-tenant rate limits: one shared bucket per tenant for the API, a larger one for the web."""
import time

from flask import current_app, g, request

from app.core.extensions import limiter
from app.models import Plan
from app.tenancy import current_tenant_or_none, rate_limit_key, resolve_request_tenant

WINDOW = "15 minutes"
PLAN_LIMITS = {Plan.FREE: 100, Plan.PRO: 1_000, Plan.ENTERPRISE: 5_000}


def plan_limit() -> str:
    """The API limit of the request's tenant plan (read per request, so a plan change applies at once)."""
    try:
        tenant = resolve_request_tenant()
    except Exception:  # noqa: BLE001  (database unreachable: the request gets its 503 from the tenant gate)
        _rollback_after_failure()
        tenant = None
    plan = tenant.plan if tenant else Plan.FREE
    return f"{PLAN_LIMITS[plan]} per {WINDOW}"


def web_limit() -> str:
    """The web pages' per-tenant limit: staff click all day."""
    return current_app.config["WEB_RATE_LIMIT"]


def _rollback_after_failure() -> None:
    """A failed statement aborts the transaction: roll back so the request's own hooks can try again."""
    from app.core.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection itself is gone: the next statement reconnects)
        return


def _authenticated(response) -> bool:
    # Server errors are ours, not the caller's: they never spend any bucket.
    return g.get("principal") is not None and response.status_code < 500


def _anonymous(response) -> bool:
    return g.get("principal") is None and response.status_code < 500


def _api_caller_known() -> bool:
    """Authenticate the API key now, so the anonymous bucket is never consulted for a valid one."""
    from app.auth import identify_api_caller

    try:
        return identify_api_caller() is not None
    except Exception:  # noqa: BLE001  (the limiter would take any error for a dead store; the auth hook re-raises it)
        _rollback_after_failure()
        return False


def _web_user_known() -> bool:
    """Load the session user now, so a signed-in user is never counted in the anonymous bucket."""
    from flask_login import current_user

    try:
        resolve_request_tenant()
        return bool(current_user.is_authenticated)
    except Exception:  # noqa: BLE001  (as above: the page's own hooks raise it again, as a 503)
        _rollback_after_failure()
        return False


def _tenant_key() -> str:
    """The tenant's bucket key; with the database unreachable, the address's (the request gets its 503 later)."""
    try:
        return rate_limit_key()
    except Exception:  # noqa: BLE001
        _rollback_after_failure()
        return f"unresolved:{request.remote_addr}"


def _client_ip() -> str:
    return f"ip:{request.remote_addr}"


# A tenant's bucket counts only its authenticated requests: nobody who merely knows a subdomain
# can spend a resort's budget. Unauthenticated requests are counted per client address instead,
# over an hour, so the tenant's 15-minute bucket stays the one reported in X-RateLimit-* headers.
def anonymous_api_limit() -> str:
    """Unauthenticated API requests per client address (config ANONYMOUS_API_RATE_LIMIT)."""
    return current_app.config["ANONYMOUS_API_RATE_LIMIT"]


def anonymous_web_limit() -> str:
    """Pages served to nobody signed in, per client address (config ANONYMOUS_WEB_RATE_LIMIT)."""
    return current_app.config["ANONYMOUS_WEB_RATE_LIMIT"]


# The anonymous buckets are exempt for a request that authenticates: exempt_when runs in the
# limiter's own before_request hook, ahead of the tenant gate and the blueprints' auth hooks.
_api_tenant = limiter.shared_limit(plan_limit, scope="api", key_func=_tenant_key, deduct_when=_authenticated)
_api_anonymous = limiter.shared_limit(anonymous_api_limit, scope="api-anonymous", key_func=_client_ip,
                                      deduct_when=_anonymous, exempt_when=_api_caller_known)
_web_tenant = limiter.shared_limit(web_limit, scope="web", key_func=_tenant_key, deduct_when=_authenticated)
_web_anonymous = limiter.shared_limit(anonymous_web_limit, scope="web-anonymous", key_func=_client_ip,
                                      deduct_when=_anonymous, exempt_when=_web_user_known)
operator_limit = limiter.shared_limit("1000 per 15 minutes", scope="operator")


def api_limit(blueprint):
    """Put an API blueprint under its tenant's plan limit and the per-address anonymous limit."""
    _api_tenant(blueprint)
    _api_anonymous(blueprint)
    return blueprint


def web_limit_decorator(blueprint):
    """Put a page blueprint under its tenant's web limit and the per-address anonymous limit."""
    _web_tenant(blueprint)
    _web_anonymous(blueprint)
    return blueprint


def register_limit_headers(app) -> None:
    """Drop the limiter's Retry-After (config RATELIMIT_HEADER_RETRY_AFTER): 429s carry their own.

    Registered before limiter.init_app, so it runs after the limiter's header hook (after_request
    hooks run in reverse order).
    """
    name = app.config["RATELIMIT_HEADER_RETRY_AFTER"]

    @app.after_request
    def _strip_limiter_retry_after(response):
        response.headers.pop(name, None)
        return response


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
