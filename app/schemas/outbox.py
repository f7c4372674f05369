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
