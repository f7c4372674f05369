"""Users, API keys and the authenticated principal."""
import marshmallow as ma

from app.models import Role
from app.schemas.common import StrictSchema


class UserSchema(ma.Schema):
    """A staff user."""

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    email = ma.fields.Email(metadata={"example": "sam@happypaws.example"})
    name = ma.fields.String(metadata={"example": "Sam Rivera"})
    role = ma.fields.Enum(Role, metadata={"example": "STAFF"})
    active = ma.fields.Boolean(metadata={"example": True})
    last_login_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class UserCreateSchema(StrictSchema):
    """Invite a user; they receive an email to set their password."""

    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254), metadata={"example": "sam@happypaws.example"})
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Sam Rivera"})
    role = ma.fields.Enum(Role, load_default=Role.STAFF, metadata={"example": "STAFF"})


class UserUpdateSchema(StrictSchema):
    """Change a user's name, role or active flag."""

    name = ma.fields.String(validate=ma.validate.Length(1, 200))
    role = ma.fields.Enum(Role, metadata={"example": "MANAGER"})
    active = ma.fields.Boolean(metadata={"example": False})


class ApiKeySchema(ma.Schema):
    """An API key; the secret itself is never returned after creation."""

    id = ma.fields.UUID(dump_only=True)
    name = ma.fields.String(metadata={"example": "Website booking widget"})
    prefix = ma.fields.String(dump_only=True, metadata={"example": "3f9a1c0b7d2e"})
    role = ma.fields.Enum(Role, metadata={"example": "STAFF"})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    last_used_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


class ApiKeyCreateSchema(StrictSchema):
    """Create a key with a role (its scope)."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100), metadata={"example": "Website booking widget"})
    role = ma.fields.Enum(Role, load_default=Role.STAFF, metadata={"example": "STAFF"})


class ApiKeyCreatedSchema(ApiKeySchema):
    """The one response that carries the secret."""

    secret = ma.fields.String(dump_only=True, metadata={"example": "tt_3f9a1c0b7d2e_Q2hhbmdlTWUuLi4"})


class PrincipalSchema(ma.Schema):
    """Who the API thinks you are."""

    kind = ma.fields.String(metadata={"example": "api_key"})
    id = ma.fields.UUID()
    name = ma.fields.String(metadata={"example": "Website booking widget"})
    role = ma.fields.Enum(Role)
    tenant = ma.fields.String(metadata={"example": "happy-paws"})
