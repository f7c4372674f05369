"""Kennels, bulk creation and status changes."""

import marshmallow as ma

from app.models import KennelSize, KennelStatus, KennelType
from app.schemas.common import QuerySchema, StrictSchema, decimal_places, decimal_range

CODE = ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$", error="Letters, digits and hyphens, at most 20.")
KENNEL_EXAMPLE = {"code": "A01", "name": "Run A01", "type": "RUN", "size": "L", "min_weight_kg": "20.0",
                  "max_weight_kg": "45.0", "capacity": 2, "location": "Barn A", "sort_order": 1}


_one_decimal = decimal_places(1)


def Weight(**kwargs) -> ma.fields.Decimal:  # noqa: N802  (reads like a field class)
    """A weight in kilograms, 0 to 9999.9, one decimal."""
    kwargs.setdefault("metadata", {}).setdefault("description", "Kilograms, 0 to 9999.9, one decimal.")
    return ma.fields.Decimal(as_string=True, allow_none=True,
                             validate=[decimal_range(0, "9999.9"), _one_decimal], **kwargs)


class KennelSchema(ma.Schema):
    """A kennel."""

    class Meta:
        ordered = True

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    code = ma.fields.String(metadata={"example": "A01"})
    name = ma.fields.String(metadata={"example": "Run A01"})
    type = ma.fields.Enum(KennelType, metadata={"example": "RUN"})
    size = ma.fields.Enum(KennelSize, metadata={"example": "L"})
    min_weight_kg = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "20.0"})
    max_weight_kg = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "45.0"})
    capacity = ma.fields.Integer(metadata={"example": 2, "description": "Pets of one household that may share it."})
    location = ma.fields.String(metadata={"example": "Barn A"})
    status = ma.fields.Enum(KennelStatus, metadata={"example": "IN_SERVICE"})
    status_note = ma.fields.String(metadata={"example": ""})
    status_changed_at = ma.fields.AwareDateTime(allow_none=True, dump_only=True)
    sort_order = ma.fields.Integer(metadata={"example": 1})
    active = ma.fields.Boolean(metadata={"example": True})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class KennelFields(StrictSchema):
    """Every writable kennel field, all optional (updates). Status changes go through /status."""

    code = ma.fields.String(validate=CODE, metadata={"example": "A01"})
    name = ma.fields.String(validate=ma.validate.Length(0, 120), metadata={"example": "Run A01"})
    type = ma.fields.Enum(KennelType, metadata={"example": "RUN"})
    size = ma.fields.Enum(KennelSize, metadata={"example": "L"})
    min_weight_kg = Weight(metadata={"example": "20.0"})
    max_weight_kg = Weight(metadata={"example": "45.0"})
    capacity = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 20), metadata={"example": 2})
    location = ma.fields.String(validate=ma.validate.Length(0, 120), metadata={"example": "Barn A"})
    sort_order = ma.fields.Integer(strict=True, validate=ma.validate.Range(-10_000, 100_000), metadata={"example": 1})
    active = ma.fields.Boolean(metadata={"example": True})


class KennelCreateSchema(KennelFields):
    """A new kennel."""

    code = ma.fields.String(required=True, validate=CODE, metadata={"example": "A01"})
    type = ma.fields.Enum(KennelType, required=True, metadata={"example": "RUN"})
    size = ma.fields.Enum(KennelSize, required=True, metadata={"example": "L"})


class KennelUpdateSchema(KennelFields):
    """Change any kennel field; send `If-Match`."""


class KennelBulkSchema(StrictSchema):
    """Create a numbered run of kennels, e.g. prefix A, 1 to 20 -> A01..A20."""

    prefix = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9-]{0,10}$",
                                                                         error="Letters, digits, hyphens; at most 10."),
                              metadata={"example": "A"})
    start = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(0, 9999), metadata={"example": 1})
    end = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(0, 9999), metadata={"example": 20})
    digits = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 4), metadata={
        "example": 2, "description": "Zero-padded width; defaults to the width of `end`, at least 2."})
    type = ma.fields.Enum(KennelType, required=True, metadata={"example": "RUN"})
    size = ma.fields.Enum(KennelSize, required=True, metadata={"example": "L"})
    min_weight_kg = Weight(metadata={"example": "20.0"})
    max_weight_kg = Weight(metadata={"example": "45.0"})
    capacity = ma.fields.Integer(strict=True, load_default=1, validate=ma.validate.Range(1, 20),
                                 metadata={"example": 2})
    location = ma.fields.String(load_default="", validate=ma.validate.Length(0, 120), metadata={"example": "Barn A"})


class KennelStatusChangeSchema(StrictSchema):
    """Flip a kennel between in service, cleaning and maintenance."""

    status = ma.fields.Enum(KennelStatus, required=True, metadata={"example": "MAINTENANCE"})
    note = ma.fields.String(load_default="", validate=ma.validate.Length(0, 500),
                            metadata={"example": "Gate latch sticks; maintenance booked for Tuesday."})


class KennelQuerySchema(QuerySchema):
    """Kennel list filters."""

    type = ma.fields.Enum(KennelType, metadata={"example": "RUN"})
    size = ma.fields.Enum(KennelSize, metadata={"example": "L"})
    status = ma.fields.Enum(KennelStatus, metadata={"example": "CLEANING"})
    location = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={"example": "Barn A"})
    active = ma.fields.Boolean(metadata={"example": True})
    q = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={"example": "A0",
                                                                        "description": "Code or name contains."})
