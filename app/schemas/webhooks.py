"""Webhook endpoints and their deliveries, as the API shows them."""
import marshmallow as ma

from app.models.mail import MessageState
from app.schemas.common import StrictSchema
from app.services.webhooks import EVENT_TYPES, EVERY_EVENT

EVENT_CHOICES = [EVERY_EVENT, *EVENT_TYPES]
ENDPOINT_EXAMPLE = {"url": "https://books.example.com/tailtown/webhooks", "description": "Accounting sync",
                    "event_types": ["invoice.issued", "payment.recorded", "refund.recorded"]}


class EndpointCreateSchema(StrictSchema):
    url = ma.fields.String(required=True, validate=ma.validate.Length(1, 254),
                           metadata={"example": ENDPOINT_EXAMPLE["url"]})
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    event_types = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(EVENT_CHOICES)), required=True,
                                 validate=ma.validate.Length(1, len(EVENT_CHOICES)),
                                 metadata={"description": f"Event types, or `{EVERY_EVENT}` for every event."})
    active = ma.fields.Boolean(load_default=True)


class EndpointUpdateSchema(StrictSchema):
    url = ma.fields.String(validate=ma.validate.Length(1, 254))
    description = ma.fields.String(validate=ma.validate.Length(max=200))
    event_types = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(EVENT_CHOICES)),
                                 validate=ma.validate.Length(1, len(EVENT_CHOICES)))
    active = ma.fields.Boolean(metadata={"description": "Turning an endpoint back on clears its failure count."})


class EndpointSchema(ma.Schema):
    """An endpoint; never its secret (shown once, at creation or rotation)."""

    id = ma.fields.UUID()
    version = ma.fields.Integer()
    url = ma.fields.String()
    description = ma.fields.String()
    event_types = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    consecutive_failures = ma.fields.Integer()
    disabled_reason = ma.fields.String(allow_none=True, metadata={"example": None})
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class EndpointWithSecretSchema(EndpointSchema):
    secret = ma.fields.String(attribute="shown_secret", metadata={
        "description": "Signs every delivery (see the integration guide). Shown only in this response.",
        "example": "whsec_3q2+7w..."})


class AttemptSchema(ma.Schema):
    attempted_at = ma.fields.AwareDateTime()
    status_code = ma.fields.Integer(allow_none=True, metadata={"example": 200})
    error = ma.fields.String(allow_none=True)
    duration_ms = ma.fields.Integer()


class DeliverySchema(ma.Schema):
    """One event sent to one endpoint: its state, and every attempt with its response code."""

    id = ma.fields.UUID(metadata={"description": "The delivery id (`Tailtown-Delivery-Id`)."})
    event_type = ma.fields.String(attribute="subject", metadata={"example": "payment.recorded"})
    event = ma.fields.Method("_event", metadata={"description": "The payload as sent."})
    state = ma.fields.Enum(MessageState, metadata={"example": "SENT"})
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.AwareDateTime()
    last_error = ma.fields.String(allow_none=True)
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    attempt_log = ma.fields.List(ma.fields.Nested(AttemptSchema))

    def _event(self, message) -> dict:
        import json

        return json.loads(message.body)
