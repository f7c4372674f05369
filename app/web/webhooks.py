"""The Webhooks admin page: endpoints, their secrets (shown once), pings, the delivery log and redelivery."""
from flask import render_template, request

from app.auth import requires
from app.models import Role
from app.schemas.webhooks import EVENT_CHOICES, EndpointCreateSchema, EndpointUpdateSchema
from app.services import webhooks
from app.tenancy import current_tenant
from app.web.admin import local_time
from app.web.common import FORM_ERRORS, form_version, load_form, page_blueprint, render_form_error

bp = page_blueprint("webhook_pages", __name__, url_prefix="/admin/webhooks")
PAGE_SIZE = 50
DELIVERIES_PAGE_SIZE = 25
# The event checkboxes: every event first, then each type the app emits.
EVENT_OPTIONS = [(name, "Every event (*)" if name == webhooks.EVERY_EVENT else name) for name in EVENT_CHOICES]


def _context(**extra) -> dict:
    return {"event_options": EVENT_OPTIONS, "local_time": local_time, "zone": current_tenant().timezone, **extra}


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int))


def _row(endpoint, **extra) -> str:
    """One endpoint's table row with its last delivery attempt."""
    return render_template("webhooks/_row.html", endpoint=endpoint,
                           last=webhooks.last_attempts([endpoint.id]).get(endpoint.id), **_context(**extra))


@bp.get("")
@requires(Role.ADMIN)
def index():
    """Every endpoint with its events, state, failures and last delivery, and the form to add one."""
    page = _page()
    endpoints, total = webhooks.list_endpoints(page=page, page_size=PAGE_SIZE)
    return render_template("webhooks/index.html", endpoints=endpoints, total=total, page=page, page_size=PAGE_SIZE,
                           last=webhooks.last_attempts([e.id for e in endpoints]), errors={}, form={},
                           **_context())


@bp.post("")
@requires(Role.ADMIN)
def create():
    """Add an endpoint and show its signing secret, this once."""
    try:
        endpoint = webhooks.create_endpoint(**load_form(EndpointCreateSchema()))
    except FORM_ERRORS as exc:
        return render_form_error("webhooks/_form.html", exc, **_context())
    return render_template("webhooks/_created.html", endpoint=endpoint, secret=endpoint.shown_secret, last=None,
                           errors={}, form={}, **_context())


@bp.get("/<uuid:endpoint_id>/row")
@requires(Role.ADMIN)
def row(endpoint_id):
    """One endpoint's row (what an edit's Cancel puts back)."""
    return _row(webhooks.get_endpoint(endpoint_id=endpoint_id))


@bp.get("/<uuid:endpoint_id>/edit")
@requires(Role.ADMIN)
def edit(endpoint_id):
    """One endpoint's row as a form, carrying the version it was opened at."""
    return render_template("webhooks/_edit_row.html", endpoint=webhooks.get_endpoint(endpoint_id=endpoint_id),
                           errors={}, form={}, **_context())


@bp.post("/<uuid:endpoint_id>")
@requires(Role.ADMIN)
def update(endpoint_id):
    """Save URL, description, events and active; a form opened before someone else's save is refused (409)."""
    try:
        endpoint = webhooks.update_endpoint(endpoint_id=endpoint_id, expected_version=form_version(),
                                            **load_form(EndpointUpdateSchema(), partial=True))
    except FORM_ERRORS as exc:
        return render_form_error("webhooks/_edit_row.html", exc, endpoint=webhooks.get_endpoint(endpoint_id=endpoint_id),
                                 **_context())
    return _row(endpoint)


@bp.post("/<uuid:endpoint_id>/rotate-secret")
@requires(Role.ADMIN)
def rotate_secret(endpoint_id):
    """A new secret at once; shown in this response only."""
    endpoint = webhooks.rotate_secret(endpoint_id=endpoint_id)
    return _row(endpoint, secret=endpoint.shown_secret)


@bp.post("/<uuid:endpoint_id>/ping")
@requires(Role.ADMIN)
def ping(endpoint_id):
    """Send a `webhook.ping` to the endpoint; the row says how it went, with a link to the log."""
    message = webhooks.send_ping(endpoint_id=endpoint_id)
    return _row(webhooks.get_endpoint(endpoint_id=endpoint_id), pinged=message)


@bp.post("/<uuid:endpoint_id>/delete")
@requires(Role.ADMIN)
def delete(endpoint_id):
    """Delete an endpoint and its log (its row goes away)."""
    webhooks.delete_endpoint(endpoint_id=endpoint_id)
    return ""


@bp.get("/<uuid:endpoint_id>/deliveries")
@requires(Role.ADMIN)
def deliveries(endpoint_id):
    """The endpoint's deliveries, newest first, with every attempt's response code or error; paged."""
    page = _page()
    endpoint = webhooks.get_endpoint(endpoint_id=endpoint_id)
    items, total = webhooks.list_deliveries(endpoint_id=endpoint_id, page=page, page_size=DELIVERIES_PAGE_SIZE)
    return render_template("webhooks/deliveries.html", endpoint=endpoint, deliveries=items, total=total, page=page,
                           page_size=DELIVERIES_PAGE_SIZE, **_context())


@bp.post("/deliveries/<uuid:delivery_id>/redeliver")
@requires(Role.ADMIN)
def redeliver(delivery_id):
    """Send one delivery again (same event id); its row comes back with the new attempt."""
    try:
        webhooks.redeliver(message_id=delivery_id)
        error, status = None, 200
    except FORM_ERRORS as exc:  # in flight right now: the row says so
        error, status = exc.message, exc.status_code
    return render_template("webhooks/_delivery.html", d=webhooks.get_delivery(message_id=delivery_id),
                           redeliver_error=error, **_context()), status
