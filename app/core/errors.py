"""Domain errors and the one place that maps errors to HTTP: JSON for the API, HTML for the web."""
from http import HTTPStatus
from urllib.parse import urlsplit

from flask import Flask, g, jsonify, render_template, request, url_for
from flask_login import current_user
from loguru import logger
from marshmallow import ValidationError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from app.core.extensions import db


class DomainError(Exception):
    """Base for errors raised by services; carries an HTTP status and optional field errors."""

    status_code = 400

    def __init__(self, message: str, *, errors: dict | None = None, extra: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.extra = extra or {}  # machine-readable details for the API body, e.g. the id a duplicate clashes with
        self.headers = headers or {}  # e.g. Retry-After on a 409 that is worth retrying soon


class NotFound(DomainError):
    """The resource does not exist for this tenant (or at all: callers cannot tell)."""

    status_code = 404


class Conflict(DomainError):
    """The request conflicts with current state (duplicate, taken, stale)."""

    status_code = 409


class StaleVersion(Conflict):
    """The row changed since the client read it (its version moved on): 409 on the web, 412 for If-Match."""

    MESSAGE = "Someone else saved a change since you opened this form; reload to see it, then edit again."

    def __init__(self, message: str = MESSAGE, *, errors: dict | None = None) -> None:
        super().__init__(message, errors=errors or {"version": ["Changed by someone else."]})


class RuleViolation(DomainError):
    """A business rule refuses the request; errors name the fields involved."""

    status_code = 422


class PermissionDenied(DomainError):
    """The principal is authenticated but its role does not allow this."""

    status_code = 403


class Unauthorized(DomainError):
    """No valid credential was presented."""

    status_code = 401


def is_api_request() -> bool:
    """True for paths served by the JSON API."""
    return request.path.startswith("/api/")


def error_response(status: int, message: str, *, errors: dict | None = None, headers: dict | None = None, **extra):
    """Build the API JSON error body or the web HTML error page for one status."""
    phrase = HTTPStatus(status).phrase
    if is_api_request():
        body = {"code": status, "status": phrase, "message": message, "request_id": g.get("request_id")}
        if errors:
            body["errors"] = errors
        body.update(extra)
        response = jsonify(body)
    else:
        htmx = bool(request.headers.get("HX-Request"))
        template = "errors/_error.html" if htmx else "errors/error.html"
        response = render_template(template, status=status, phrase=phrase, message=message, errors=errors or {})
        response = Flask.response_class(response, mimetype="text/html")
        if htmx:
            # Show the error in the page's notice area instead of inside whatever the request targeted.
            response.headers["HX-Retarget"] = "#notices"
            response.headers["HX-Reswap"] = "innerHTML"
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def flatten_locations(messages: dict) -> tuple[dict, str | None]:
    """webargs nests errors by where they were read (`{"json": {"email": [...]}}`): flatten them to
    `{"email": [...]}` like every rule error, and return the location separately.

    An error about the whole input (`{"json": ["Invalid JSON body."]}`) becomes `_schema`, the name
    marshmallow gives whole-schema errors.
    """
    errors: dict = {}
    locations = []
    for location, inner in messages.items():
        locations.append(location)
        if isinstance(inner, dict):
            errors.update(inner)
        else:
            errors.setdefault("_schema", []).extend(inner if isinstance(inner, list) else [inner])
    return errors, (locations[0] if len(locations) == 1 else None)


def _handle_http_exception(exc: HTTPException):
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages") or getattr(exc, "errors", None)
    extra = {}
    if errors and isinstance(getattr(exc, "exc", None), ValidationError | ValueError):  # webargs: keyed by location
        errors, location = flatten_locations(errors)
        if location:
            extra["location"] = "query" if location == "querystring" else location
    message = data.get("message") or exc.description or HTTPStatus(exc.code).phrase
    if exc.code == 422 and errors and not data.get("message"):
        message = "Validation failed; see errors for each field."
    headers = dict(data.get("headers") or {})
    if exc.code == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return error_response(exc.code or 500, message, errors=errors, headers=headers, **extra)


def _handle_rate_limited(exc: HTTPException):
    from app.limits import breach_details  # at call time: core sits below limits and tenancy, which raise these errors

    details = breach_details()
    message = details.pop("message", None) or getattr(exc.limit, "error_message", None) or (
        f"Rate limit exceeded ({details['limit']}); retry in {details['retry_after']} seconds."
    )
    extra = {k: v for k, v in details.items() if k in ("tenant", "retry_after", "bucket")}
    return error_response(429, message, headers={"Retry-After": str(details["retry_after"])}, **extra)


def _handle_csrf_error(exc: HTTPException):
    from app.tenancy import resolve_request_tenant  # at call time, as above

    resolve_request_tenant()  # CSRF runs before the tenant gate; the session user needs the tenant
    if not is_api_request() and request.headers.get("HX-Request") and not current_user.is_authenticated:
        # The session expired under an open page: send the browser to sign in, then back to that page.
        page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
        return Flask.response_class(status=401, headers={"HX-Redirect": url_for("auth.login", next=page)})
    return _handle_http_exception(exc)


def _handle_domain_error(exc: DomainError):
    db.session.rollback()
    if isinstance(exc, StaleVersion) and is_api_request():
        # The API's version check is If-Match: losing it is a failed precondition.
        return error_response(412, "The resource changed since you read it; GET it again and retry with its ETag.",
                              errors=exc.errors)
    headers = exc.headers
    if isinstance(exc, Unauthorized) and is_api_request() and "WWW-Authenticate" not in headers:
        headers = {**headers, "WWW-Authenticate": bearer_challenge()}
    return error_response(exc.status_code, exc.message, errors=exc.errors, headers=headers, **exc.extra)


def bearer_challenge() -> str:
    """RFC 6750's challenge: no error code when no credential was sent, `invalid_token` for a bad one."""
    realm = "tailtown-operator" if request.path.startswith("/api/v1/platform/") else "tailtown"
    sent = request.headers.get("Authorization", "").strip()
    return f'Bearer realm="{realm}"' + (', error="invalid_token"' if sent else "")


DATABASE_UNAVAILABLE = "The database is busy or unavailable. Try again in a few seconds."


def _handle_database_unavailable(exc: Exception):
    """Database down, out of connections ("too many clients"), or a statement/lock timeout: 503, retry soon."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection may be gone; the session is discarded at teardown anyway)
        logger.debug("rollback after a database error failed too")
    orig = getattr(exc, "orig", None)
    # The class names only: the message can quote SQL (parameters are hidden, but keep the line short).
    logger.warning("database unavailable on {} {}: {}", request.method, request.path,
                   type(orig).__name__ if orig is not None else type(exc).__name__)
    from flask import current_app

    retry_after = str(current_app.config.get("DB_RETRY_AFTER_SECONDS", 5))
    if "_login_user" not in g:
        # The page layout asks who is signed in; loading that user needs the database, which just
        # failed: render as nobody instead of failing again inside this handler (a bare 500).
        from flask_login import AnonymousUserMixin

        g._login_user = AnonymousUserMixin()
    return error_response(503, DATABASE_UNAVAILABLE, headers={"Retry-After": retry_after})


def _handle_stale_data(exc: Exception):
    """An ORM UPDATE/DELETE matched no row at the version it was read at: someone else saved first."""
    db.session.rollback()
    return _handle_domain_error(StaleVersion())


def _handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _handle_http_exception(exc)
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return _handle_database_unavailable(exc)  # the server went away mid-statement: retry soon, not a 500
    try:
        db.session.rollback()
    except sa_exc.DBAPIError:
        logger.debug("rollback after an unexpected error failed too")
    logger.opt(exception=exc).error("unhandled error on {} {}", request.method, request.path)
    return error_response(500, InternalServerError.description)


def close_session_quietly(_exc) -> None:
    """End the request's session; a connection lost after the answer was made must not turn it into a 500."""
    try:
        db.session.remove()
    except sa_exc.DBAPIError as exc:  # the rollback on a dead connection; the pool has invalidated it
        logger.warning("closing the database session failed: {}", type(exc.orig).__name__)
        db.session.registry.clear()


def register_error_handlers(app: Flask) -> None:
    """Install handlers after flask-smorest's Api so web paths keep HTML errors."""
    from flask_limiter import RateLimitExceeded
    from flask_wtf.csrf import CSRFError
    from sqlalchemy.orm.exc import StaleDataError

    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(RateLimitExceeded, _handle_rate_limited)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(DomainError, _handle_domain_error)
    # Errors of the connection, not of the statement: unreachable, refused, cancelled, timed out.
    for error in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(error, _handle_database_unavailable)
    app.register_error_handler(StaleDataError, _handle_stale_data)
    app.register_error_handler(Exception, _handle_unexpected)
