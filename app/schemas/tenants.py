"""Tenant schemas: operator view, and the tenant's own settings."""
import zoneinfo

import marshmallow as ma

from app.core.weights import UNITS
from app.models import Plan, TenantStatus
from app.schemas.common import StrictSchema, decimal_range

TIMEZONE_ERROR = "Unknown timezone; use an IANA name such as America/Denver."


class TenantSchema(ma.Schema):
    """A tenant as platform operators see it."""

    id = ma.fields.UUID(dump_only=True)
    subdomain = ma.fields.String(metadata={"example": "happy-paws"})
    name = ma.fields.String(metadata={"example": "Happy Paws Resort"})
    status = ma.fields.Enum(TenantStatus, metadata={"example": "ACTIVE"})
    plan = ma.fields.Enum(Plan, metadata={"example": "PRO"})
    timezone = ma.fields.String(metadata={"example": "America/Denver"})
    currency = ma.fields.String(metadata={"example": "USD"})
    tax_rate = ma.fields.Decimal(as_string=True, metadata={"example": "0.0825"})
    created_at = ma.fields.AwareDateTime(dump_only=True)


class TenantCreateSchema(StrictSchema):
    """Create a tenant."""

    subdomain = ma.fields.String(required=True, validate=ma.validate.Length(1, 63), metadata={"example": "happy-paws"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Happy Paws Resort"})
    plan = ma.fields.Enum(Plan, load_default=Plan.FREE, metadata={"example": "PRO"})
    timezone = ma.fields.String(load_default="UTC", validate=ma.validate.OneOf(sorted(zoneinfo.available_timezones()), error=TIMEZONE_ERROR),
                                metadata={"example": "America/Denver"})
    currency = ma.fields.String(load_default="USD", validate=ma.validate.Length(3, 3), metadata={"example": "USD"})
    tax_rate = ma.fields.Decimal(load_default="0", places=4, as_string=True, metadata={"example": "0.0825"})


class TenantChangeSchema(StrictSchema):
    """Pause, resume or cancel a tenant, change its plan or name."""

    status = ma.fields.Enum(TenantStatus, metadata={"example": "PAUSED"})
    plan = ma.fields.Enum(Plan, metadata={"example": "ENTERPRISE"})
    name = ma.fields.String(validate=ma.validate.Length(1, 200))


class TenantSettingsSchema(ma.Schema):
    """The current tenant's business settings."""

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    subdomain = ma.fields.String(dump_only=True, metadata={"example": "happy-paws"})
    plan = ma.fields.Enum(Plan, dump_only=True)
    name = ma.fields.String(validate=ma.validate.Length(1, 200), metadata={"example": "Happy Paws Resort"})
    address = ma.fields.String(validate=ma.validate.Length(0, 500), metadata={"example": "12 Kennel Lane, Denver CO"})
    phone = ma.fields.String(validate=ma.validate.Length(0, 40), metadata={"example": "+1 303 555 0100"})
    timezone = ma.fields.String(validate=ma.validate.OneOf(sorted(zoneinfo.available_timezones()), error=TIMEZONE_ERROR),
                                metadata={"example": "America/Denver"})
    currency = ma.fields.String(validate=ma.validate.Length(3, 3), metadata={"example": "USD"})
    tax_rate = ma.fields.Decimal(places=4, as_string=True, validate=decimal_range(0, 1, max_inclusive=False),
                                 metadata={"example": "0.0825"})
    vaccine_warning_days = ma.fields.Integer(validate=ma.validate.Range(0, 365), metadata={"example": 30})
    vaccine_reminder_days = ma.fields.Integer(validate=ma.validate.Range(0, 365), metadata={
        "example": 14, "description": "Days before a vaccine expires that the household is reminded (0: never)."})
    weight_unit = ma.fields.String(validate=ma.validate.OneOf(UNITS), metadata={
        "example": "lb", "description": "The unit pages show pet weights in and forms take (stored as kg)."})
    cors_origins = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 300)), metadata={
        "example": ["https://www.happypaws.example"],
        "description": "Browser origins (`https://host[:port]`, at most 20) whose pages may call this API (CORS). "
                       "The browser must call the resort's own host, `https://<subdomain>.<base domain>/api/v1/...`: "
                       "a preflight carries no `X-Tenant`."})


class TenantSettingsUpdateSchema(TenantSettingsSchema, StrictSchema):
    """PATCH body for the tenant's settings; every field optional."""
