"""Users, API keys and the authenticated principal."""
import marshmallow as ma

from app import scopes as scope_names
from app.models import Role
from app.schemas.common import StrictSchema

SCOPES_DESCRIPTION = ("What the key may touch, on top of its role (a scope never widens a role; writing never "
                      "includes reading). `*` is every scope, `*:read` every read scope. Scopes: " +
                      "; ".join(f"`{name}`: {text}" for name, text in scope_names.SCOPES.items()))
SCOPE_CHOICES = [*scope_names.WILDCARDS, *scope_names.SCOPES]


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


def _scopes_field(**kwargs) -> ma.fields.List:
    return ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(SCOPE_CHOICES)), **kwargs,
                          metadata={"description": SCOPES_DESCRIPTION, "example": list(scope_names.BOOKING_WIDGET)})


RATE_LIMIT_DESCRIPTION = ("This key's own budget, requests per 15 minutes (the resort's plan budget applies on top). "
                          "Null: a share of the plan's budget (API_KEY_RATE_SHARE, half by default), so one busy "
                          "key never starves the others.")


class ApiKeySchema(ma.Schema):
    """An API key; the secret itself is never returned after creation."""

    id = ma.fields.UUID(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "When the row last changed (the change feed's order)."})
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    name = ma.fields.String(metadata={"example": "Website booking widget"})
    prefix = ma.fields.String(dump_only=True, metadata={"example": "3f9a1c0b7d2e"})
    role = ma.fields.Enum(Role, metadata={"example": "STAFF"})
    scopes = _scopes_field()
    expires_at = ma.fields.AwareDateTime(allow_none=True, metadata={
        "description": "From then on the key is refused with a 401 saying it expired. Null: never."})
    rate_limit = ma.fields.Integer(allow_none=True, metadata={"description": RATE_LIMIT_DESCRIPTION, "example": 200})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    last_used_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


class ApiKeyCreateSchema(StrictSchema):
    """Create a key with a role, and optionally scopes (default: every scope), an expiry and its own rate limit."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100), metadata={"example": "Website booking widget"})
    role = ma.fields.Enum(Role, load_default=Role.STAFF, metadata={"example": "STAFF"})
    scopes = _scopes_field(validate=ma.validate.Length(min=1))
    expires_at = ma.fields.AwareDateTime(allow_none=True, metadata={"example": "2027-06-30T00:00:00Z"})
    rate_limit = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 5_000),
                                   metadata={"description": RATE_LIMIT_DESCRIPTION, "example": 200})


class ApiKeyUpdateSchema(StrictSchema):
    """Rename a key or change its scopes, expiry or own rate limit (the role stays: make a new key for another)."""

    name = ma.fields.String(validate=ma.validate.Length(1, 100))
    scopes = _scopes_field(validate=ma.validate.Length(min=1))
    expires_at = ma.fields.AwareDateTime(allow_none=True, metadata={"example": "2027-06-30T00:00:00Z"})
    rate_limit = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(1, 5_000),
                                   metadata={"description": RATE_LIMIT_DESCRIPTION, "example": 200})


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
    scopes = ma.fields.List(ma.fields.String(), metadata={"description": "The key's scopes as stored (`*`: all)."})
    expires_at = ma.fields.AwareDateTime(allow_none=True)
    rate_limit = ma.fields.String(allow_none=True, metadata={
        "description": "This key's own bucket, e.g. `500 per 15 minutes`.", "example": "500 per 15 minutes"})
