"""Rate limits: the API's budget per tenant plan and, inside it, each API key's own bucket; a larger
per-tenant budget for the web; per-address buckets for callers nobody knows."""
import time

from flask import current_app, g, request
from limits import parse

from app.core.breaker import BreakerRedisStorage, read_counters_together
from app.core.extensions import limiter
from app.models import Plan
from app.tenancy import current_tenant_or_none, rate_limit_key, resolve_request_tenant

WINDOW = "15 minutes"
PLAN_LIMITS = {Plan.FREE: 100, Plan.PRO: 1_000, Plan.ENTERPRISE: 5_000}
API_SCOPE, KEY_SCOPE = "api", "api-key"  # the limiter's names for the tenant's bucket and a key's
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def _plan_amount() -> int:
    try:
        tenant = resolve_request_tenant()
    except Exception:  # noqa: BLE001  (database unreachable: the request gets its 503 from the tenant gate)
        _rollback_after_failure()
        tenant = None
    return PLAN_LIMITS[tenant.plan if tenant else Plan.FREE]


def plan_limit() -> str:
    """The API limit of the request's tenant plan (read per request, so a plan change applies at once)."""
    return f"{_plan_amount()} per {WINDOW}"


def key_amount(*, explicit: int | None, plan_amount: int) -> int:
    """A key's own budget: its explicit limit, else API_KEY_RATE_SHARE of the plan's; never above the plan's."""
    if explicit is None:
        explicit = int(plan_amount * float(current_app.config["API_KEY_RATE_SHARE"]))
    return max(1, min(explicit, plan_amount))


def key_limit() -> str | None:
    """The request's API key's own bucket, e.g. `500 per 15 minutes` (None with no valid key: it is exempt then).

    Both of the request's API counters (the tenant's and this key's) are announced to the storage
    here, before either is read, so they are read in one round trip.
    """
    plan_amount = _plan_amount()
    key = _api_caller()
    if key is None:
        return None
    limit = f"{key_amount(explicit=key.rate_limit, plan_amount=plan_amount)} per {WINDOW}"
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    read_counters_together([parse(text).key_for(*([prefix] if prefix else []), bucket, scope)
                            for text, bucket, scope in ((f"{plan_amount} per {WINDOW}", _tenant_key(), API_SCOPE),
                                                        (limit, _key_bucket(), KEY_SCOPE))])
    return limit


def _key_limit_or_plan() -> str:
    return key_limit() or plan_limit()  # the limiter parses a limit even for a request it then exempts


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


def _api_caller():
    """Authenticate the API key now (once per request), so the buckets know who is calling; None when nobody valid."""
    from app.auth import identify_api_caller

    try:
        return identify_api_caller()
    except Exception:  # noqa: BLE001  (the limiter would take any error for a dead store; the auth hook re-raises it)
        _rollback_after_failure()
        return None


def _api_caller_known() -> bool:
    """The anonymous bucket is never consulted for a valid key."""
    return _api_caller() is not None


def _no_api_caller() -> bool:
    return _api_caller() is None


def _key_bucket() -> str:
    """The calling key's own bucket key (key ids are unique across tenants; the tenant is named for clarity)."""
    key = g.principal
    return f"tenant:{key.tenant_id}:key:{key.id}"


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
_api_tenant = limiter.shared_limit(plan_limit, scope=API_SCOPE, key_func=_tenant_key, deduct_when=_authenticated)
# Registered after the tenant's bucket: with equal windows the limiter checks them in this order, so the
# headers name the tenant's budget unless the key's is the tighter one (see register_limit_headers).
_api_key = limiter.shared_limit(_key_limit_or_plan, scope=KEY_SCOPE, key_func=_key_bucket, deduct_when=_authenticated,
                                exempt_when=_no_api_caller)
_api_anonymous = limiter.shared_limit(anonymous_api_limit, scope="api-anonymous", key_func=_client_ip,
                                      deduct_when=_anonymous, exempt_when=_api_caller_known)
_web_tenant = limiter.shared_limit(web_limit, scope="web", key_func=_tenant_key, deduct_when=_authenticated)
_web_anonymous = limiter.shared_limit(anonymous_web_limit, scope="web-anonymous", key_func=_client_ip,
                                      deduct_when=_anonymous, exempt_when=_web_user_known)
operator_limit = limiter.shared_limit("1000 per 15 minutes", scope="operator")


def api_limit(blueprint):
    """Put an API blueprint under its tenant's plan limit, the calling key's own bucket and the per-address anonymous limit."""
    _api_tenant(blueprint)
    _api_key(blueprint)
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
        _report_the_tighter_bucket(response)
        return response


def _report_the_tighter_bucket(response) -> None:
    """X-RateLimit-* describe the bucket that runs out first: the key's own when it has less left than the tenant's.

    Both counters came back with the request's check and hit, so this reads no store.
    """
    shown = limiter.current_limit
    if shown is None or shown.breached or "X-RateLimit-Limit" not in response.headers:
        return
    own = [lim for lim in limiter.current_limits if lim.request_args[-1] == KEY_SCOPE]
    try:
        if own and own[0] is not shown and own[0].remaining < shown.remaining:
            values = (own[0].limit.amount, own[0].remaining, own[0].reset_at)
            for header, value in zip(RATE_HEADERS, values, strict=True):
                response.headers[header] = str(value)
    except Exception:  # noqa: BLE001  (the store failed since the hit: keep the limiter's own headers)
        return


def register_counter_batching(app) -> None:
    """Spend all of a request's Redis counters in one round trip, just before the limiter spends them one by one.

    Registered after limiter.init_app, so it runs before the limiter's own after-request hook
    (they run in reverse order); the limiter's hits then find their counts already taken.
    """

    @app.after_request
    def _spend_counters_together(response):
        try:
            storage = limiter.limiter.storage  # the in-memory fallback's while Redis is away
            if not isinstance(storage, BreakerRedisStorage):
                return response
            due = [(lim.limit.key_for(*args), lim.limit.get_expiry(), lim.deduction_amount)
                   for lim, args in limiter.context.conditional_deductions.items()
                   if lim.deduct_when and lim.deduct_when(response)]
            if len(due) > 1:
                storage.incr_together(due)
        except Exception:  # noqa: BLE001  (Redis failed: the limiter's own hits fail over as before)
            return response
        return response


def breach_details() -> dict:
    """Tenant, the bucket that is spent and seconds to wait, for the 429 body."""
    current = limiter.current_limit
    retry_after = 1
    if current:
        # Whole seconds, rounded down as Flask-Limiter rounds its Retry-After header.
        retry_after = max(1, min(int(current.reset_at - time.time()), current.limit.get_expiry()))
    tenant = current_tenant_or_none()
    details = {"tenant": tenant.subdomain if tenant else None, "retry_after": retry_after,
               "limit": str(current.limit) if current else None}
    if current and current.request_args[-1] == KEY_SCOPE:
        details["bucket"] = "api_key"
        details["message"] = (f"This API key's own rate limit is spent ({current.limit}); retry in {retry_after} "
                              "seconds. The resort's other keys are not affected.")
    elif current and current.request_args[-1] == API_SCOPE:
        details["bucket"] = "tenant"
    return details
