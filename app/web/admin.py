"""Admin pages: staff users, API keys, the audit trail, the outbox and the resort's settings."""
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import marshmallow as ma
from flask import g, render_template, request, url_for
from markupsafe import Markup, escape

from app import scopes
from app.auth import requires
from app.core.errors import RuleViolation
from app.models import Role
from app.models.base import utcnow
from app.schemas.accounts import ApiKeyCreateSchema, ApiKeyUpdateSchema, UserCreateSchema, UserUpdateSchema
from app.schemas.audit import AuditQuerySchema
from app.schemas.tenants import TenantSettingsUpdateSchema
from app.services import accounts, api_keys, audit, outbox, tenants
from app.services.customer_csv import COLUMNS, import_customers as run_import
from app.tenancy import current_tenant
from app.web.common import FORM_ERRORS, load_form, page_blueprint, render_form_error

bp = page_blueprint("admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 50
OUTBOX_PAGE_SIZE = 100
# Where each audited kind of row is shown: (endpoint, its id argument or None, the row's anchor on that page).
RESOURCE_PAGES = {"customer": ("customer_pages.show", "customer_id", ""), "pet": ("pet_pages.show", "pet_id", ""),
                  "user": ("admin.users", None, "user-"), "api_key": ("admin.keys", None, "key-"),
                  "kennel": ("kennel_pages.index", None, "row-"), "service": ("catalog.services", None, "service-"),
                  "addon": ("catalog.addons", None, "addon-"), "price_rule": ("catalog.price_rules", None, "rule-"),
                  "vaccine_requirement": ("settings.vaccines", None, ""), "tenant": ("admin.settings", None, ""),
                  "outbox_message": ("admin.outbox_page", None, "message-")}


def audit_link(kind: str, row_id, action: str = "") -> str | None:
    """The page showing an audited row or actor, or None when there is none (or the row was deleted)."""
    page = RESOURCE_PAGES.get(kind)
    if page is None or not row_id or action.endswith(".deleted"):
        return None
    endpoint, arg, anchor = page
    url = url_for(endpoint, **({arg: row_id} if arg else {}))
    return f"{url}#{anchor}{row_id}" if anchor else url


def local_time(moment, zone: str) -> str:
    """A stored UTC time in the resort's timezone, with the zone's abbreviation (`2026-06-01 09:30:00 MDT`)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = UTC
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")


@bp.get("/users")
@requires(Role.ADMIN)
def users():
    """Staff list with role and active controls, and the invite form."""
    return render_template("admin/users.html", users=accounts.list_users(), roles=list(Role), errors={}, form={})


@bp.post("/users")
@requires(Role.ADMIN)
def invite_user():
    """Invite a user; they get an email to set their password."""
    try:
        user = accounts.create_user(**load_form(UserCreateSchema()))
    except FORM_ERRORS as exc:
        return render_form_error("admin/_invite_form.html", exc, roles=list(Role))
    return render_template("admin/_invite_result.html", user=user, roles=list(Role))


@bp.post("/users/<uuid:user_id>")
@requires(Role.ADMIN)
def update_user(user_id):
    """Change one user's role or active flag from its table row."""
    try:
        user = accounts.update_user(user_id=user_id, **load_form(UserUpdateSchema(), partial=True))
    except FORM_ERRORS as exc:
        return render_form_error("admin/_user_row.html", exc, user=accounts.get_user(user_id=user_id),
                                 roles=list(Role))
    return render_template("admin/_user_row.html", user=user, roles=list(Role), errors={})


# The scope choices on the API keys page: the wildcards first, then each scope with what it allows.
SCOPE_OPTIONS = [("*", "Everything (*)"), ("*:read", "Read everything (*:read)"),
                 *((name, f"{name}: {text}") for name, text in scopes.SCOPES.items())]


def expiry_day(expires_at) -> str:
    """The resort's date a key expires after, as the form shows it ("" for never)."""
    if expires_at is None:
        return ""
    return (expires_at - timedelta(microseconds=1)).astimezone(ZoneInfo(current_tenant().timezone)).date().isoformat()


def _key_context(**extra) -> dict:
    return {"roles": list(Role), "scope_options": SCOPE_OPTIONS, "widget_scopes": scopes.BOOKING_WIDGET,
            "now": utcnow(), "local_time": local_time, "zone": current_tenant().timezone, "expiry_day": expiry_day,
            **extra}


def _expiry_override(form_name: str = "expires_on") -> dict:
    """The form's expiry date as the schema's `expires_at`: the end of that day in the resort's timezone.

    An edit form that leaves the shown date as it was leaves the expiry alone (it may be a time of day set by the API).
    """
    if form_name not in request.form or request.form[form_name] == request.form.get("expires_shown"):
        return {}
    text = request.form[form_name].strip()
    if not text:
        return {"expires_at": None}
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise RuleViolation("Please correct the highlighted fields.",
                            errors={form_name: ["Enter a date like 2027-06-30."]}) from None
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(current_tenant().timezone))
    return {"expires_at": end.isoformat()}


def _key_form_errors(exc):
    """Schema and service errors named as the form names them (`expires_at` is typed as `expires_on`)."""
    if exc.errors and "expires_at" in exc.errors:
        exc.errors = {("expires_on" if k == "expires_at" else k): v for k, v in exc.errors.items()}
    return exc


@bp.get("/api-keys")
@requires(Role.ADMIN)
def keys():
    """API keys with their scopes, expiry and own rate limit, edit and revoke buttons, and the create form."""
    return render_template("admin/api_keys.html", keys=api_keys.list_api_keys(), errors={}, form={},
                           chosen=["*"], **_key_context())


@bp.post("/api-keys")
@requires(Role.ADMIN)
def create_key():
    """Create a key and show its secret once."""
    try:
        fields = load_form(ApiKeyCreateSchema(), overrides=_expiry_override())
        key, secret = api_keys.create_api_key(created_by_id=g.principal.id, **fields)
    except FORM_ERRORS as exc:
        return render_form_error("admin/_key_form.html", _key_form_errors(exc),
                                 chosen=request.form.getlist("scopes"), **_key_context())
    return render_template("admin/_key_created.html", key=key, secret=secret, errors={}, form={}, chosen=["*"],
                           **_key_context())


@bp.get("/api-keys/<uuid:key_id>")
@requires(Role.ADMIN)
def key_row(key_id):
    """One key's row (what an edit's Cancel puts back)."""
    return render_template("admin/_key_row.html", key=api_keys.get_api_key(key_id=key_id), **_key_context())


@bp.get("/api-keys/<uuid:key_id>/edit")
@requires(Role.ADMIN)
def edit_key(key_id):
    """One key's row as a form: scopes, expiry and own rate limit."""
    key = api_keys.get_api_key(key_id=key_id)
    return render_template("admin/_key_edit_row.html", key=key, errors={}, form={}, chosen=key.scopes,
                           **_key_context())


@bp.post("/api-keys/<uuid:key_id>")
@requires(Role.ADMIN)
def update_key(key_id):
    """Save a key's scopes, expiry and rate limit; it applies from the key's next request."""
    try:
        fields = load_form(ApiKeyUpdateSchema(), partial=True, overrides=_expiry_override())
        version = request.form.get("version", type=int)
        key = api_keys.update_api_key(key_id=key_id, expected_version=version, **fields)
    except FORM_ERRORS as exc:
        return render_form_error("admin/_key_edit_row.html", _key_form_errors(exc), key=api_keys.get_api_key(key_id=key_id),
                                 chosen=request.form.getlist("scopes"), **_key_context())
    return render_template("admin/_key_row.html", key=key, **_key_context())


@bp.post("/api-keys/<uuid:key_id>/revoke")
@requires(Role.ADMIN)
def revoke_key(key_id):
    """Revoke a key."""
    return render_template("admin/_key_row.html", key=api_keys.revoke_api_key(key_id=key_id), **_key_context())


@bp.get("/audit")
@requires(Role.ADMIN)
def audit_log():
    """The audit trail, filterable; htmx swaps just the results."""
    args = {k: v for k, v in request.args.items() if v and k in AuditQuerySchema().fields}
    try:
        filters = AuditQuerySchema().load(args)
    except ma.ValidationError as exc:
        raise RuleViolation("Invalid audit filter.", errors=exc.messages) from None
    page = max(1, request.args.get("page", 1, type=int))
    events, total = audit.list_events(page=page, page_size=AUDIT_PAGE_SIZE, **filters)
    template = "admin/_audit_rows.html" if request.headers.get("HX-Target") == "audit-results" else "admin/audit.html"
    at_least = audit.total_is_floor(total, page=page, page_size=AUDIT_PAGE_SIZE)
    return render_template(template, events=events, total=total, at_least=at_least, page=page, page_size=AUDIT_PAGE_SIZE,
                           filters=args, audit_link=audit_link, local_time=local_time,
                           zone=current_tenant().timezone)


@bp.route("/settings", methods=["GET", "POST"])
@requires(Role.ADMIN)
def settings():
    """Business name, contact details, timezone, currency, tax, vaccine warning window and CORS origins."""
    tenant = tenants.get_tenant(subdomain=current_tenant().subdomain)
    if request.method == "POST":
        # One origin per line in the form; the schema and the service take a list.
        origins = ({"cors_origins": [line.strip() for line in request.form["cors_origins"].splitlines() if line.strip()]}
                   if "cors_origins" in request.form else {})
        try:
            tenant = tenants.update_settings(tenant_id=tenant.id,
                                             **load_form(TenantSettingsUpdateSchema(), partial=True, overrides=origins))
        except RuleViolation as exc:
            return render_form_error("admin/_settings_form.html", exc, tenant=tenant)
        return render_template("admin/_settings_form.html", tenant=tenant, errors={}, form={}, saved=True)
    return render_template("admin/settings.html", tenant=tenant, errors={}, form={})


@bp.route("/import", methods=["GET", "POST"])
@requires(Role.ADMIN)
def import_customers():
    """Upload a customers CSV: check it (dry run) first, then import all-or-nothing."""
    if request.method == "GET":
        return render_template("admin/import.html", columns=COLUMNS, report=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise RuleViolation("Choose a CSV file.", errors={"file": ["Choose a CSV file."]})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation("The file is not UTF-8 text.", errors={"file": ["Save the CSV as UTF-8."]}) from None
    report = run_import(text=text, dry_run=request.form.get("mode") != "import")
    return render_template("admin/import.html", columns=COLUMNS, report=report), (422 if report.problems else 200)


# A [note] after a link is not part of it, nor is a full stop or bracket that ends the sentence around it.
URL = re.compile(r"https?://[^\s<>\"'\[\]]+?(?=[.,;:!?)]*(?:[\s<>\"'\[\]]|$))")


def linkify(text: str) -> Markup:
    """Escape a message body and make its URLs clickable (so an invite can be finished from the Outbox page)."""
    return Markup(URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', str(escape(text))))


def _outbox_helpers() -> dict:
    return {"shown_body": outbox.shown_body, "linkify": linkify, "local_time": local_time,
            "zone": current_tenant().timezone}


@bp.get("/outbox")
@requires(Role.MANAGER)
def outbox_page():
    """The resort's recent messages with their delivery state, and how far delivery is behind."""
    messages = outbox.list_messages(limit=OUTBOX_PAGE_SIZE)
    return render_template("admin/outbox.html", messages=messages, stats=outbox.outbox_stats(),
                           queue=outbox.queue_overview(), **_outbox_helpers())


@bp.post("/outbox/<uuid:message_id>/retry")
@requires(Role.MANAGER)
def retry_message(message_id):
    """Retry a dead letter (htmx: the row comes back PENDING, or with the reason it cannot be retried)."""
    try:
        message, error, status = outbox.retry_message(message_id=message_id), None, 200
    except FORM_ERRORS as exc:
        message, error, status = outbox.get_message(message_id=message_id), exc.message, exc.status_code
    return render_template("admin/_outbox_row.html", m=message, retry_error=error, **_outbox_helpers()), status
