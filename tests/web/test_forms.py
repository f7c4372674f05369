"""The one form parser every page uses: the API's schema, with what HTML forms can and cannot send."""
import marshmallow as ma
import pytest

from app.core.errors import RuleViolation
from app.web.common import load_form


class Sample(ma.Schema):
    """Strict like the API's input schemas: unknown fields refused, integers not coerced from text."""

    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 20))
    note = ma.fields.String()
    vet_phone = ma.fields.String(allow_none=True)
    price_cents = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 100_000))
    deposit_cents = ma.fields.Integer(strict=True, allow_none=True)
    sort_order = ma.fields.Integer(strict=True)
    tags = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()


MONEY = {"price": "price_cents", "deposit": "deposit_cents"}


class PricedSample(Sample):
    """A create schema: the price is required."""

    price_cents = ma.fields.Integer(strict=True, required=True)


def _load(app, form, schema=Sample, **kwargs):
    with app.test_request_context("/", method="POST", data=form):
        return load_form(schema(), **kwargs)


def test_amounts_typed_in_currency_units_become_cents(app):
    assert _load(app, {"name": "Bath", "price": "45.5", "deposit": "1,000"}, money=MONEY) == {
        "name": "Bath", "price_cents": 4550, "deposit_cents": 100_000}


def test_a_bad_amount_is_named_as_the_form_names_it_along_with_every_other_error(app):
    with pytest.raises(RuleViolation) as caught:
        _load(app, {"name": "", "price": "45.555", "sort_order": "x"}, money=MONEY)
    assert set(caught.value.errors) == {"price", "name", "sort_order"}
    assert "two decimals" in caught.value.errors["price"][0]


def test_an_amount_the_schema_refuses_is_named_as_the_form_names_it(app):
    with pytest.raises(RuleViolation) as caught:
        _load(app, {"name": "Bath", "price": "2000"}, money=MONEY)
    assert list(caught.value.errors) == ["price"]


def test_whole_numbers_reach_strict_integer_fields_as_ints(app):
    assert _load(app, {"name": "Bath", "sort_order": "-3"}) == {"name": "Bath", "sort_order": -3}


def test_blank_inputs_clear_text_null_nullables_and_leave_numbers_alone(app):
    form = {"name": "Bath", "note": "", "vet_phone": "", "deposit": " ", "price": "", "sort_order": ""}
    assert _load(app, form, money=MONEY) == {"name": "Bath", "note": "", "vet_phone": None, "deposit_cents": None}


def test_checkbox_groups_and_hidden_false_before_a_checkbox(app):
    form = {"name": "Bath", "tags": ["", "vip", "late"], "active": ["false", "true"]}
    assert _load(app, form) == {"name": "Bath", "tags": ["vip", "late"], "active": True}
    assert _load(app, {"name": "Bath", "tags": [""], "active": "false"}) == {"name": "Bath", "tags": [],
                                                                          "active": False}


def test_inputs_the_schema_does_not_know_are_not_fields(app):
    assert _load(app, {"name": "Bath", "csrf_token": "t", "updated_at": ""}) == {"name": "Bath"}


def test_a_bad_required_amount_says_what_to_type_rather_than_missing(app):
    with pytest.raises(RuleViolation) as caught:
        _load(app, {"name": "Bath", "price": "abc"}, PricedSample, money=MONEY)
    assert list(caught.value.errors) == ["price"] and "45.00" in caught.value.errors["price"][0]


def test_a_number_too_long_for_any_field_is_refused_not_converted(app):
    with pytest.raises(RuleViolation) as caught:
        _load(app, {"name": "Bath", "sort_order": "9" * 5000})
    assert list(caught.value.errors) == ["sort_order"]
