"""Audit events and their filters."""
import marshmallow as ma

from app.schemas.common import QuerySchema


class AuditEventSchema(ma.Schema):
    """One audit event."""

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime()
    actor_type = ma.fields.String(metadata={"example": "user"})
    actor_id = ma.fields.UUID(allow_none=True)
    actor_name = ma.fields.String(metadata={"example": "Sam Rivera"})
    action = ma.fields.String(metadata={"example": "user.role_changed"})
    resource_type = ma.fields.String(metadata={"example": "user"})
    resource_id = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict(metadata={"example": {"role": {"old": "STAFF", "new": "MANAGER"}}})
    ip = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)
    request_id = ma.fields.String(allow_none=True)


class AuditQuerySchema(QuerySchema):
    """Filters for the audit trail."""

    action = ma.fields.String(metadata={"example": "user.role_changed"})
    resource_type = ma.fields.String(metadata={"example": "user"})
    resource_id = ma.fields.String()
    actor_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime()
    until = ma.fields.AwareDateTime()
