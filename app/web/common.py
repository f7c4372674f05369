"""Helpers every page blueprint uses: sign-in gate, fragment vs page, safe redirects."""
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth import load_web_user
from app.core.errors import Conflict, DomainError, RuleViolation
from app.limits import web_limit_decorator


def page_blueprint(name: str, import_name: str, *, signed_in: bool = True, **kwargs) -> Blueprint:
    """A web blueprint under the per-tenant web limit; by default only for signed-in staff."""
    bp = Blueprint(name, import_name, **kwargs)
    web_limit_decorator(bp)

    @bp.before_request
    def _gate():
        if current_user.is_authenticated:
            load_web_user()
        elif signed_in:
            target = url_for("auth.login", next=request.full_path.rstrip("?"))
            if request.headers.get("HX-Request"):
                return Response(status=401, headers={"HX-Redirect": target})
            return redirect(target)
        return None

    return bp


def navigate(url: str):
    """Go to url after a successful form: HX-Redirect for htmx, a 303 See Other otherwise."""
    if is_htmx():
        return Response(status=204, headers={"HX-Redirect": url})
    return redirect(url, code=303)


def is_htmx() -> bool:
    """True when htmx made this request."""
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


def form_data(schema: ma.Schema, overrides: dict | None = None) -> dict:
    """The submitted form as the schema expects it.

    A blank input clears the field (None or "" by type) instead of being dropped; the last value
    wins for scalars (so a hidden `false` before a checkbox works); list fields take every value.
    """
    data = {}
    for name, field in schema.fields.items():
        if field.dump_only or name not in request.form:
            continue
        values = request.form.getlist(name)
        if isinstance(field, ma.fields.List):
            data[name] = [v for v in values if v != ""]
            continue
        value = values[-1]
        if value == "":
            if field.allow_none:
                value = None
            elif not isinstance(field, ma.fields.String):
                continue  # an empty number or date input: leave the stored value alone
        data[name] = value
    data.update(overrides or {})
    return data


def form_version() -> int | None:
    """The row version a form was opened with (hidden input), for refusing stale saves."""
    raw = request.form.get("version", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise RuleViolation("This form is out of date; reload it.", errors={"version": ["Invalid."]})
    return int(raw)


def load_form(schema: ma.Schema, *, partial: bool = False, overrides: dict | None = None) -> dict:
    """Parse a submitted form with the API's schema; errors come back naming each field."""
    try:
        return schema.load(form_data(schema, overrides), partial=partial)
    except ma.ValidationError as exc:
        raise RuleViolation("Please correct the highlighted fields.", errors=exc.messages) from None


def render_form_error(template: str, exc: DomainError, **context) -> tuple[str, int]:
    """Re-render a form fragment with its field errors and what the user typed (422, or 409 for a conflict)."""
    return (render_template(template, errors=exc.errors or {}, message=exc.message, form=request.form, **context),
            exc.status_code)


# Errors a form shows next to its fields rather than as an error page.
FORM_ERRORS = (RuleViolation, Conflict)
