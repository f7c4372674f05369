"""Opt-outs: a signed unsubscribe link in every customer email, STOP (and START) by text, recorded on the customer."""
import uuid

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from loguru import logger
from sqlalchemy import select

from app.core.errors import NotFound
from app.core.extensions import db
from app.models import Customer
from app.models.base import utcnow
from app.models.mail import Channel
from app.services import audit
from app.services.contact import normalize_phone
from app.tenancy import current_tenant, tenant_url

SALT = "tailtown-unsubscribe"
# The carrier keywords (CTIA): any of these as the whole text opts the number out, or back in.
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES", "OPTIN"})
SYSTEM = ("system", None, "customer (unsubscribe link)")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(customer_id: uuid.UUID) -> str:
    """A signed token naming this tenant and customer (no expiry: an old email's link must still work)."""
    return _serializer().dumps({"t": str(current_tenant().id), "c": str(customer_id)})


def unsubscribe_url(customer_id: uuid.UUID) -> str:
    """The absolute unsubscribe link for a customer, on the resort's own host."""
    return tenant_url(f"/unsubscribe/{unsubscribe_token(customer_id)}")


def customer_for_token(token: str) -> Customer:
    """The current tenant's customer a token names; 404 for a bad signature or another tenant's token."""
    try:
        data = _serializer().loads(token)
        tenant_id, customer_id = uuid.UUID(data["t"]), uuid.UUID(data["c"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("This unsubscribe link is not valid.") from None
    if tenant_id != current_tenant().id:
        raise NotFound("This unsubscribe link is not valid.")
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)).scalar_one_or_none()
    if customer is None:
        raise NotFound("This unsubscribe link is not valid.")
    return customer


def unsubscribe(*, token: str) -> Customer:
    """Record the email opt-out a link asks for (idempotent: the first time is kept)."""
    customer = customer_for_token(token)
    if customer.email_opt_out_at is None:
        customer.email_opt_out_at = utcnow()
        audit.record("customer.email_opt_out", "customer", customer.id, actor_override=SYSTEM)
        db.session.commit()
    return customer


def opted_out(customer: Customer, channel: Channel) -> bool:
    """True when the customer has opted out of this channel."""
    return (customer.email_opt_out_at if channel == Channel.EMAIL else customer.sms_opt_out_at) is not None


def inbound_sms(*, sender: str, text: str) -> str | None:
    """A text a household sent: STOP opts its number out, START back in; returns "stop", "start" or None."""
    word = "".join(ch for ch in (text or "").strip().upper() if ch.isalpha())
    action = "stop" if word in STOP_WORDS else "start" if word in START_WORDS else None
    if action is None:
        return None
    try:
        number = normalize_phone(sender)
    except ValueError:
        return None
    households = db.session.execute(select(Customer).where(Customer.phone == number)).scalars().all()
    for customer in households:
        customer.sms_opt_out_at = (customer.sms_opt_out_at or utcnow()) if action == "stop" else None
        audit.record(f"customer.sms_{'opt_out' if action == 'stop' else 'opt_in'}", "customer", customer.id,
                     actor_override=("system", None, "customer (SMS keyword)"))
    db.session.commit()
    logger.info("inbound SMS keyword {} for {} customer(s)", action, len(households))  # never the number
    return action
