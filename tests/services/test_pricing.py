"""The quote engine, priced by hand and checked by properties: pure data in, a breakdown out."""
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from app.core.errors import RuleViolation
from app.models import AddOnUnit, AmountType, DepositKind, PriceUnit, RuleEffect, RuleKind
from app.models.catalog import WEEKDAYS
from app.services.pricing import (
    AddOnRequest,
    AddOnTerms,
    PetIn,
    RuleTerms,
    ServiceTerms,
    percent_of,
    price_quote,
    round_half_up,
    tax_on,
)

BOARDING = ServiceTerms(name="Boarding", category="BOARDING", price_cents=5000, price_unit=PriceUnit.PER_NIGHT,
                        needs_kennel=True, deposit_kind=DepositKind.PERCENT, deposit_percent_bp=2500)
CHRISTMAS = RuleTerms(name="Christmas", kind=RuleKind.DATE_WINDOW, effect=RuleEffect.SURCHARGE,
                      amount_type=AmountType.PERCENT, percent_bp=2000, valid_from=date(2026, 12, 20),
                      valid_to=date(2026, 12, 26), priority=10)
TWO_WEEKS = RuleTerms(name="Two weeks", kind=RuleKind.LENGTH_OF_STAY, effect=RuleEffect.DISCOUNT,
                      amount_type=AmountType.PERCENT, percent_bp=1000, min_nights=14, priority=20)
SECOND_PET = RuleTerms(name="Second pet", kind=RuleKind.ADDITIONAL_PET, effect=RuleEffect.DISCOUNT,
                       amount_type=AmountType.PERCENT, percent_bp=5000, from_pet=2, priority=30)
DOG = [PetIn("Biscuit")]
TAX = Decimal("0.0825")


def _quote(**kwargs):
    args = {"service": BOARDING, "pets": DOG, "start": date(2026, 12, 24), "end": date(2026, 12, 25),
            "rules": [CHRISTMAS, TWO_WEEKS, SECOND_PET], "tax_rate": TAX}
    return price_quote(**{**args, **kwargs})


# --- priced by hand -----------------------------------------------------------------------------


def test_one_night_inside_the_holiday_window_is_priced_by_hand():
    q = _quote()
    # 50.00 base + 20% Christmas surcharge = 60.00; tax 8.25% = 4.95; deposit 25% of 64.95 = 16.2375 -> 16.24
    assert [(line.date, line.base_cents, line.amount_cents) for line in q.stay_lines] == [
        (date(2026, 12, 24), 5000, 6000)]
    assert [(a.rule_name, a.amount_cents) for a in q.stay_lines[0].adjustments] == [("Christmas", 1000)]
    assert (q.subtotal_cents, q.surcharges_cents, q.discounts_cents) == (5000, 1000, 0)
    assert (q.taxable_cents, q.tax_cents, q.total_cents) == (6000, 495, 6495)
    assert (q.deposit_cents, q.balance_cents) == (1624, 4871)


def test_a_fourteen_night_stay_across_the_holiday_window_is_priced_by_hand():
    q = _quote(start=date(2026, 12, 18), end=date(2027, 1, 1))
    assert q.units == 14 and len(q.stay_lines) == 14
    # Dec 20..26 (7 nights): 5000 + 1000 surcharge = 6000, then 10% off = 5400.
    # The other 7 nights: 5000 - 500 = 4500. Stay: 7 * 5400 + 7 * 4500 = 69300.
    by_date = {line.date: line.amount_cents for line in q.stay_lines}
    assert by_date[date(2026, 12, 19)] == 4500 and by_date[date(2026, 12, 20)] == 5400
    assert by_date[date(2026, 12, 26)] == 5400 and by_date[date(2026, 12, 27)] == 4500
    assert sum(by_date.values()) == 69300
    assert (q.subtotal_cents, q.surcharges_cents, q.discounts_cents) == (70000, 7000, 7700)
    # Tax once on 69300: 5717.25 -> 5717. Total 75017. Deposit 25%: 18754.25 -> 18754.
    assert (q.tax_cents, q.total_cents, q.deposit_cents) == (5717, 75017, 18754)
    assert {(r.name, r.applications, r.amount_cents) for r in q.rule_totals} == {
        ("Christmas", 7, 7000), ("Two weeks", 14, -7700)}


def test_a_thirteen_night_stay_gets_no_long_stay_discount():
    q = _quote(start=date(2027, 1, 5), end=date(2027, 1, 18))
    assert q.units == 13 and q.discounts_cents == 0 and q.total_cents == 13 * 5000 + tax_on(13 * 5000, TAX)


def test_the_window_uses_the_stays_nights_and_the_departure_morning_is_not_a_night():
    q = _quote(start=date(2026, 12, 26), end=date(2026, 12, 28))
    assert [line.amount_cents for line in q.stay_lines] == [6000, 5000]  # Dec 26 in the window, Dec 27 not


def test_the_additional_pet_discount_applies_to_the_second_pet_only():
    pets = [PetIn("Biscuit", household="h1"), PetIn("Pepper", household="h1")]
    q = _quote(pets=pets, start=date(2027, 2, 1), end=date(2027, 2, 3))
    assert [(line.pet, line.amount_cents) for line in q.stay_lines] == [
        ("Biscuit", 5000), ("Biscuit", 5000), ("Pepper", 2500), ("Pepper", 2500)]
    assert [r.name for r in q.rule_totals] == ["Second pet"]


def test_the_additional_pet_discount_counts_pets_per_household():
    pets = [PetIn("Biscuit", household="smith"), PetIn("Rex", household="jones"), PetIn("Pepper", household="smith")]
    q = _quote(pets=pets, start=date(2027, 2, 1), end=date(2027, 2, 2))
    assert [(line.pet, line.amount_cents) for line in q.stay_lines] == [("Biscuit", 5000), ("Rex", 5000),
                                                                       ("Pepper", 2500)]


def test_surcharges_come_before_discounts_and_discounts_compound_in_priority_order():
    weekend = RuleTerms(name="Weekend", kind=RuleKind.DAY_OF_WEEK, effect=RuleEffect.SURCHARGE,
                        amount_type=AmountType.AMOUNT, amount_cents=500, days_of_week=frozenset({"SAT"}), priority=90)
    ten_off = RuleTerms(name="Ten off", kind=RuleKind.LENGTH_OF_STAY, effect=RuleEffect.DISCOUNT,
                        amount_type=AmountType.PERCENT, percent_bp=1000, min_nights=1, priority=1)
    q = _quote(start=date(2027, 1, 9), end=date(2027, 1, 10), rules=[SECOND_PET, ten_off, weekend])  # a Saturday
    line = q.stay_lines[0]
    # 5000 + 500 weekend = 5500; then 10% of 5500 = 550 off -> 4950 (the surcharge is discounted too).
    assert [(a.rule_name, a.amount_cents) for a in line.adjustments] == [("Weekend", 500), ("Ten off", -550)]
    assert line.amount_cents == 4950


def test_a_discount_never_takes_a_line_below_zero():
    big = RuleTerms(name="Big", kind=RuleKind.LENGTH_OF_STAY, effect=RuleEffect.DISCOUNT,
                    amount_type=AmountType.AMOUNT, amount_cents=9000, min_nights=1, priority=1)
    more = RuleTerms(name="More", kind=RuleKind.LENGTH_OF_STAY, effect=RuleEffect.DISCOUNT,
                     amount_type=AmountType.AMOUNT, amount_cents=100, min_nights=1, priority=2)
    q = _quote(start=date(2027, 3, 1), end=date(2027, 3, 2), rules=[big, more])
    assert [a.amount_cents for a in q.stay_lines[0].adjustments] == [-5000, 0]
    assert q.stay_lines[0].amount_cents == 0 and q.total_cents == 0 and q.deposit_cents == 0


def test_rules_scoped_to_another_category_or_service_do_not_apply():
    grooming_only = RuleTerms(name="Groom", kind=RuleKind.LENGTH_OF_STAY, effect=RuleEffect.DISCOUNT,
                              amount_type=AmountType.PERCENT, percent_bp=5000, min_nights=1,
                              categories=frozenset({"GROOMING"}))
    assert _quote(start=date(2027, 3, 1), end=date(2027, 3, 2), rules=[grooming_only]).discounts_cents == 0


def test_rules_outside_their_validity_do_not_apply():
    spring = RuleTerms(name="Spring", kind=RuleKind.LENGTH_OF_STAY, effect=RuleEffect.DISCOUNT,
                       amount_type=AmountType.PERCENT, percent_bp=1000, min_nights=1,
                       valid_from=date(2027, 3, 1), valid_to=date(2027, 5, 31))
    assert _quote(start=date(2027, 2, 27), end=date(2027, 2, 28), rules=[spring]).discounts_cents == 0
    assert _quote(start=date(2027, 3, 1), end=date(2027, 3, 2), rules=[spring]).discounts_cents == 500


def test_tax_applies_only_to_taxable_lines():
    untaxed_service = ServiceTerms(name="Boarding", category="BOARDING", price_cents=5000,
                                   price_unit=PriceUnit.PER_NIGHT, needs_kennel=True, taxable=False)
    bath = AddOnTerms(name="Bath", price_cents=2000, unit=AddOnUnit.PER_STAY, taxable=True)
    walk = AddOnTerms(name="Walk", price_cents=700, unit=AddOnUnit.PER_DAY, taxable=False)
    q = _quote(service=untaxed_service, rules=[], start=date(2027, 3, 1), end=date(2027, 3, 3),
               addons=[AddOnRequest(bath), AddOnRequest(walk, quantity=2)])
    assert [(line.name, line.units, line.amount_cents) for line in q.addon_lines] == [("Bath", 1, 2000),
                                                                                     ("Walk", 3, 4200)]
    assert q.taxable_cents == 2000 and q.tax_cents == 165  # 8.25% of 20.00
    assert q.total_cents == 10000 + 2000 + 4200 + 165


def test_rounding_is_half_up_to_the_cent_and_deterministic():
    assert round_half_up(4985, 10) == 499  # 498.5 -> 499 (banker's rounding would give 498)
    assert percent_of(4985, 1000) == 499 and percent_of(4984, 1000) == 498
    assert tax_on(1000, Decimal("0.0825")) == 83  # 82.5 -> 83
    assert tax_on(1030, Decimal("0.0825")) == 85  # 84.975 -> 85
    first = _quote(start=date(2026, 12, 18), end=date(2027, 1, 1), pets=[PetIn("A"), PetIn("B")])
    assert all(_quote(start=date(2026, 12, 18), end=date(2027, 1, 1), pets=[PetIn("A"), PetIn("B")]) == first
               for _ in range(5))


def test_per_day_and_flat_services_count_days_and_appointments():
    daycare = ServiceTerms(name="Daycare", category="DAYCARE", price_cents=3000, price_unit=PriceUnit.PER_DAY)
    groom = ServiceTerms(name="Groom", category="GROOMING", price_cents=6500, price_unit=PriceUnit.FLAT)
    assert price_quote(service=daycare, pets=DOG, start=date(2027, 3, 1), end=date(2027, 3, 5)).units == 5
    assert price_quote(service=daycare, pets=DOG, start=date(2027, 3, 1), end=None).total_cents == 3000
    q = price_quote(service=groom, pets=DOG, start=date(2027, 3, 1), end=None)
    assert (q.unit, q.units, q.total_cents) == ("appointment", 1, 6500)


def test_a_kennel_stay_without_nights_is_refused_naming_the_end_date():
    for end in (None, date(2026, 12, 24), date(2026, 12, 20)):
        with pytest.raises(RuleViolation) as caught:
            _quote(end=end)
        assert "end_date" in caught.value.errors


def test_pets_of_a_species_the_service_does_not_take_are_refused():
    dogs_only = ServiceTerms(name="Dog boarding", category="BOARDING", price_cents=5000,
                             price_unit=PriceUnit.PER_NIGHT, needs_kennel=True, allowed_species=("DOG",))
    with pytest.raises(RuleViolation) as caught:
        _quote(service=dogs_only, pets=[PetIn("Tom", species="CAT")])
    assert "Tom is a CAT" in caught.value.errors["pets"][0]


def test_an_add_on_for_other_services_is_refused():
    import uuid

    other = AddOnTerms(name="Nail trim", price_cents=1500, unit=AddOnUnit.PER_USE,
                       service_ids=frozenset({uuid.uuid4()}))
    with pytest.raises(RuleViolation) as caught:
        _quote(addons=[AddOnRequest(other)])
    assert "addons" in caught.value.errors


# --- add-on units follow the service's unit; every count is bounded -----------------------------

DAYCARE = ServiceTerms(name="Daycare", category="DAYCARE", price_cents=3000, price_unit=PriceUnit.PER_DAY)
GROOM = ServiceTerms(name="Groom", category="GROOMING", price_cents=6500, price_unit=PriceUnit.FLAT)


def _addon_units(service, unit, start, end):
    extra = AddOnTerms(name="Extra", price_cents=100, unit=unit)
    return price_quote(service=service, pets=DOG, start=start, end=end, addons=[AddOnRequest(extra)]).addon_lines[0]


def test_a_per_night_add_on_on_a_monday_to_friday_daycare_counts_five_days():
    line = _addon_units(DAYCARE, AddOnUnit.PER_NIGHT, date(2027, 3, 1), date(2027, 3, 5))
    assert (line.units, line.amount_cents) == (5, 500)


def test_a_per_night_add_on_on_a_single_daycare_day_counts_one():
    assert _addon_units(DAYCARE, AddOnUnit.PER_NIGHT, date(2027, 3, 1), None).units == 1


def test_per_day_and_per_night_add_ons_on_a_flat_service_count_one():
    package = ServiceTerms(name="Weekend package", category="BOARDING", price_cents=20000,
                           price_unit=PriceUnit.FLAT, needs_kennel=True)
    for unit in (AddOnUnit.PER_DAY, AddOnUnit.PER_NIGHT, AddOnUnit.PER_STAY):
        assert _addon_units(GROOM, unit, date(2027, 3, 1), None).units == 1, unit
        # even when the flat price covers several kennel nights
        assert _addon_units(package, unit, date(2027, 3, 5), date(2027, 3, 8)).units == 1, unit


def test_add_ons_on_a_four_night_stay_count_nights_and_calendar_days():
    start, end = date(2027, 3, 1), date(2027, 3, 5)
    assert _addon_units(BOARDING, AddOnUnit.PER_NIGHT, start, end).units == 4
    assert _addon_units(BOARDING, AddOnUnit.PER_DAY, start, end).units == 5
    assert _addon_units(BOARDING, AddOnUnit.PER_USE, start, end).units == 1


def test_a_flat_service_refuses_an_end_date_naming_the_field():
    for end in (date(2027, 3, 2), date(2037, 3, 1), date(2027, 2, 28)):
        with pytest.raises(RuleViolation) as caught:
            price_quote(service=GROOM, pets=DOG, start=date(2027, 3, 1), end=end)
        assert "end_date" in caught.value.errors, end


def test_a_flat_service_takes_its_own_start_date_as_the_end_date():
    assert price_quote(service=GROOM, pets=DOG, start=date(2027, 3, 1), end=date(2027, 3, 1)).total_cents == 6500


def test_a_stay_is_at_most_365_nights_or_days():
    start = date(2027, 1, 1)
    assert _quote(rules=[], start=start, end=start + timedelta(days=365)).units == 365
    assert price_quote(service=DAYCARE, pets=DOG, start=start, end=start + timedelta(days=364)).units == 365
    for service, days in ((BOARDING, 366), (DAYCARE, 365)):
        with pytest.raises(RuleViolation) as caught:
            price_quote(service=service, pets=DOG, start=start, end=start + timedelta(days=days))
        assert "At most 365" in caught.value.errors["end_date"][0]


def test_an_add_on_quantity_is_1_to_100():
    walk = AddOnTerms(name="Walk", price_cents=700, unit=AddOnUnit.PER_USE)
    assert _quote(addons=[AddOnRequest(walk, quantity=100)]).addon_lines[0].amount_cents == 70_000
    for quantity in (0, 101, 10_000):
        with pytest.raises(RuleViolation) as caught:
            _quote(addons=[AddOnRequest(walk, quantity=quantity)])
        assert "1 to 100" in caught.value.errors["addons"][0]


# --- percent surcharges never compound: a hand-written oracle -----------------------------------
#
# Stated from the documented rules, not from the engine: every PERCENT surcharge is that percent of
# the BASE price; PERCENT discounts then apply, one after another, to the running price; each
# percentage is rounded half up to the cent where it is applied; a discount never goes below zero.

def _surcharge(pct, priority, amount=None):
    return RuleTerms(name=f"S{priority}", kind=RuleKind.DATE_WINDOW, effect=RuleEffect.SURCHARGE,
                     amount_type=AmountType.AMOUNT if amount is not None else AmountType.PERCENT,
                     percent_bp=None if amount is not None else pct * 100, amount_cents=amount, priority=priority)


def _discount(pct, priority, amount=None):
    return RuleTerms(name=f"D{priority}", kind=RuleKind.DATE_WINDOW, effect=RuleEffect.DISCOUNT,
                     amount_type=AmountType.AMOUNT if amount is not None else AmountType.PERCENT,
                     percent_bp=None if amount is not None else pct * 100, amount_cents=amount, priority=priority)


ORACLE = [
    # (base, rules, expected net for one night) -- worked out by hand
    (10000, [_surcharge(10, 1), _surcharge(10, 2)], 12000),          # 100 + 10 + 10, not 100 * 1.1 * 1.1 = 121
    (10000, [_surcharge(50, 1), _surcharge(50, 2)], 20000),          # 100 + 50 + 50, not 225
    (10000, [_surcharge(10, 1), _surcharge(0, 2, amount=500), _surcharge(10, 3)], 12500),  # 100 + 10 + 5 + 10
    (10000, [_surcharge(20, 1), _discount(10, 2)], 10800),           # 120, then 10% of 120 = 12 -> 108
    (10000, [_discount(10, 1), _discount(10, 2)], 8100),             # discounts compound: 90, then 81
    (10000, [_surcharge(20, 9), _discount(50, 1)], 6000),            # surcharges first whatever the priority
    (999, [_surcharge(5, 1), _surcharge(5, 2)], 1099),               # 9.99 + 0.4995 -> 0.50 twice = 10.99
    (10000, [_discount(0, 1, amount=15000)], 0),                     # never below zero
]


@pytest.mark.parametrize("base,rule_list,expected", ORACLE)
def test_percent_surcharges_are_of_the_base_price_and_never_compound(base, rule_list, expected):
    service = ServiceTerms(name="Plain", category="BOARDING", price_cents=base, price_unit=PriceUnit.PER_NIGHT)
    q = price_quote(service=service, pets=DOG, start=date(2027, 3, 1), end=date(2027, 3, 2), rules=rule_list)
    assert q.stay_lines[0].amount_cents == expected


# --- properties ---------------------------------------------------------------------------------

services = st.builds(
    ServiceTerms, name=st.just("Service"), category=st.sampled_from(["BOARDING", "DAYCARE", "GROOMING"]),
    price_cents=st.integers(0, 50_000), price_unit=st.sampled_from(list(PriceUnit)), needs_kennel=st.booleans(),
    taxable=st.booleans(), deposit_kind=st.sampled_from(list(DepositKind)), deposit_percent_bp=st.integers(0, 10_000),
    deposit_cents=st.integers(0, 100_000))


@st.composite
def rules(draw):
    kind = draw(st.sampled_from(list(RuleKind)))
    amount_type = draw(st.sampled_from(list(AmountType)))
    start = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    return RuleTerms(
        id=draw(st.uuids()), name=draw(st.text("abcdef", min_size=1, max_size=4)), kind=kind,
        effect=draw(st.sampled_from(list(RuleEffect))),
        amount_type=amount_type, percent_bp=draw(st.integers(0, 10_000)) if amount_type == AmountType.PERCENT else None,
        amount_cents=draw(st.integers(0, 20_000)) if amount_type == AmountType.AMOUNT else None,
        min_nights=draw(st.integers(1, 20)), from_pet=draw(st.integers(2, 4)),
        days_of_week=frozenset(draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1))),
        categories=frozenset(draw(st.sets(st.sampled_from(["BOARDING", "DAYCARE", "GROOMING"])))),
        priority=draw(st.integers(0, 5)),
        valid_from=start if kind == RuleKind.DATE_WINDOW or draw(st.booleans()) else None,
        valid_to=start + timedelta(days=draw(st.integers(0, 60))) if kind == RuleKind.DATE_WINDOW else None)


addons = st.builds(AddOnRequest, addon=st.builds(AddOnTerms, name=st.just("Extra"), price_cents=st.integers(0, 10_000),
                                                 unit=st.sampled_from(list(AddOnUnit)),
                                                 taxable=st.booleans()),
                   quantity=st.integers(1, 5))
pets = st.lists(st.builds(PetIn, label=st.sampled_from(["A", "B", "C"]), household=st.sampled_from(["x", "y"])),
                min_size=1, max_size=4)
stays = st.tuples(st.dates(date(2026, 11, 1), date(2027, 2, 28)), st.integers(1, 21))
rates = st.decimals(min_value=0, max_value=Decimal("0.25"), places=4)


def _price(service, pet_list, stay, rule_list, addon_list, rate):
    start, nights = stay
    end = None if service.price_unit == PriceUnit.FLAT and not service.needs_kennel else start + timedelta(days=nights)
    return price_quote(service=service, pets=pet_list, start=start, end=end,
                       addons=addon_list, rules=rule_list, tax_rate=rate)


@settings(max_examples=300, deadline=None)
@given(services, pets, stays, st.lists(rules(), max_size=6), st.lists(addons, max_size=3), rates)
def test_the_total_is_the_sum_of_the_lines_plus_tax_and_never_negative(service, pet_list, stay, rule_list,
                                                                        addon_list, rate):
    q = _price(service, pet_list, stay, rule_list, addon_list, rate)
    assert q.total_cents == q.lines_cents + q.tax_cents
    assert q.total_cents == q.subtotal_cents + q.surcharges_cents - q.discounts_cents + q.tax_cents
    assert all(line.amount_cents >= 0 for line in (*q.stay_lines, *q.addon_lines))
    assert all(line.amount_cents == line.base_cents + sum(a.amount_cents for a in line.adjustments)
               for line in q.stay_lines)
    assert len(q.stay_lines) == len(pet_list) * q.units
    assert q.total_cents >= 0 and 0 <= q.deposit_cents <= q.total_cents
    assert q.balance_cents == q.total_cents - q.deposit_cents
    assert sum(r.amount_cents for r in q.rule_totals) == q.surcharges_cents - q.discounts_cents


@settings(max_examples=200, deadline=None)
@given(services, pets, stays, st.lists(rules(), max_size=6), st.lists(addons, max_size=3), rates)
def test_tax_is_charged_once_on_the_taxable_lines_only(service, pet_list, stay, rule_list, addon_list, rate):
    q = _price(service, pet_list, stay, rule_list, addon_list, rate)
    taxable = sum(line.amount_cents for line in (*q.stay_lines, *q.addon_lines) if line.taxable)
    assert q.taxable_cents == taxable
    assert q.tax_cents == tax_on(taxable, rate)
    if not service.taxable and not any(a.addon.taxable for a in addon_list):
        assert q.tax_cents == 0


@settings(max_examples=100, deadline=None)
@given(services, pets, stays, st.lists(rules(), max_size=6), st.lists(addons, max_size=3), rates, st.randoms())
def test_the_same_input_gives_the_same_quote_whatever_order_the_rules_come_in(service, pet_list, stay, rule_list,
                                                                             addon_list, rate, rnd: random.Random):
    first = _price(service, pet_list, stay, rule_list, addon_list, rate)
    shuffled = list(rule_list)
    rnd.shuffle(shuffled)
    again = _price(service, pet_list, stay, shuffled, addon_list, rate)
    assert (again.total_cents, again.stay_lines, again.tax_cents) == (first.total_cents, first.stay_lines,
                                                                       first.tax_cents)
