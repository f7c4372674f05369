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


class QuerySchema(StrictSchema):
    """Query-string filters: unknown parameters are refused (a typo is an error, not a silent no-op).

    `page` and `page_size` belong to the pagination decorator, which reads them itself.
    """

    @ma.pre_load
    def _drop_paging(self, data, **kwargs):
        # webargs hands a proxy whose item access already yields lists for List fields.
        return {key: data[key] for key in data if key not in ("page", "page_size")}


def to_plain(obj, schema: ma.Schema):
    """A plain-Python copy of obj holding exactly the schema's fields (picklable, for the cache).

    Values keep their Python types (UUID, date, enums) so the schema dumps the copy exactly as it
    would dump the object.
    """
    if obj is None:
        return None
    if isinstance(obj, (list, tuple)):
        return [to_plain(o, schema) for o in obj]
    plain = {}
    for name, field in schema.fields.items():
        if field.load_only:
            continue
        key = field.attribute or name
        value = obj.get(key) if isinstance(obj, dict) else getattr(obj, key)
        if isinstance(field, ma.fields.Nested):
            nested = field.schema
            value = to_plain(list(value) if field.many else value, nested)
        elif isinstance(field, ma.fields.List) and isinstance(field.inner, ma.fields.Nested):
            value = [to_plain(v, field.inner.schema) for v in value]
        elif isinstance(value, (list, dict)):
            value = type(value)(value)
        plain[key] = value
    return plain
