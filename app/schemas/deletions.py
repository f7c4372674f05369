"""Tombstones: what the change feed says was deleted."""
import marshmallow as ma

from app.schemas.common import QuerySchema

# Each tombstone type (the list it was deleted from) and the role and key scope that list needs.
TYPE_ACCESS: dict[str, tuple[str, str]] = {
    "customers": ("STAFF", "customers:read"),
    "pets": ("STAFF", "pets:read"),
    "vaccinations": ("STAFF", "pets:read"),
    "reservations": ("STAFF", "reservations:read"),
    "invoices": ("STAFF", "billing:read"),
    "payments": ("STAFF", "billing:read"),
    "services": ("STAFF", "catalog:read"),
    "addons": ("STAFF", "catalog:read"),
    "price-rules": ("STAFF", "catalog:read"),
    "kennels": ("STAFF", "catalog:read"),
    "vaccine-requirements": ("STAFF", "catalog:read"),
    "users": ("ADMIN", "admin"),
    "api-keys": ("ADMIN", "admin"),
    "webhook-endpoints": ("ADMIN", "webhooks:manage"),
}


class DeletionSchema(ma.Schema):
    """One deleted row: which list it left, its id, and when."""

    id = ma.fields.UUID(dump_only=True)
    type = ma.fields.String(attribute="entity_type", dump_only=True, metadata={"example": "customers"})
    entity_id = ma.fields.UUID(dump_only=True, metadata={"description": "The id the row had in its list."})
    deleted_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "Same as deleted_at: the feed's order."})


class DeletionQuerySchema(QuerySchema):
    """Which tombstones to list."""

    type = ma.fields.String(validate=ma.validate.OneOf(sorted(TYPE_ACCESS)),
                            metadata={"description": "Only rows deleted from this list."})
