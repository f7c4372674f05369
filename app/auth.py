"""Who is calling: API keys (with their scopes and expiry) for the API, session users for the web, and
the one role check both use."""
import hmac
import uuid
from collections.abc import Callable
from functools import wraps

from flask import Flask, current_app, g, request
from flask_login import current_user

from app.core.errors import PermissionDenied, Unauthorized
from app.core.extensions import login_manager
from app.models import Role, User
from app.models.base import utcnow
from app.scopes import check_scope
from app.services.api_keys import authenticate_api_key, key_cache_key
from app.services.sessions import session_user
from app.tenancy import also_prefetch, current_tenant_or_none, resolve_request_tenant


def set_principal(principal, kind: str) -> None:
    """Bind the authenticated user or key to the request (logs, audit, role checks)."""
    g.principal = principal
    g.principal_kind = kind
    g.principal_role = Role(principal.role)
    g.principal_id = f"{'key' if kind == 'api_key' else kind}/{principal.id}"  # ids only, never secrets


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer ...` header, if any."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _api_key_cache_keys() -> list[str]:
    """The presented key's cache entry, fetched in the tenant lookup's round trip (API paths only)."""
    token = bearer_token() if request.path.startswith("/api/") else None
    cache_key = key_cache_key(token) if token else None
    return [cache_key] if cache_key else []


also_prefetch(_api_key_cache_keys)


def identify_api_caller():
    """The request's valid API key of an active tenant, checked once per request; None otherwise.

    The rate limiter calls this before the tenant gate and the blueprint hook, so a paying
    client is recognised before any per-address anonymous bucket is consulted.
    """
    if "api_caller_checked" in g:
        return g.get("principal")
    token = bearer_token()
    tenant = resolve_request_tenant()
    key = None
    if token is not None and tenant is not None and tenant.is_active:
        key = authenticate_api_key(secret=token)  # a database error propagates; the next call retries
    g.api_caller_checked = True
    if key is not None and key.expired(utcnow()):
        g.api_key_expired_at = key.expires_at  # not a principal: it spends no budget and is refused below
        key = None
    if key is not None:
        set_principal(key, "api_key")
    return key


def authenticate_api_request() -> None:
    """Require a valid, unexpired key of this request's tenant on tenant API paths, holding the endpoint's scope."""
    if bearer_token() is None:
        raise Unauthorized("Send an API key as `Authorization: Bearer <key>`.")
    key = identify_api_caller()
    if key is None:
        expired_at = g.get("api_key_expired_at")
        if expired_at is not None:  # only this tenant's own key gets here: nothing is revealed to others
            raise Unauthorized(f"This API key expired at {expired_at.isoformat()}; ask the resort's admin for a new one.")
        # Same answer for unknown, revoked, or another tenant's key: nothing is revealed.
        raise Unauthorized("Invalid or revoked API key.")
    if request.method != "OPTIONS":  # Flask's automatic OPTIONS answer only lists the methods
        check_scope(key.scopes, request.endpoint, request.method)


def caller_may(scope: str) -> bool:
    """Whether the request's principal holds scope: any signed-in user does, a key only when granted."""
    if g.get("principal_kind") != "api_key":
        return True
    return scope in g.principal.scopes


def require_operator() -> None:
    """Platform operator API: a separate credential from config, compared in constant time."""
    expected = current_app.config.get("PLATFORM_OPERATOR_TOKEN")
    token = bearer_token()
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Unauthorized("Operator credential required.")
    g.operator = True
    g.principal_id = "operator"


def requires(role: Role) -> Callable:
    """Refuse the call unless the principal's role is at least role (API and web alike)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal_role = g.get("principal_role")
            if principal_role is None:
                raise Unauthorized("Sign in required.")
            if not principal_role.allows(role):
                raise PermissionDenied(f"This needs the {role.value} role.")
            return view(*args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """Session user of the current tenant only: a cookie from another tenant's host loads nothing."""
    from flask import session

    tenant = current_tenant_or_none()
    if tenant is None or session.get("tenant_id") != str(tenant.id):
        return None
    try:
        uid = uuid.UUID(user_id)
    except ValueError:
        return None
    # The session must still exist server-side: sign-out, a password reset or change, deactivation
    # and "sign out everywhere" delete it, so a copied cookie stops working at once.
    return session_user(user_id=uid, session_id=session.get("sid"))


def load_web_user() -> None:
    """Bind the signed-in user (if any) as the principal for a web request."""
    if current_user.is_authenticated:
        set_principal(current_user._get_current_object(), "user")


def register_auth(app: Flask) -> None:
    """Flask-Login for the web; its unauthorised handler sends people to the sign-in page."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in."
    login_manager.session_protection = "basic"
