"""Schemas used by every resource."""
from decimal import Decimal

import marshmallow as ma


class ErrorSchema(ma.Schema):
    """The body of every API error; some errors add details of their own (e.g. `current_status`, `existing_id`)."""

    class Meta:
        unknown = ma.INCLUDE  # documented as additionalProperties: the details an error adds

    code = ma.fields.Integer(metadata={"example": 422, "description": "The HTTP status."})
    status = ma.fields.String(metadata={"example": "Unprocessable Entity"})
    message = ma.fields.String(metadata={"example": "Validation failed; see errors for each field."})
    errors = ma.fields.Dict(keys=ma.fields.String(), metadata={
        "example": {"email": ["Not a valid email address."]},
        "description": "Field name -> messages, flat whatever the field was read from (`_schema`: the whole "
                       "input); nested fields nest under their parent."})
    location = ma.fields.String(metadata={"example": "json", "description": "Where the fields in `errors` were "
                                          "read from when the request could not be parsed: json, query, files, headers."})
    required_scope = ma.fields.String(metadata={"description": "On a 403 for a key scope: the scope it lacks.",
                                                "example": "customers:read"})
    retry_after = ma.fields.Integer(metadata={"description": "On a 429: seconds until the bucket refills."})
    bucket = ma.fields.String(metadata={"description": "On a 429: `tenant` or `api_key`, the bucket that ran out."})
    tenant = ma.fields.String(metadata={"description": "On a 429: the resort whose budget ran out."})
    request_id = ma.fields.String(metadata={"example": "4f1c2a7e9b8d4e0f"})


def decimal_range(low, high, *, max_inclusive: bool = True):
    """Bounds for string-encoded decimals.

    marshmallow's Range would be published by apispec as string bounds ("100"), which makes the
    OpenAPI document invalid; a plain function validator is not published, so the bounds go in
    the field's description instead.
    """
    low, high = Decimal(str(low)), Decimal(str(high))

    def check(value: Decimal) -> None:
        if value < low or value > high or (not max_inclusive and value == high):
            upper = f"at most {high}" if max_inclusive else f"less than {high}"
            raise ma.ValidationError(f"Must be at least {low} and {upper}.")

    return check


def decimal_places(places: int):
    """At most `places` decimals (checked without quantize, which fails on huge values)."""

    def check(value: Decimal) -> None:
        if value.is_finite() and value.normalize().as_tuple().exponent < -places:
            raise ma.ValidationError(f"Use at most {places} decimal{'s' if places != 1 else ''}.")

    return check


def _unstorable(value) -> bool:
    """Text no database column can hold: NUL characters or lone UTF-16 surrogates."""
    return isinstance(value, str) and ("\x00" in value or any("\ud800" <= c <= "\udfff" for c in value))


class StrictSchema(ma.Schema):
    """Input schemas refuse unknown fields, so nothing a client sends is silently dropped."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _refuse_unstorable_text(self, data, **kwargs):
        # PostgreSQL rejects NUL in text and no driver can encode a lone surrogate: refuse it here
        # as a 422 naming the field, instead of failing at INSERT time.
        if isinstance(data, dict):
            bad = {key: ["Contains characters that cannot be stored (NUL or invalid Unicode)."]
                   for key, value in data.items()
                   if _unstorable(value) or (isinstance(value, list) and any(_unstorable(v) for v in value))}
            if bad:
                raise ma.ValidationError(bad)
        return data

    @ma.pre_load
    def _refuse_loose_json_types(self, data, **kwargs):
        # marshmallow reads 0, "yes" as booleans and "5" as an integer, which a form or query string needs;
        # a JSON body has real types, and the document promises them: there 0 for a boolean is a 422.
        if isinstance(data, dict) and not isinstance(self, QuerySchema) and _json_request():
            bad = {}
            for name, field in self.load_fields.items():
                value = data.get(field.data_key or name)
                if value is None:
                    continue
                if isinstance(field, ma.fields.Boolean) and not isinstance(value, bool):
                    bad[field.data_key or name] = ["Not a valid boolean: send true or false."]
                elif isinstance(field, ma.fields.Integer) and (isinstance(value, bool) or not isinstance(value, int)):
                    bad[field.data_key or name] = ["Not a valid integer."]
            if bad:
                raise ma.ValidationError(bad)
        return data


def _json_request() -> bool:
    """Is this a request whose body is JSON (the API), not a form post (the pages)?"""
    from flask import has_request_context, request

    return has_request_context() and request.is_json


class EmptySchema(StrictSchema):
    """An action with no body fields (`{}`)."""


class QuerySchema(StrictSchema):
    """Query-string filters: unknown parameters are refused (a typo is an error, not a silent no-op).

    `page`, `page_size` and the change feed's `updated_since`, `cursor` and `sort=updated_at` belong to
    the pagination decorator, which reads them itself (app/api/paging.py).
    """

    @ma.pre_load
    def _drop_paging(self, data, **kwargs):
        # webargs hands a proxy whose item access already yields lists for List fields.
        return {key: data[key] for key in data
                if key not in ("page", "page_size", "updated_since", "cursor")
                and not (key == "sort" and data[key] == "updated_at")}

