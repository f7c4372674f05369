"""Message templates and expiring vaccinations, as the API reads and writes them."""
import marshmallow as ma

from app.models import Role
from app.models.mail import Channel
from app.schemas.common import QuerySchema, StrictSchema


class MessageTemplateSchema(ma.Schema):
    """The wording of one kind of message on one channel: the resort's own, or the default (version 0)."""

    id = ma.fields.String(metadata={"description": "`<kind>.<channel>`; the ETag is `\"<id>-<version>\"`.",
                                    "example": "booking_confirmation.EMAIL"})
    kind = ma.fields.String(metadata={"example": "booking_confirmation"})
    label = ma.fields.String(metadata={"example": "Booking confirmation"})
    channel = ma.fields.Enum(Channel, metadata={"example": "EMAIL"})
    subject = ma.fields.String(metadata={"description": "Empty for SMS.",
                                         "example": "Booking confirmed: {pet_names} at {resort_name}, {start_date}"})
    body = ma.fields.String(metadata={"example": "Hello {first_name},\n\nYour booking at {resort_name} is confirmed."})
    custom = ma.fields.Boolean(metadata={"description": "The resort's own wording (false: the default).",
                                         "example": True})
    version = ma.fields.Integer(metadata={"description": "0 while the default is in use.", "example": 2})
    placeholders = ma.fields.List(ma.fields.String(), metadata={"example": ["resort_name", "pet_names", "total"]})
    required = ma.fields.List(ma.fields.String(), metadata={
        "description": "Placeholders the body must keep (the link of a staff email).", "example": []})
    editable_by = ma.fields.Enum(Role, metadata={"description": "The least role that may change it (ADMIN for staff "
                                                                "account emails).", "example": "MANAGER"})


class MessageTemplateWriteSchema(StrictSchema):
    """A draft wording: `{placeholder}` fields by bare name only; `{{`/`}}` for a literal brace."""

    subject = ma.fields.String(load_default="", metadata={"description": "Ignored for SMS; at most 200 characters.",
                                                          "example": "See you soon, {first_name}!"})
    body = ma.fields.String(required=True, metadata={"description": "At most 10,000 characters.",
                                                     "example": "Total {total} for {pet_names}. {resort_name}"})


class TemplatePreviewSchema(ma.Schema):
    """A draft rendered with a sample booking (nothing is saved)."""

    subject = ma.fields.String(metadata={"example": "See you soon, Ann!"})
    body = ma.fields.String(metadata={"example": "Total $285.00 for Rex and Bella. Happy Paws Resort"})


TEMPLATE_EXAMPLE = {
    "id": "booking_confirmation.EMAIL", "kind": "booking_confirmation", "label": "Booking confirmation",
    "channel": "EMAIL", "subject": "See you soon, {first_name}!", "body": "Total {total} for {pet_names}. {resort_name}",
    "custom": True, "version": 2, "placeholders": ["resort_name", "first_name", "pet_names", "total"],
    "required": [], "editable_by": "MANAGER",
}


class WindowQuerySchema(QuerySchema):
    """A window of expiry dates (default: the last 30 days to the reminder or warning horizon)."""

    start = ma.fields.Date(metadata={"description": "First expiry date (default: 30 days ago, the resort's today).",
                                     "example": "2026-03-01"})
    end = ma.fields.Date(metadata={"description": "Last expiry date, inclusive (default: today plus the larger of "
                                                  "`vaccine_warning_days` and `vaccine_reminder_days`; at most 400 "
                                                  "days after `start`).", "example": "2026-04-15"})


class ExpiringVaccinationSchema(ma.Schema):
    """One current vaccination record (not renewed since) of an active pet that expires or expired in the window."""

    vaccination_id = ma.fields.UUID()
    vaccine = ma.fields.String(metadata={"example": "Rabies"})
    expires_on = ma.fields.Date(metadata={"example": "2026-03-20"})
    expired = ma.fields.Boolean(metadata={"description": "Already past (the resort's today).", "example": False})
    days_left = ma.fields.Integer(metadata={"description": "Negative once expired.", "example": 6})
    pet_id = ma.fields.UUID()
    pet_name = ma.fields.String(metadata={"example": "Rex"})
    customer_id = ma.fields.UUID()
    customer_name = ma.fields.String(metadata={"example": "Ann Smith"})


class ReminderRequestSchema(StrictSchema):
    """Which expiry dates to remind the household about (default: the list's window)."""

    start = ma.fields.Date(metadata={"example": "2026-03-01"})
    end = ma.fields.Date(metadata={"example": "2026-04-15"})


class ReminderSchema(ma.Schema):
    """What a remind queued: per record in the window, one message on each channel the household hears on."""

    pet_id = ma.fields.UUID()
    records = ma.fields.Integer(metadata={"description": "Vaccination records reminded about.", "example": 2})
    message_ids = ma.fields.List(ma.fields.UUID(), metadata={
        "description": "The outbox messages queued (`GET /api/v1/outbox-messages` shows their delivery)."})
    start = ma.fields.Date(metadata={"example": "2026-03-01"})
    end = ma.fields.Date(metadata={"example": "2026-04-15"})


REMINDER_EXAMPLE = {"pet_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "records": 2,
                    "message_ids": ["9b2f8a4e-3c1d-4e5f-8a7b-6c5d4e3f2a1b", "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"],
                    "start": "2026-03-01", "end": "2026-04-15"}
