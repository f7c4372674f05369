"""Message pages: the resort's templates with a live preview, the Vaccines page, and the public opt-out routes."""
import hmac
import uuid
from datetime import date

from flask import abort, current_app, render_template, request

from app.auth import requires
from app.core.errors import NotFound, PermissionDenied, RuleViolation, StaleVersion
from app.core.extensions import csrf
from app.models import Role
from app.services import notices, optout, templates
from app.services.compliance import tenant_today
from app.web.common import FORM_ERRORS, page_blueprint

bp = page_blueprint("notice_pages", __name__)
public = page_blueprint("optout", __name__, signed_in=False)


# --- templates (managers) -------------------------------------------------------------------------


@bp.get("/admin/templates")
@requires(Role.MANAGER)
def template_list():
    """Every message kind on both channels, marked custom or default."""
    return render_template("notices/templates.html", items=templates.list_templates(), may_edit=templates.may_edit)


def _editor(kind: str, channel: str, *, subject: str, body: str, version: int, errors: dict | None = None,
            status: int = 200, saved: bool = False, custom: bool = False):
    kind_, channel_ = templates.resolve(kind, channel)
    try:
        preview = templates.preview(kind=kind, channel=channel, subject=subject, body=body) if not errors else None
    except RuleViolation as exc:
        preview, errors, status = None, exc.errors, 422
    return render_template("notices/template_edit.html", kind=kind_, channel=channel_, subject=subject, body=body,
                           preview=preview, errors=errors or {}, saved=saved, custom=custom, version=version,
                           may_edit=templates.may_edit(kind_)), status


@bp.get("/admin/templates/<kind>/<channel>")
@requires(Role.MANAGER)
def template_edit(kind: str, channel: str):
    """Edit one template's subject and body beside a preview with a sample booking."""
    current = templates.get_template(kind=kind, channel=channel)
    return _editor(kind, channel, subject=current.subject, body=current.body, custom=current.custom,
                   version=current.version or 0)


@bp.post("/admin/templates/<kind>/<channel>/preview")
@requires(Role.MANAGER)
def template_preview(kind: str, channel: str):
    """The preview fragment for a draft (htmx, as the manager types); 422 naming unknown placeholders."""
    try:
        subject, body = templates.preview(kind=kind, channel=channel, subject=request.form.get("subject", ""),
                                          body=request.form.get("body", ""))
    except RuleViolation as exc:
        return render_template("notices/_preview.html", preview=None, errors=exc.errors), 422
    return render_template("notices/_preview.html", preview=(subject, body), errors={})


@bp.post("/admin/templates/<kind>/<channel>")
@requires(Role.MANAGER)
def template_save(kind: str, channel: str):
    """Save the resort's wording (or, with reset, go back to the default), refusing a stale form."""
    expected = _form_version()
    if request.form.get("reset"):
        try:
            current = templates.reset_template(kind=kind, channel=channel, expected_version=expected)
        except StaleVersion as exc:
            current = templates.get_template(kind=kind, channel=channel)
            return _editor(kind, channel, subject=current.subject, body=current.body, version=expected,
                           errors=exc.errors | {"form": [exc.message]}, status=409, custom=current.custom)
        return _editor(kind, channel, subject=current.subject, body=current.body, version=0, saved=True)
    subject, body = request.form.get("subject", ""), request.form.get("body", "")
    try:
        saved = templates.save_template(kind=kind, channel=channel, subject=subject, body=body,
                                        expected_version=expected)
    except PermissionDenied as exc:
        return _editor(kind, channel, subject=subject, body=body, version=expected, errors={"body": [exc.message]},
                       status=403, custom=True)
    except StaleVersion as exc:  # someone saved since this form was opened: keep the draft, overwrite nothing
        return _editor(kind, channel, subject=subject, body=body, version=expected,
                       errors=exc.errors | {"form": [exc.message]}, status=409, custom=True)
    except RuleViolation as exc:
        return _editor(kind, channel, subject=subject, body=body, version=expected, errors=exc.errors, status=422,
                       custom=True)
    return _editor(kind, channel, subject=subject, body=body, version=saved.version or 0, saved=True, custom=True)


def _form_version() -> int:
    """The version the form was opened at (0: the default wording); a missing or odd value checks as stale."""
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return -2  # matches no row and not the default: refused as stale, never an unchecked overwrite


# --- the Vaccines page (staff) --------------------------------------------------------------------


def _window() -> tuple[date, date]:
    errors, days = {}, {}
    defaults = dict(zip(("from", "to"), notices.default_window(), strict=True))
    for name, fallback in defaults.items():
        raw = request.values.get(name, "").strip()
        try:
            days[name] = date.fromisoformat(raw) if raw else fallback
        except ValueError:
            errors[name] = ["Use a date like 2026-01-31."]
    if errors:
        raise RuleViolation("Please correct the dates.", errors=errors)
    return days["from"], days["to"]


@bp.get("/vaccines")
@requires(Role.STAFF)
def vaccines():
    """Every pet whose vaccines expire or expired in the window, with a remind button per pet."""
    try:
        start, end = _window()
        pets = notices.expiring_vaccines(start=start, end=end)
    except RuleViolation as exc:
        return render_template("notices/vaccines.html", pets=[], start=request.values.get("from", ""),
                               end=request.values.get("to", ""), errors=exc.errors, today=tenant_today()), 422
    return render_template("notices/vaccines.html", pets=pets, start=start, end=end, errors={}, today=tenant_today())


@bp.post("/vaccines/<uuid:pet_id>/remind")
@requires(Role.STAFF)
def remind(pet_id: uuid.UUID):
    """Send the household a reminder now for the pet's vaccines expiring in the window."""
    start, end = _window()
    try:
        count = notices.remind_pet(pet_id=pet_id, start=start, end=end).records
    except FORM_ERRORS as exc:
        return render_template("notices/_reminded.html", pet_id=pet_id, message=exc.message, count=0), \
            exc.status_code
    return render_template("notices/_reminded.html", pet_id=pet_id, message=None, count=count)


# --- opt-outs (public: no sign-in) -----------------------------------------------------------------


@public.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """An email's unsubscribe link: GET asks (mail scanners follow links), POST records the opt-out."""
    try:
        customer = optout.unsubscribe(token=token) if request.method == "POST" else optout.customer_for_token(token)
    except NotFound:
        abort(404)
    return render_template("notices/unsubscribe.html", done=request.method == "POST" or
                           customer.email_opt_out_at is not None, token=token)


@public.post("/webhooks/sms/inbound")
@csrf.exempt
def inbound_sms():
    """Texts from households (the development provider, or a real one's adapter): STOP / START.

    The sender proves itself with the shared SMS_WEBHOOK_SECRET in X-Webhook-Secret; unset, the route is off.
    """
    secret = current_app.config.get("SMS_WEBHOOK_SECRET")
    if not secret:
        abort(404)
    if not hmac.compare_digest(request.headers.get("X-Webhook-Secret", ""), secret):
        abort(403)
    data = request.get_json(silent=True) or request.form
    sender, text = data.get("from"), data.get("body", data.get("text", ""))
    if not sender:
        return {"code": "validation_error", "errors": {"from": ["The sender's number is required."]}}, 422
    action = optout.inbound_sms(sender=str(sender), text=str(text))
    return {"action": action}, 200

