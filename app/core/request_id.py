"""Per-request plumbing: request ids, the access log line, security headers."""
import re
import time
import uuid

from flask import Flask, g, request
from loguru import logger

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def accept_request_id(value: str | None) -> str:
    """Keep a client's request id when it is short and safe, else make a fresh one."""
    if value and _SAFE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _csp(path: str) -> str:
    # The Swagger UI sets inline style attributes; scripts stay 'self'-only everywhere.
    style = "'self' 'unsafe-inline'" if path.startswith("/api/v1/docs") else "'self'"
    return (
        "default-src 'self'; script-src 'self'; "
        f"style-src {style}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def register_request_hooks(app: Flask) -> None:
    """Request id first, access line and headers last, on every response."""

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def finish_request(response):
        if "request_id" not in g:  # errors raised before our before_request ran
            g.request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        headers = response.headers
        headers[REQUEST_ID_HEADER] = g.request_id
        headers["Content-Security-Policy"] = _csp(request.path)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if app.config.get("HSTS"):
            headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if not request.path.startswith("/api/"):
            headers.add("Vary", "HX-Request")
        started = g.get("request_started", time.perf_counter())
        logger.info(
            "{} {} {} {:.1f}ms",
            request.method,
            request.path,
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response
