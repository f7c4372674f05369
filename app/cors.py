"""CORS for the tenant API: each resort names the browser origins (its own website) that may call it.

A browser sends no custom header on a preflight, so `X-Tenant` is not there: the tenant of a
preflight is known from the host only (`<subdomain>.<base domain>`, app/tenancy.py). A booking widget
therefore calls `https://<subdomain>.<base domain>/api/v1/...`; on a bare API host a preflight
names no tenant and gets no CORS headers. Preflights are answered before the limiter, the tenant
gate and authentication (they carry no key); a disallowed origin simply gets no CORS headers, and
`Access-Control-Allow-Credentials` is never sent (the API takes keys, never cookies).
"""
import functools
import re

from flask import Flask, current_app, g, request

from app.core.errors import RuleViolation

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Request-ID, X-Tenant"
EXPOSED_HEADERS = ("ETag, Location, Link, X-Pagination, X-Request-ID, X-RateLimit-Limit, X-RateLimit-Remaining, "
                   "X-RateLimit-Reset, Retry-After, Idempotent-Replayed")
MAX_ORIGINS = 20
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_ORIGIN = re.compile(rf"^https://({_LABEL}(?:\.{_LABEL})*)(?::(\d{{1,5}}))?$")


def normalize_origin(text: str) -> str | None:
    """`https://host[:port]` lowercased, without the default port; None when text is not such an origin."""
    match = _ORIGIN.fullmatch(str(text).strip().lower().removesuffix("/"))
    if match is None:
        return None
    host, port = match.groups()
    if port is not None and not 1 <= int(port) <= 65535:
        return None
    return f"https://{host}" + (f":{int(port)}" if port and int(port) != 443 else "")


def normalize_origins(values) -> list[str]:
    """A tenant's allowed origins from input (deduplicated, in order); a 422 naming `cors_origins` otherwise."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise RuleViolation("Invalid allowed origins.", errors={"cors_origins": ["Must be a list of origins."]})
    origins, bad = [], []
    for value in values:
        origin = normalize_origin(value)
        if origin is None:
            bad.append(f"{str(value)[:100]!r} is not an origin like https://www.example.com or https://host:8443 "
                       "(https, a host name, an optional port; no path).")
        elif origin not in origins:
            origins.append(origin)
    if not bad and len(origins) > MAX_ORIGINS:
        bad.append(f"At most {MAX_ORIGINS} origins.")
    if bad:
        raise RuleViolation("Invalid allowed origins.", errors={"cors_origins": bad})
    return origins


@functools.cache
def _api_blueprints() -> frozenset[str]:
    from app.api import TENANT_BLUEPRINTS  # at call time: the API imports this module's neighbours

    return frozenset(blueprint.name for blueprint in TENANT_BLUEPRINTS)


def _is_tenant_api() -> bool:
    return request.blueprint in _api_blueprints()


def _allowed_origin() -> str | None:
    """The request's Origin when the request's tenant allows it, else None."""
    origin = request.headers.get("Origin")
    tenant = g.get("tenant")
    if not origin or tenant is None or not tenant.is_active:
        return None
    return origin if origin in tenant.cors_origins else None


def _is_preflight() -> bool:
    return (request.method == "OPTIONS" and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers)


def register_cors(app: Flask) -> None:
    """Answer preflights of the tenant API and mark its answers for the tenant's allowed origins."""
    from app.tenancy import resolve_request_tenant

    @app.before_request
    def answer_preflight():
        if not _is_preflight() or not _is_tenant_api():
            return None
        resolve_request_tenant()  # from the host: a preflight carries no X-Tenant
        response = current_app.response_class(status=204)
        origin = _allowed_origin()
        if origin is not None:
            methods = sorted(request.url_rule.methods - {"OPTIONS"})
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = str(current_app.config["CORS_MAX_AGE"])
        g.cors_preflight = True
        return response

    @app.after_request
    def mark_cors_response(response):
        if not _is_tenant_api():
            return response
        response.vary.add("Origin")  # the answer depends on it: shared caches must not mix origins
        if g.get("cors_preflight"):
            return response
        origin = _allowed_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response
