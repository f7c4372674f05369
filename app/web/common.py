"""Helpers every page blueprint uses: sign-in gate, fragment vs page, safe redirects, the one form parser."""
import re
from decimal import Decimal, InvalidOperation
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


# Whole numbers a form may send as ints; longer ones stay text for the schema to refuse (no giant ints).
_WHOLE = re.compile(r"-?\d{1,18}")


def _cents(text: str) -> int:
    """'45', '45.5' or '45.50' (currency units) -> 4550 cents; refuses more than two decimals."""
    value = Decimal(text.strip().replace(",", ""))
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise InvalidOperation
    return int(value * 100)


def form_data(schema: ma.Schema, overrides: dict | None = None, *, money: dict[str, str] | None = None,
              errors: dict | None = None) -> dict:
    """The submitted form as the schema expects it.

    A blank input clears the field (None or "" by type) instead of being dropped; a blank number,
    date or amount that cannot be None is left out (the stored value stays, a required one is
    missing); the last value wins for scalars (so a hidden `false` before a checkbox works); list
    fields take every non-blank value (a hidden empty one marks "none ticked"). Whole numbers are
    sent as ints (the API's integers are strict). `money` maps inputs typed in currency units
    ("45.50") to the schema's cents fields; one that is not an amount is added to `errors`.
    """
    inputs = {target: name for name, target in (money or {}).items()}  # schema field -> form input
    data = {}
    for name, field in schema.fields.items():
        source = inputs.get(name, name)
        if field.dump_only or source not in request.form:
            continue
        values = request.form.getlist(source)
        if isinstance(field, ma.fields.List):
            data[name] = [v for v in values if v != ""]
            continue
        value = values[-1]
        if value == "" or (value.strip() == "" and not isinstance(field, ma.fields.String)):
            if field.allow_none:
                data[name] = None
            elif isinstance(field, ma.fields.String):
                data[name] = ""
            continue
        if name in inputs:
            try:
                data[name] = _cents(value)
            except (InvalidOperation, ValueError):
                if errors is not None:
                    errors[source] = ["Enter an amount like 45.00 (at most two decimals)."]
        elif isinstance(field, ma.fields.Integer) and _WHOLE.fullmatch(value.strip()):
            data[name] = int(value)
        else:
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


def load_form(schema: ma.Schema, *, partial: bool = False, overrides: dict | None = None,
              money: dict[str, str] | None = None) -> dict:
    """Parse a submitted form with the API's schema; every error comes back at once, named as the form names it.

    `money` maps amount inputs to cents fields, e.g. {"price": "price_cents"} (see form_data).
    """
    errors: dict = {}
    data = form_data(schema, overrides, money=money, errors=errors)
    loaded = None
    try:
        loaded = schema.load(data, partial=partial)
    except ma.ValidationError as exc:
        names = {target: name for name, target in (money or {}).items()}
        for field, messages in exc.messages.items():
            errors.setdefault(names.get(field, field), messages)  # a bad amount's own message comes first
    if errors:
        raise RuleViolation("Please correct the highlighted fields.", errors=errors)
    return loaded


def posted_values(lists: tuple = ()) -> dict:
    """What the user typed, to put back into a form that failed validation."""
    values = {k: request.form.getlist(k)[-1] for k in request.form if k not in lists and k != "csrf_token"}
    values.update({k: [v for v in request.form.getlist(k) if v] for k in lists})
    return values


def render_form_error(template: str, exc: DomainError, **context) -> tuple[str, int]:
    """Re-render a form fragment with its field errors and what the user typed (422, or 409 for a conflict)."""
    return (render_template(template, errors=exc.errors or {}, message=exc.message, form=request.form, **context),
            exc.status_code)


# Errors a form shows next to its fields rather than as an error page.
FORM_ERRORS = (RuleViolation, Conflict)
