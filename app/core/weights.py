"""Pet weights: stored in kilograms, shown and typed in the tenant's unit (kg or lb)."""
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

LB_IN_KG = Decimal("0.45359237")  # exact, by the 1959 international agreement
UNITS = ("kg", "lb")
DEFAULT_UNIT = "lb"  # what every weight entered before the setting existed meant (US resorts)
KG_PLACES = Decimal("0.01")  # the stored precision
# 0.01 kg is 0.022 lb, so a pound figure worked out from kilograms is good to one decimal only.
LB_PLACES = Decimal("0.1")
# The range the pounds column allowed (0 < w < 1000 lb), in kilograms: at most 453.59 kg.
MAX_KG = Decimal(1000) * LB_IN_KG
FIELD_OF_UNIT = {"kg": "weight_kg", "lb": "weight_lbs"}
UNIT_OF_FIELD = {field: unit for unit, field in FIELD_OF_UNIT.items()}
EXAMPLE = {"kg": "19.5", "lb": "42.5"}
NOUN = {"kg": "kilograms", "lb": "pounds"}


def lb_to_kg(lbs: Decimal) -> Decimal:
    """Pounds to stored kilograms, rounded half-even to 0.01 kg."""
    return (Decimal(lbs) * LB_IN_KG).quantize(KG_PLACES, rounding=ROUND_HALF_EVEN)


def kg_to_lb(kg: Decimal | None) -> Decimal | None:
    """Stored kilograms as pounds to 0.1 lb (None stays None)."""
    if kg is None:
        return None
    return (Decimal(kg) / LB_IN_KG).quantize(LB_PLACES, rounding=ROUND_HALF_EVEN)


def in_unit(kg: Decimal | None, unit: str) -> Decimal | None:
    """A stored weight in the given unit, as forms and pages show it."""
    if kg is None:
        return None
    return Decimal(kg) if unit == "kg" else kg_to_lb(kg)


def shown(kg: Decimal | None, unit: str) -> str:
    """`27.22 kg` or `60.0 lb`; empty when no weight is recorded."""
    value = in_unit(kg, unit)
    return "" if value is None else f"{value} {unit}"


def parse_kg(raw, unit: str) -> tuple[Decimal | None, str | None]:
    """(kilograms, None) from a value typed in `unit`, or (None, the problem) when it cannot be a pet's weight."""
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        return None, f"Must be a number of {NOUN[unit]}, e.g. {EXAMPLE[unit]}."
    if not Decimal(0) < value < (MAX_KG if unit == "kg" else Decimal(1000)):
        return None, ("Must be more than 0 and less than 1000 lbs." if unit == "lb"
                      else "Must be more than 0 and less than 453.6 kg (1000 lb).")
    kg = value.quantize(KG_PLACES, rounding=ROUND_HALF_EVEN) if unit == "kg" else lb_to_kg(value)
    if kg <= 0:
        return None, "Too light to record: the smallest weight kept is 0.01 kg."
    return kg, None
