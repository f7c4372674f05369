"""Services, add-ons, price rules and quotes."""

import marshmallow as ma

from app.models import (
    AddOnUnit,
    AmountType,
    DepositKind,
    KennelType,
    PriceUnit,
    RuleEffect,
    RuleKind,
    ServiceCategory,
    Species,
)
from app.models.catalog import WEEKDAYS
from app.schemas.common import QuerySchema, StrictSchema, decimal_places, decimal_range

MAX_CENTS = 100_000_000  # one million in the currency's main unit: far above any real price


def Cents(**kwargs) -> ma.fields.Integer:  # noqa: N802  (reads like a field class)
    """Money in minor units (cents): a whole, non-negative number."""
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(0, MAX_CENTS), **kwargs)


def Percent(**kwargs) -> ma.fields.Decimal:  # noqa: N802
    """A percentage from 0 to 100 with at most two decimals, e.g. "12.50"."""
    kwargs.setdefault("metadata", {}).setdefault("description", "0 to 100, at most two decimals.")
    return ma.fields.Decimal(as_string=True, validate=[decimal_range(0, 100), _two_decimals], **kwargs)


_two_decimals = decimal_places(2)


SERVICE_EXAMPLE = {
    "name": "Overnight boarding - run", "category": "BOARDING", "description": "Indoor/outdoor run, two walks a day.",
    "price_cents": 4500, "price_unit": "PER_NIGHT", "needs_kennel": True, "kennel_types": ["RUN", "SUITE"],
    "allowed_species": ["DOG"], "taxable": True, "deposit_kind": "PERCENT", "deposit_percent": "25.00",
    "sort_order": 10,
}
ADDON_EXAMPLE = {"name": "Extra walk", "description": "A 20-minute one-to-one walk.", "price_cents": 800,
                 "unit": "PER_DAY", "taxable": True, "service_ids": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"]}
RULE_EXAMPLE = {"name": "Christmas peak", "kind": "DATE_WINDOW", "effect": "SURCHARGE", "amount_type": "PERCENT",
                "percent": "20.00", "categories": ["BOARDING"], "valid_from": "2026-12-20",
                "valid_to": "2027-01-02", "priority": 10}
QUOTE_EXAMPLE = {"service_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "start_date": "2026-12-23",
                 "end_date": "2026-12-27", "pets": [{"name": "Biscuit", "species": "DOG"},
                                                    {"name": "Pepper", "species": "DOG"}],
                 "addons": [{"addon_id": "9b2d7c1e-0a4f-4c55-8d0e-6f1a2b3c4d5e", "quantity": 1}]}


# --- services ---------------------------------------------------------------------------------


class ServiceSchema(ma.Schema):
    """A service on the price list."""

    class Meta:
        ordered = True

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    name = ma.fields.String(metadata={"example": "Overnight boarding - run"})
    category = ma.fields.Enum(ServiceCategory, metadata={"example": "BOARDING"})
    description = ma.fields.String(metadata={"example": "Indoor/outdoor run, two walks a day."})
    price_cents = ma.fields.Integer(metadata={"example": 4500, "description": "Base price in minor units (cents)."})
    price_unit = ma.fields.Enum(PriceUnit, metadata={"example": "PER_NIGHT"})
    duration_minutes = ma.fields.Integer(allow_none=True, metadata={"example": None})
    needs_kennel = ma.fields.Boolean(metadata={"example": True})
    kennel_types = ma.fields.List(ma.fields.String(), metadata={"example": ["RUN", "SUITE"]})
    allowed_species = ma.fields.List(ma.fields.String(), metadata={"example": ["DOG"]})
    taxable = ma.fields.Boolean(metadata={"example": True})
    deposit_kind = ma.fields.Enum(DepositKind, metadata={"example": "PERCENT"})
    deposit_percent = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "25.00"})
    deposit_cents = ma.fields.Integer(allow_none=True, metadata={"example": None})
    daily_capacity = ma.fields.Integer(allow_none=True, metadata={
        "example": None, "description": "Pets per day across all bookings; null: no daily limit."})
    active = ma.fields.Boolean(metadata={"example": True})
    sort_order = ma.fields.Integer(metadata={"example": 10})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class ServiceFields(StrictSchema):
    """Every writable service field, all optional (updates)."""

    name = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={"example": "Overnight boarding - run"})
    category = ma.fields.Enum(ServiceCategory, metadata={"example": "BOARDING"})
    description = ma.fields.String(validate=ma.validate.Length(0, 2000))
    price_cents = Cents(metadata={"example": 4500, "description": "Base price in minor units (cents), >= 0."})
    price_unit = ma.fields.Enum(PriceUnit, metadata={"example": "PER_NIGHT"})
    duration_minutes = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(1, 1440),
                                         metadata={"example": 90, "description": "Appointment length."})
    needs_kennel = ma.fields.Boolean(metadata={"example": True,
                                               "description": "Defaults to true for BOARDING."})
    kennel_types = ma.fields.List(ma.fields.Enum(KennelType), metadata={
        "example": ["RUN", "SUITE"], "description": "Kennel types this service may use; required when it needs a "
                                                   "kennel (defaults by category)."})
    allowed_species = ma.fields.List(ma.fields.Enum(Species), validate=ma.validate.Length(min=1),
                                     metadata={"example": ["DOG", "CAT"]})
    taxable = ma.fields.Boolean(metadata={"example": True})
    deposit_kind = ma.fields.Enum(DepositKind, metadata={"example": "PERCENT"})
    deposit_percent = Percent(allow_none=True, metadata={"example": "25.00", "description": "For PERCENT deposits."})
    deposit_cents = Cents(allow_none=True, metadata={"example": 5000, "description": "For FIXED deposits."})
    daily_capacity = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(1, 10_000), metadata={
        "example": 24, "description": "Pets per day across all bookings (daycare places, grooming slots); "
                                      "null: no daily limit."})
    active = ma.fields.Boolean(metadata={"example": True})
    sort_order = ma.fields.Integer(strict=True, validate=ma.validate.Range(-10_000, 10_000), metadata={"example": 10})


class ServiceCreateSchema(ServiceFields):
    """A new service."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120),
                            metadata={"example": "Overnight boarding - run"})
    category = ma.fields.Enum(ServiceCategory, required=True, metadata={"example": "BOARDING"})
    price_cents = Cents(required=True, metadata={"example": 4500, "description": "Minor units (cents), >= 0."})
    price_unit = ma.fields.Enum(PriceUnit, required=True, metadata={"example": "PER_NIGHT"})


class ServiceUpdateSchema(ServiceFields):
    """Change any service field; send `If-Match`."""


class ServiceQuerySchema(QuerySchema):
    """Service list filters."""

    category = ma.fields.Enum(ServiceCategory, metadata={"example": "BOARDING"})
    active = ma.fields.Boolean(metadata={"example": True})
    q = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={"example": "board",
                                                                        "description": "Name contains."})


# --- add-ons ----------------------------------------------------------------------------------


class AddOnSchema(ma.Schema):
    """An add-on."""

    class Meta:
        ordered = True

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    name = ma.fields.String(metadata={"example": "Extra walk"})
    description = ma.fields.String(metadata={"example": "A 20-minute one-to-one walk."})
    price_cents = ma.fields.Integer(metadata={"example": 800})
    unit = ma.fields.Enum(AddOnUnit, metadata={"example": "PER_DAY"})
    taxable = ma.fields.Boolean(metadata={"example": True})
    service_ids = ma.fields.List(ma.fields.UUID(), metadata={
        "example": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"],
        "description": "Services it may be added to; empty means any service."})
    active = ma.fields.Boolean(metadata={"example": True})
    sort_order = ma.fields.Integer(metadata={"example": 0})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class AddOnFields(StrictSchema):
    """Every writable add-on field, all optional (updates)."""

    name = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={"example": "Extra walk"})
    description = ma.fields.String(validate=ma.validate.Length(0, 2000))
    price_cents = Cents(metadata={"example": 800})
    unit = ma.fields.Enum(AddOnUnit, metadata={"example": "PER_DAY"})
    taxable = ma.fields.Boolean(metadata={"example": True})
    service_ids = ma.fields.List(ma.fields.UUID(), validate=ma.validate.Length(max=200), metadata={
        "example": ["3fa85f64-5717-4562-b3fc-2c963f66afa6"],
        "description": "Services it may be added to; empty means any service."})
    active = ma.fields.Boolean(metadata={"example": True})
    sort_order = ma.fields.Integer(strict=True, validate=ma.validate.Range(-10_000, 10_000), metadata={"example": 0})


class AddOnCreateSchema(AddOnFields):
    """A new add-on."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120), metadata={"example": "Extra walk"})
    price_cents = Cents(required=True, metadata={"example": 800})
    unit = ma.fields.Enum(AddOnUnit, required=True, metadata={"example": "PER_DAY"})


class AddOnUpdateSchema(AddOnFields):
    """Change any add-on field; send `If-Match`."""


class AddOnQuerySchema(QuerySchema):
    """Add-on list filters."""

    active = ma.fields.Boolean(metadata={"example": True})
    service_id = ma.fields.UUID(metadata={"description": "Only add-ons that may be added to this service."})


# --- price rules ------------------------------------------------------------------------------


class PriceRuleSchema(ma.Schema):
    """A price rule."""

    class Meta:
        ordered = True

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    name = ma.fields.String(metadata={"example": "Christmas peak"})
    kind = ma.fields.Enum(RuleKind, metadata={"example": "DATE_WINDOW"})
    effect = ma.fields.Enum(RuleEffect, metadata={"example": "SURCHARGE"})
    amount_type = ma.fields.Enum(AmountType, metadata={"example": "PERCENT"})
    percent = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "20.00"})
    amount_cents = ma.fields.Integer(allow_none=True, metadata={"example": None})
    min_nights = ma.fields.Integer(allow_none=True, metadata={"example": None})
    from_pet = ma.fields.Integer(allow_none=True, metadata={"example": None})
    days_of_week = ma.fields.List(ma.fields.String(), metadata={"example": []})
    categories = ma.fields.List(ma.fields.String(), metadata={"example": ["BOARDING"]})
    service_ids = ma.fields.List(ma.fields.UUID(), metadata={"example": []})
    priority = ma.fields.Integer(metadata={"example": 10})
    active = ma.fields.Boolean(metadata={"example": True})
    valid_from = ma.fields.Date(allow_none=True, metadata={"example": "2026-12-20"})
    valid_to = ma.fields.Date(allow_none=True, metadata={"example": "2027-01-02"})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class PriceRuleFields(StrictSchema):
    """Every writable price-rule field, all optional (updates)."""

    name = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={"example": "Christmas peak"})
    kind = ma.fields.Enum(RuleKind, metadata={"example": "DATE_WINDOW"})
    effect = ma.fields.Enum(RuleEffect, metadata={"example": "SURCHARGE"})
    amount_type = ma.fields.Enum(AmountType, metadata={"example": "PERCENT"})
    percent = Percent(allow_none=True, metadata={"example": "20.00", "description": "0-100, for PERCENT rules."})
    amount_cents = Cents(allow_none=True, metadata={"example": 500, "description": "Per affected unit, for AMOUNT."})
    min_nights = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(1, 366),
                                   metadata={"example": 7, "description": "LENGTH_OF_STAY: at least this many units."})
    from_pet = ma.fields.Integer(strict=True, allow_none=True, validate=ma.validate.Range(2, 20),
                                 metadata={"example": 2, "description": "ADDITIONAL_PET: 2 = second pet onwards."})
    days_of_week = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(WEEKDAYS)),
                                  metadata={"example": ["FRI", "SAT"], "description": "DAY_OF_WEEK: MON..SUN."})
    categories = ma.fields.List(ma.fields.Enum(ServiceCategory), metadata={"example": ["BOARDING"]})
    service_ids = ma.fields.List(ma.fields.UUID(), validate=ma.validate.Length(max=200), metadata={"example": []})
    priority = ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 10_000), metadata={"example": 10})
    active = ma.fields.Boolean(metadata={"example": True})
    valid_from = ma.fields.Date(allow_none=True, metadata={"example": "2026-12-20"})
    valid_to = ma.fields.Date(allow_none=True, metadata={"example": "2027-01-02"})


class PriceRuleCreateSchema(PriceRuleFields):
    """A new price rule."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120), metadata={"example": "Christmas peak"})
    kind = ma.fields.Enum(RuleKind, required=True, metadata={"example": "DATE_WINDOW"})
    effect = ma.fields.Enum(RuleEffect, required=True, metadata={"example": "SURCHARGE"})
    amount_type = ma.fields.Enum(AmountType, required=True, metadata={"example": "PERCENT"})


class PriceRuleUpdateSchema(PriceRuleFields):
    """Change any price-rule field; send `If-Match`."""


class PriceRuleQuerySchema(QuerySchema):
    """Price-rule list filters."""

    kind = ma.fields.Enum(RuleKind, metadata={"example": "DATE_WINDOW"})
    active = ma.fields.Boolean(metadata={"example": True})


# --- quotes -----------------------------------------------------------------------------------


class QuotePetSchema(StrictSchema):
    """A pet to price: a registered pet by `pet_id`, or a prospective one by name and species.

    Registered pets are grouped into households by their owner (for additional-pet rules);
    prospective pets of one quote count as one household.
    """

    pet_id = ma.fields.UUID(metadata={"example": "5d1e7c2a-3b4f-4e6a-9c8d-7e6f5a4b3c2d"})
    name = ma.fields.String(validate=ma.validate.Length(1, 60), metadata={"example": "Biscuit"})
    species = ma.fields.Enum(Species, metadata={"example": "DOG"})


class QuoteAddOnSchema(StrictSchema):
    """An add-on to price, with how many (uses, or pets it is for)."""

    addon_id = ma.fields.UUID(required=True, metadata={"example": "9b2d7c1e-0a4f-4c55-8d0e-6f1a2b3c4d5e"})
    quantity = ma.fields.Integer(strict=True, load_default=1, validate=ma.validate.Range(1, 100),
                                 metadata={"example": 1})


class QuoteRequestSchema(StrictSchema):
    """What to price."""

    service_id = ma.fields.UUID(required=True, metadata={"example": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})
    start_date = ma.fields.Date(required=True, metadata={"example": "2026-12-23"})
    end_date = ma.fields.Date(allow_none=True, metadata={
        "example": "2026-12-27", "description": "Departure date (nights end the morning of it); optional for "
                                                "FLAT and single-day services."})
    pets = ma.fields.List(ma.fields.Nested(QuotePetSchema), validate=ma.validate.Length(1, 20),
                          load_default=lambda: [{"species": Species.DOG}],
                          metadata={"example": [{"name": "Biscuit", "species": "DOG"}]})
    addons = ma.fields.List(ma.fields.Nested(QuoteAddOnSchema), validate=ma.validate.Length(max=50),
                            load_default=list, metadata={"example": QUOTE_EXAMPLE["addons"]})


class AdjustmentSchema(ma.Schema):
    """One rule applied to one line (negative for discounts)."""

    rule_id = ma.fields.UUID(allow_none=True)
    rule_name = ma.fields.String(metadata={"example": "Christmas peak"})
    kind = ma.fields.Enum(RuleKind)
    effect = ma.fields.Enum(RuleEffect)
    amount_cents = ma.fields.Integer(metadata={"example": 900})


class StayLineSchema(ma.Schema):
    """One pet, one night/day/appointment."""

    pet = ma.fields.String(metadata={"example": "Biscuit"})
    pet_number = ma.fields.Integer(metadata={"example": 1})
    date = ma.fields.Date(metadata={"example": "2026-12-23"})
    description = ma.fields.String(metadata={"example": "Overnight boarding - run, Biscuit, night of 2026-12-23"})
    base_cents = ma.fields.Integer(metadata={"example": 4500})
    adjustments = ma.fields.List(ma.fields.Nested(AdjustmentSchema))
    amount_cents = ma.fields.Integer(metadata={"example": 5400})
    taxable = ma.fields.Boolean()


class AddOnLineSchema(ma.Schema):
    """One add-on: unit price x units x quantity."""

    addon_id = ma.fields.UUID(allow_none=True)
    name = ma.fields.String(metadata={"example": "Extra walk"})
    unit = ma.fields.Enum(AddOnUnit)
    unit_price_cents = ma.fields.Integer(metadata={"example": 800})
    units = ma.fields.Integer(metadata={"example": 5})
    quantity = ma.fields.Integer(metadata={"example": 1})
    amount_cents = ma.fields.Integer(metadata={"example": 4000})
    taxable = ma.fields.Boolean()


class RuleTotalSchema(ma.Schema):
    """What one rule did to the whole quote."""

    rule_id = ma.fields.UUID(allow_none=True)
    name = ma.fields.String(metadata={"example": "Second dog"})
    kind = ma.fields.Enum(RuleKind)
    effect = ma.fields.Enum(RuleEffect)
    applications = ma.fields.Integer(metadata={"example": 4})
    amount_cents = ma.fields.Integer(metadata={"example": -1800})


class QuoteSchema(ma.Schema):
    """A priced breakdown; amounts in minor units of `currency`."""

    class Meta:
        ordered = True

    currency = ma.fields.String(metadata={"example": "USD"})
    service_id = ma.fields.UUID()
    service_name = ma.fields.String(metadata={"example": "Overnight boarding - run"})
    unit = ma.fields.String(metadata={"example": "night"})
    units = ma.fields.Integer(metadata={"example": 4})
    start_date = ma.fields.Date(metadata={"example": "2026-12-23"})
    end_date = ma.fields.Date(metadata={"example": "2026-12-27"})
    pets = ma.fields.Integer(metadata={"example": 2})
    stay_lines = ma.fields.List(ma.fields.Nested(StayLineSchema))
    addon_lines = ma.fields.List(ma.fields.Nested(AddOnLineSchema))
    rule_totals = ma.fields.List(ma.fields.Nested(RuleTotalSchema))
    subtotal_cents = ma.fields.Integer(metadata={"example": 40000, "description": "Base prices and add-ons."})
    surcharges_cents = ma.fields.Integer(metadata={"example": 3600})
    discounts_cents = ma.fields.Integer(metadata={"example": 1800})
    taxable_cents = ma.fields.Integer(metadata={"example": 41800})
    tax_rate = ma.fields.Decimal(as_string=True, metadata={"example": "0.0825"})
    tax_cents = ma.fields.Integer(metadata={"example": 3449})
    total_cents = ma.fields.Integer(metadata={"example": 45249})
    deposit_cents = ma.fields.Integer(metadata={"example": 11312})
    balance_cents = ma.fields.Integer(metadata={"example": 33937})
