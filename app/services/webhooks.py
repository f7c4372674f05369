"""Webhooks: endpoints, events written in the transaction of the change, signed delivery through the outbox.

An event is collected when the change is audited (audit.record), and turned into one outbox message
per subscribed endpoint just before the transaction commits: a rolled-back change sends nothing,
and a committed one is delivered by the outbox's worker, retries and sweep, like any message.
"""
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from urllib.parse import urlsplit

from flask import current_app
from loguru import logger
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session

from app import jobs
from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.core.pagination import paginate
from app.models import (
    Customer,
    Invoice,
    OutboxMessage,
    Payment,
    Pet,
    Refund,
    Reservation,
    Vaccination,
    WebhookAttempt,
    WebhookEndpoint,
)
from app.models.base import utcnow
from app.models.mail import Channel, MessageState
from app.services import audit
from app.services.rows import expect_version, one_or_404, refuse_stale
from app.tenancy import current_tenant

SIGNATURE_HEADER = "Tailtown-Signature"
EVENT_HEADER = "Tailtown-Event-Id"
DELIVERY_HEADER = "Tailtown-Delivery-Id"
EVERY_EVENT = "*"
# The audited changes integrators may subscribe to; the event type is the audit action.
EVENT_TYPES = (
    "customer.created", "customer.updated", "customer.deactivated", "customer.deleted", "customer.email_opt_out",
    "customer.sms_opt_out", "customer.sms_opt_in",
    "pet.created", "pet.updated", "pet.photo_changed", "pet.deleted",
    "vaccination.created", "vaccination.updated", "vaccination.document_attached", "vaccination.deleted",
    "reservation.created", "reservation.updated", "reservation.pet_moved", "reservation.confirmed",
    "reservation.checked_in", "reservation.checked_out", "reservation.cancelled", "reservation.no_show",
    "reservation.cancellation_settled",
    "invoice.created", "invoice.issued", "invoice.adjusted", "invoice.repriced", "invoice.check_out_charges",
    "invoice.voided",
    "payment.recorded", "refund.recorded",
    "webhook.ping",
)
MODELS = {"customer": Customer, "pet": Pet, "vaccination": Vaccination, "reservation": Reservation,
          "invoice": Invoice, "payment": Payment, "refund": Refund}
_PENDING = "tailtown_webhook_events"


def _jsonable(value):
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _row_data(resource_type: str, resource_id) -> dict:
    """The row's columns as they will be committed (never tenant_id: the envelope names the tenant)."""
    model = MODELS.get(resource_type)
    row = db.session.get(model, resource_id) if model is not None and resource_id is not None else None
    if row is None:  # deleted in this transaction
        return {"id": str(resource_id)}
    state = inspect(row)
    return {attr.key: _jsonable(state.dict[attr.key]) for attr in state.mapper.column_attrs
            if attr.key in state.dict and attr.key != "tenant_id"}


def collect(action: str, resource_type: str, resource_id, changes: dict | None) -> None:
    """Remember an audited change for the webhooks of this transaction (called by audit.record)."""
    if action in EVENT_TYPES and resource_type in MODELS:
        db.session.info.setdefault(_PENDING, []).append((action, resource_type, resource_id, changes))


@event.listens_for(Session, "before_commit")
def _queue_collected_events(session: Session) -> None:
    """Turn this transaction's events into outbox messages, in the same transaction."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    with session.no_autoflush:  # look first; flush only when something will be described
        endpoints = list(session.execute(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))).scalars())
    if not endpoints:
        return
    session.flush()  # every row complete (ids, versions, defaults) before it is described
    for action, resource_type, resource_id, changes in pending:
        data = _row_data(resource_type, resource_id)
        if changes:
            data["changes"] = json.loads(json.dumps(changes, default=_jsonable))
        _queue(endpoints, action, {"object": resource_type, **data})


@event.listens_for(Session, "after_rollback")
def _forget_collected_events(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _queue(endpoints: list[WebhookEndpoint], event_type: str, data: dict, *,
           subscribed_only: bool = True) -> list[OutboxMessage]:
    """One outbox message per endpoint subscribed to event_type; every copy carries the same event id."""
    tenant = current_tenant()
    envelope = {"id": f"evt_{uuid.uuid4().hex}", "type": event_type, "created_at": utcnow().isoformat(),
                "tenant": tenant.subdomain, "data": data}
    body = json.dumps(envelope, separators=(",", ":"), default=_jsonable)
    messages = []
    for endpoint in endpoints:
        if subscribed_only and EVERY_EVENT not in endpoint.event_types and event_type not in endpoint.event_types:
            continue
        message = OutboxMessage(id=uuid.uuid4(), channel=Channel.WEBHOOK, recipient=endpoint.url,
                                subject=event_type, body=body, kind="webhook", webhook_endpoint_id=endpoint.id,
                                state=MessageState.PENDING, next_attempt_at=utcnow())
        db.session.add(message)
        jobs.after_commit(db.session, "outbox.deliver", tenant_id=tenant.id, message_id=str(message.id))
        messages.append(message)
    return messages


# --- managing endpoints -----------------------------------------------------------------------------------


def _new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 254:
        raise RuleViolation("The URL must be an absolute http(s) URL of at most 254 characters.",
                            errors={"url": ["An absolute http(s) URL, at most 254 characters."]})
    if parts.scheme == "http" and not current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"):
        raise RuleViolation("Webhook URLs must use https.", errors={"url": ["Must use https."]})
    if parts.username or parts.password:
        raise RuleViolation("The URL must not carry credentials.", errors={"url": ["No user:password@ in the URL."]})
    return url


def _check_events(event_types) -> list[str]:
    chosen = sorted(set(event_types or ()))
    unknown = [e for e in chosen if e != EVERY_EVENT and e not in EVENT_TYPES]
    if not chosen or unknown:
        raise RuleViolation(f"Unknown event types: {', '.join(unknown)}." if unknown else "Name at least one event type.",
                            errors={"event_types": [f"Known types, or {EVERY_EVENT!r} for every event."]})
    return chosen


def create_endpoint(*, url: str, event_types, description: str = "", active: bool = True) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (readable on the returned row for this one response)."""
    endpoint = WebhookEndpoint(id=uuid.uuid4(), url=_check_url(url), event_types=_check_events(event_types),
                               description=description or "", active=active, secret=_new_secret())
    db.session.add(endpoint)
    audit.record("webhook_endpoint.created", "webhook_endpoint", endpoint.id,
                 changes={"url": endpoint.url, "event_types": endpoint.event_types})
    db.session.commit()
    endpoint.shown_secret = endpoint.secret
    return endpoint


def get_endpoint(*, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    return one_or_404(WebhookEndpoint, endpoint_id, "No such webhook endpoint.")


def list_endpoints(*, page: int, page_size: int) -> tuple[list[WebhookEndpoint], int]:
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    return paginate(query, page=page, page_size=page_size)


@refuse_stale
def update_endpoint(*, endpoint_id: uuid.UUID, expected_version: int | None = None, **fields) -> WebhookEndpoint:
    """Change URL, events, description or active; turning it on again clears its failure count."""
    endpoint = get_endpoint(endpoint_id=endpoint_id)
    expect_version(endpoint, expected_version)
    if "url" in fields:
        fields["url"] = _check_url(fields["url"])
    if "event_types" in fields:
        fields["event_types"] = _check_events(fields["event_types"])
    if fields.get("active") and not endpoint.active:
        fields.update(consecutive_failures=0, disabled_reason=None)
    old = audit.snapshot(endpoint, list(fields))
    for name, value in fields.items():
        setattr(endpoint, name, value)
    audit.record("webhook_endpoint.updated", "webhook_endpoint", endpoint.id, changes=audit.changes_of(old, fields))
    db.session.commit()
    return endpoint


def rotate_secret(*, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """A new secret at once (the old one stops signing); shown in this one response."""
    endpoint = get_endpoint(endpoint_id=endpoint_id)
    endpoint.secret = _new_secret()
    expect_version(endpoint, None)
    audit.record("webhook_endpoint.secret_rotated", "webhook_endpoint", endpoint.id)
    db.session.commit()
    endpoint.shown_secret = endpoint.secret
    return endpoint


def delete_endpoint(*, endpoint_id: uuid.UUID) -> None:
    """Delete an endpoint and its attempt log; its undelivered messages are dropped with it."""
    endpoint = get_endpoint(endpoint_id=endpoint_id)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.webhook_endpoint_id == endpoint.id,
                                                   OutboxMessage.state.in_([MessageState.PENDING, MessageState.SENDING]))
                       .values(state=MessageState.DEAD, last_error="The endpoint was deleted.")
                       .execution_options(synchronize_session=False))
    audit.record("webhook_endpoint.deleted", "webhook_endpoint", endpoint.id, changes={"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.commit()


def send_ping(*, endpoint_id: uuid.UUID) -> OutboxMessage:
    """Queue a `webhook.ping` event to this endpoint, whatever it subscribes to (to test the receiver)."""
    endpoint = get_endpoint(endpoint_id=endpoint_id)
    [message] = _queue([endpoint], "webhook.ping", {"object": "webhook_endpoint", "id": str(endpoint.id)},
                       subscribed_only=False)
    db.session.commit()
    return message


def last_attempts(endpoint_ids) -> dict:
    """Each endpoint's most recent delivery attempt (status code or error, and when), in one query."""
    if not endpoint_ids:
        return {}
    latest = (select(WebhookAttempt.endpoint_id, func.max(WebhookAttempt.attempted_at).label("at"))
              .where(WebhookAttempt.endpoint_id.in_(list(endpoint_ids))).group_by(WebhookAttempt.endpoint_id)
              .subquery())
    rows = db.session.execute(select(WebhookAttempt).join(latest, (WebhookAttempt.endpoint_id == latest.c.endpoint_id)
                                                          & (WebhookAttempt.attempted_at == latest.c.at))).scalars()
    return {attempt.endpoint_id: attempt for attempt in rows}


def list_deliveries(*, endpoint_id: uuid.UUID, page: int, page_size: int) -> tuple[list[OutboxMessage], int]:
    """The endpoint's deliveries, newest first, each with its attempts."""
    get_endpoint(endpoint_id=endpoint_id)
    query = (select(OutboxMessage).where(OutboxMessage.webhook_endpoint_id == endpoint_id)
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id))
    items, total = paginate(query, page=page, page_size=page_size)
    attempts: dict = {}
    if items:
        rows = db.session.execute(select(WebhookAttempt).where(WebhookAttempt.message_id.in_([m.id for m in items]))
                                  .order_by(WebhookAttempt.attempted_at)).scalars()
        for attempt in rows:
            attempts.setdefault(attempt.message_id, []).append(attempt)
    for message in items:
        message.attempt_log = attempts.get(message.id, [])
    return items, total


def get_delivery(*, message_id: uuid.UUID) -> OutboxMessage:
    """One webhook delivery with its attempts (`attempt_log`), oldest attempt first."""
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id,
                                                             OutboxMessage.channel == Channel.WEBHOOK)
                                 ).scalar_one_or_none()
    if message is None:
        raise NotFound("No such webhook delivery.")
    message.attempt_log = list(db.session.execute(select(WebhookAttempt).where(WebhookAttempt.message_id == message.id)
                                                  .order_by(WebhookAttempt.attempted_at)).scalars())
    return message


def redeliver(*, message_id: uuid.UUID) -> OutboxMessage:
    """Send a delivery again (a fresh round of attempts), whatever its state; the event id stays the same."""
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id,
                                                             OutboxMessage.channel == Channel.WEBHOOK)
                                 ).scalar_one_or_none()
    if message is None:
        raise NotFound("No such webhook delivery.")
    if message.state == MessageState.SENDING:
        raise RuleViolation("This delivery is being attempted right now.", errors={"delivery": ["In flight."]})
    message.state, message.attempts, message.next_attempt_at = MessageState.PENDING, 0, utcnow()
    message.last_error, message.locked_until = None, None
    audit.record("webhook_delivery.redelivered", "outbox_message", message.id)
    jobs.after_commit(db.session, "outbox.deliver", tenant_id=current_tenant().id, message_id=str(message.id))
    db.session.commit()
    message.attempt_log = []
    return message


# --- delivery --------------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: str) -> str:
    """The `Tailtown-Signature` value: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _refuse_private(url: str) -> None:
    """Refuse a host that resolves to a loopback, private, link-local or reserved address (unless allowed)."""
    from app.services.mail import DeliveryError

    if current_app.config.get("WEBHOOKS_ALLOW_PRIVATE"):
        return
    host = urlsplit(url).hostname or ""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise DeliveryError(f"Cannot resolve {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise DeliveryError(f"{host} resolves to a non-public address; refused.")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not instructions: a 3xx is recorded as a failure, never followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def send(message: OutboxMessage) -> str:
    """POST one webhook message to its endpoint; records the attempt; raises DeliveryError unless 2xx."""
    from app.services.mail import DeliveryError

    endpoint = db.session.execute(select(WebhookEndpoint).where(WebhookEndpoint.id == message.webhook_endpoint_id)
                                  ).scalar_one_or_none()
    db.session.commit()
    if endpoint is None or not endpoint.active:
        raise DeliveryError("The endpoint is disabled or deleted.")
    started, status, error = time.monotonic(), None, None
    try:
        _refuse_private(message.recipient)
        timestamp = int(time.time())
        request = urllib.request.Request(message.recipient, data=message.body.encode(), method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "Tailtown-Webhooks/1",
            SIGNATURE_HEADER: signature(endpoint.secret, timestamp, message.body),
            EVENT_HEADER: json.loads(message.body)["id"], DELIVERY_HEADER: str(message.id)})
        with _OPENER.open(request, timeout=float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 5))) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except DeliveryError as exc:
        error = str(exc)
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    ok = status is not None and 200 <= status < 300
    _record_attempt(endpoint, message, status, error, ok, int((time.monotonic() - started) * 1000))
    if not ok:
        raise DeliveryError(error or f"HTTP {status}")
    return "webhook"


def _record_attempt(endpoint: WebhookEndpoint, message: OutboxMessage, status, error, ok: bool, ms: int) -> None:
    """Log the attempt; count consecutive failures and switch the endpoint off after WEBHOOK_DISABLE_AFTER."""
    db.session.add(WebhookAttempt(message_id=message.id, endpoint_id=endpoint.id, status_code=status,
                                  error=error, duration_ms=ms))
    failures = 0 if ok else WebhookEndpoint.consecutive_failures + 1
    values = {"consecutive_failures": failures}
    db.session.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id).values(**values)
                       .execution_options(synchronize_session=False))
    limit = int(current_app.config.get("WEBHOOK_DISABLE_AFTER", 10))
    if not ok:
        disabled = db.session.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.active.is_(True),
                                          WebhookEndpoint.consecutive_failures >= limit)
            .values(active=False, disabled_reason=f"Switched off after {limit} failed deliveries in a row "
                                                  f"(last: {(error or f'HTTP {status}')[:120]}).")
            .execution_options(synchronize_session=False)).rowcount
        if disabled:
            logger.warning("webhook endpoint {} switched off after {} failures", endpoint.id, limit)
    db.session.commit()
