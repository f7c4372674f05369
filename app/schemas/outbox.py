"""Outbox messages, as the API lists them."""
import marshmallow as ma

from app.models.mail import Channel, MessageState
from app.schemas.common import QuerySchema


class OutboxMessageSchema(ma.Schema):
    """One message and its delivery state (no body: it may carry a link with a token until sent)."""

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime()
    channel = ma.fields.Enum(Channel, metadata={"example": "EMAIL"})
    kind = ma.fields.String(metadata={"example": "invitation"})
    recipient = ma.fields.String(metadata={"example": "sam@example.com"})
    subject = ma.fields.String(metadata={"example": "Set your Tailtown password"})
    state = ma.fields.Enum(MessageState, metadata={"example": "SENT"})
    attempts = ma.fields.Integer(metadata={"example": 1})
    next_attempt_at = ma.fields.AwareDateTime()
    last_error = ma.fields.String(allow_none=True, metadata={"example": "SMTP ConnectionRefusedError: ..."})
    provider = ma.fields.String(allow_none=True, metadata={"example": "smtp"})
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    customer_id = ma.fields.UUID(allow_none=True)


class OutboxQuerySchema(QuerySchema):
    """Filter the outbox by delivery state."""

    state = ma.fields.Enum(MessageState, metadata={"example": "DEAD"})


RETRIED_EXAMPLE = {
    "id": "9b2f8a4e-3c1d-4e5f-8a7b-6c5d4e3f2a1b", "created_at": "2026-03-01T09:30:00+00:00", "channel": "EMAIL",
    "kind": "booking_confirmation", "recipient": "ann@example.com", "subject": "Booking confirmed: Rex at Happy Paws",
    "state": "PENDING", "attempts": 0, "next_attempt_at": "2026-03-01T11:02:00+00:00",
    "last_error": "SMTP ConnectionRefusedError: [Errno 111] Connection refused", "provider": None, "sent_at": None,
    "customer_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
}
