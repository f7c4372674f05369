"""Schemas used by every resource."""
import marshmallow as ma


class ErrorSchema(ma.Schema):
    """The body of every API error."""

    code = ma.fields.Integer(metadata={"example": 404})
    status = ma.fields.String(metadata={"example": "Not Found"})
    message = ma.fields.String(metadata={"example": "User not found."})
    errors = ma.fields.Dict(metadata={"example": {"email": ["Not a valid email address."]}})
    request_id = ma.fields.String(metadata={"example": "4f1c2a7e9b8d4e0f"})


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields, so nothing a client sends is silently dropped."""

    class Meta:
        unknown = ma.RAISE
