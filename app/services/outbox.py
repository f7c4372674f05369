"""The outbox: messages written in the caller's transaction, delivered after its commit, exactly once
per message id, retried with exponential backoff and dead-lettered after OUTBOX_MAX_ATTEMPTS."""
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from loguru import logger
from sqlalchemy import and_, func, or_, select, update

from app import jobs
from app.core.errors import Conflict, NotFound, RuleViolation
from app.core.extensions import db
from app.core.pagination import paginate
from app.models import ContactMethod, Customer, OutboxMessage
from app.models.base import utcnow
from app.models.mail import SECRET_ERASED, SECRET_MARKER, Channel, MessageState
from app.services import audit
from app.tenancy import current_tenant, unscoped

DELIVER = "outbox.deliver"
SWEEP_BATCH = 500
OPTED_OUT = "The customer's preferred contact method is none: not sent."
UNSUBSCRIBED = {Channel.EMAIL: "The customer unsubscribed from email: not sent.",
                Channel.SMS: "The customer replied STOP to texts: not sent."}


def queue_message(*, channel: Channel, to: str, body: str, subject: str = "", kind: str = "notice",
                  secret: str | None = None, customer_id: uuid.UUID | None = None,
                  state: MessageState = MessageState.PENDING, last_error: str | None = None,
                  dedupe_key: str | None = None) -> OutboxMessage:
    """Add a message to the outbox in the current transaction; it is delivered once that commits."""
    if secret:
        body = body.replace(secret, SECRET_MARKER)
    message = OutboxMessage(id=uuid.uuid4(), channel=channel, recipient=to, subject=subject[:200], body=body,
                            secret=secret, kind=kind, customer_id=customer_id, state=state, last_error=last_error,
                            next_attempt_at=utcnow(), dedupe_key=dedupe_key)
    db.session.add(message)
    if state == MessageState.PENDING:
        jobs.after_commit(db.session, DELIVER, tenant_id=current_tenant().id, message_id=str(message.id))
    return message


def _with_unsubscribe(body: str, customer: Customer) -> str:
    from app.services.optout import unsubscribe_url

    return f"{body}\n\n--\nTo stop receiving these emails: {unsubscribe_url(customer.id)}"


def notify_customer(*, customer: Customer, kind: str, subject: str, body: str,
                    sms_body: str | None = None, dedupe_key: str | None = None) -> list[OutboxMessage]:
    """Queue a notice to a household by its preferred contact method; NONE or an opt-out is recorded, never sent.

    When the preferred channel has no address on file the other one is used, so a notice is not
    silently dropped because, say, a phone-only household prefers email. An opted-out channel is
    never swapped for another: someone who unsubscribed from email does not start getting texts.
    Every email carries its unsubscribe link; texts name STOP. dedupe_key (per channel) makes the
    notice once-only: a second one with the same key is refused by the unique constraint.
    """
    from app.services.optout import opted_out

    preference = ContactMethod(customer.preferred_contact)
    addresses = {Channel.EMAIL: customer.email, Channel.SMS: customer.phone}
    text = {Channel.EMAIL: _with_unsubscribe(body, customer),
            Channel.SMS: f"{sms_body or f'{subject}: {body}'} Reply STOP to opt out."}

    def key(channel: Channel) -> str | None:
        return f"{dedupe_key}:{channel.value}" if dedupe_key else None

    if preference == ContactMethod.NONE:
        channel = Channel.EMAIL if customer.email else Channel.SMS
        return [queue_message(channel=channel, to=addresses[channel] or "-", subject=subject, body=text[channel],
                              kind=kind, customer_id=customer.id, state=MessageState.SUPPRESSED,
                              last_error=OPTED_OUT, dedupe_key=key(channel))]
    wanted = {ContactMethod.EMAIL: [Channel.EMAIL], ContactMethod.SMS: [Channel.SMS],
              ContactMethod.BOTH: [Channel.EMAIL, Channel.SMS]}[preference]
    channels = [c for c in wanted if addresses[c]] or [c for c, address in addresses.items() if address][:1]
    if not channels:
        logger.info("customer {} has no email or phone: {} not queued", customer.id, kind)
    messages = []
    for c in channels:
        suppressed = opted_out(customer, c)
        messages.append(queue_message(
            channel=c, to=addresses[c], subject=subject, body=text[c], kind=kind, customer_id=customer.id,
            dedupe_key=key(c), state=MessageState.SUPPRESSED if suppressed else MessageState.PENDING,
            last_error=UNSUBSCRIBED[c] if suppressed else None))
    return messages


def retry_delay(attempt: int) -> float:
    """Seconds before attempt+1: OUTBOX_RETRY_BASE_SECONDS doubled per failed attempt, capped."""
    config = current_app.config
    return min(float(config["OUTBOX_RETRY_BASE_SECONDS"]) * 2 ** (attempt - 1), float(config["OUTBOX_RETRY_MAX_SECONDS"]))


def _due(now: datetime):
    """Undelivered and due: pending past its time, or claimed by a worker whose lease ran out (it crashed)."""
    return or_(and_(OutboxMessage.state == MessageState.PENDING, OutboxMessage.next_attempt_at <= now),
               and_(OutboxMessage.state == MessageState.SENDING, OutboxMessage.locked_until < now))


def _send(message: OutboxMessage) -> str:
    from app.services.mail import send_email
    from app.services.sms import send_sms
    from app.services.webhooks import send as send_webhook

    if message.channel == Channel.WEBHOOK:
        return send_webhook(message)
    return send_email(message) if message.channel == Channel.EMAIL else send_sms(message)


def deliver_message(*, message_id: uuid.UUID) -> MessageState | None:
    """Try to deliver one message of the current tenant; None when it is not due or another worker has it.

    The claim is one conditional UPDATE (due → SENDING with a lease), committed before anything is
    sent: of two workers handed the same id, exactly one gets the row. The result is recorded only
    while the claim still holds (same attempt number).
    """
    from app.services.mail import DEVELOPMENT, DeliveryError

    config = current_app.config
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, _due(now))
        .values(state=MessageState.SENDING, attempts=OutboxMessage.attempts + 1,
                locked_until=now + timedelta(seconds=float(config["OUTBOX_LEASE_SECONDS"])))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                                 .execution_options(populate_existing=True)).scalar_one()
    attempt = message.attempts
    db.session.commit()  # hold no transaction (or lock) while talking to the SMTP server
    try:
        provider = _send(message)
    except DeliveryError as exc:
        dead = attempt >= int(config["OUTBOX_MAX_ATTEMPTS"])
        delay = retry_delay(attempt)
        state = MessageState.DEAD if dead else MessageState.PENDING
        _record(message_id, attempt, state=state, last_error=str(exc)[:500], locked_until=None,
                next_attempt_at=utcnow() + timedelta(seconds=delay))
        if dead:
            logger.error("message {} dead after {} attempts: {}", message_id, attempt, exc)
        else:
            logger.warning("message {} attempt {} failed ({}); retrying in {:.0f} s", message_id, attempt, exc, delay)
            jobs.enqueue(DELIVER, tenant_id=current_tenant().id, delay=delay, message_id=str(message_id),
                         job_id=f"outbox-{message_id}-{attempt + 1}")
        return state
    values = {"state": MessageState.SENT, "sent_at": utcnow(), "locked_until": None, "last_error": None,
              "provider": provider}
    if provider != DEVELOPMENT:
        values["secret"] = None  # delivered: the token now lives only in the recipient's mailbox
    _record(message_id, attempt, **values)
    logger.info("message {} delivered by {} (attempt {})", message_id, provider, attempt)
    return MessageState.SENT


def _record(message_id: uuid.UUID, attempt: int, **values) -> None:
    db.session.execute(update(OutboxMessage)
                       .where(OutboxMessage.id == message_id, OutboxMessage.state == MessageState.SENDING,
                              OutboxMessage.attempts == attempt)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()


def sweep() -> int:
    """Enqueue every due undelivered message of every tenant (lost enqueues, crashed workers, Redis outages)."""
    with unscoped():  # the one cross-tenant read: ids only; each delivery runs in its own tenant's context
        rows = db.session.execute(select(OutboxMessage.id, OutboxMessage.tenant_id).where(_due(utcnow()))
                                  .order_by(OutboxMessage.next_attempt_at).limit(SWEEP_BATCH)).all()
    db.session.commit()
    for message_id, tenant_id in rows:
        jobs.enqueue(DELIVER, tenant_id=tenant_id, message_id=str(message_id))
    if rows:
        logger.info("outbox sweep enqueued {} messages", len(rows))
    return len(rows)


def get_message(*, message_id: uuid.UUID) -> OutboxMessage:
    """One message of the current tenant (404 for another tenant's, as for none)."""
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)).scalar_one_or_none()
    if message is None:
        raise NotFound("Message not found.")
    return message


def retry_message(*, message_id: uuid.UUID) -> OutboxMessage:
    """Give a dead letter a fresh set of attempts: back to PENDING, attempts 0, delivered after the commit (audited).

    Only a DEAD message is retried (409 otherwise: a pending one is already on its way, a sent one must not
    go twice), and the state change is one conditional UPDATE, so two clicks retry it once. A staff email
    whose link can no longer be used (expired, used, or erased) is refused: resending it would only annoy.
    """
    from app.services import accounts

    message = get_message(message_id=message_id)
    if message.state != MessageState.DEAD:
        raise Conflict(f"Only a dead letter can be retried; this message is {message.state.value}.",
                       errors={"state": [f"Is {message.state.value}, not DEAD."]})
    if SECRET_MARKER in message.body and (message.secret is None or not accounts.link_is_live(message.secret)):
        raise RuleViolation("The link in this message has expired or been used; send a new invitation or reset.",
                            errors={"message_id": ["Its link can no longer be used."]})
    attempts = message.attempts
    retried = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.state == MessageState.DEAD)
        .values(state=MessageState.PENDING, attempts=0, next_attempt_at=utcnow(), locked_until=None)
        .execution_options(synchronize_session=False)).rowcount
    if not retried:
        db.session.rollback()
        raise Conflict("Someone retried this message a moment ago.", errors={"state": ["No longer DEAD."]})
    audit.record("outbox_message.retried", "outbox_message", message_id,
                 changes={"state": {"old": "DEAD", "new": "PENDING"}, "attempts": {"old": attempts, "new": 0}})
    jobs.after_commit(db.session, DELIVER, tenant_id=current_tenant().id, message_id=str(message_id))
    db.session.commit()
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.id == message_id)
                              .execution_options(populate_existing=True)).scalar_one()


def _listing(state: MessageState | None):
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
    return query if state is None else query.where(OutboxMessage.state == state)


def list_messages(*, limit: int = 100, state: MessageState | None = None) -> list[OutboxMessage]:
    """The current tenant's most recent messages, newest first."""
    return list(db.session.execute(_listing(state).limit(limit)).scalars())


def page_messages(*, page: int, page_size: int, state: MessageState | None = None) -> tuple[list[OutboxMessage], int]:
    """One page of the current tenant's messages, newest first, and the total."""
    return paginate(_listing(state), page=page, page_size=page_size)


def shown_body(message: OutboxMessage) -> str:
    """The body as staff may see it: with its live link only where OUTBOX_SHOWS_LINKS (development)."""
    if current_app.config.get("OUTBOX_SHOWS_LINKS"):
        return message.rendered_body()
    return message.body.replace(SECRET_MARKER, "[link hidden]" if message.secret else SECRET_ERASED)


@dataclass(frozen=True)
class OutboxStats:
    """How far behind delivery is."""

    undelivered: int
    dead: int
    oldest_undelivered_at: datetime | None

    def oldest_age_seconds(self, now: datetime | None = None) -> int | None:
        if self.oldest_undelivered_at is None:
            return None
        return max(0, int(((now or utcnow()) - self.oldest_undelivered_at).total_seconds()))


def outbox_stats(*, every_tenant: bool = False) -> OutboxStats:
    """Undelivered and dead counts and the oldest undelivered message, for this tenant (or, for /readyz, all)."""
    undelivered = OutboxMessage.state.in_([MessageState.PENDING, MessageState.SENDING])
    query = select(func.count().filter(undelivered), func.count().filter(OutboxMessage.state == MessageState.DEAD),
                   func.min(OutboxMessage.created_at).filter(undelivered)).select_from(OutboxMessage)
    if every_tenant:
        with unscoped():
            row = db.session.execute(query).one()
    else:
        row = db.session.execute(query).one()
    oldest = row[2]
    if isinstance(oldest, str):  # SQLite returns min() of a datetime column as text
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return OutboxStats(undelivered=row[0] or 0, dead=row[1] or 0, oldest_undelivered_at=oldest)


def queue_overview() -> dict:
    """The job queue's mode and counts (RQ: queued, started, scheduled, failed), or its error."""
    from redis.exceptions import RedisError

    overview: dict = {"mode": jobs.mode()}
    if overview["mode"] == "rq":
        from app.jobs.queues import queue_stats

        try:
            overview.update(queue_stats())
        except (RedisError, OSError) as exc:
            overview["error"] = f"Redis unreachable ({type(exc).__name__})"
    return overview
