"""Small display helpers for templates."""
from datetime import date

from app.core import weights
from app.services.contact import format_phone
from app.tenancy import current_tenant_or_none


def age_of(birth_date: date | None, today: date | None = None) -> str:
    """A pet's age as staff say it: `3 yrs`, `7 mos`, `2 wks`."""
    if birth_date is None:
        return ""
    today = today or date.today()
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month - (today.day < birth_date.day)
    if months >= 24:
        return f"{months // 12} yrs"
    if months >= 1:
        return f"{months} mo{'s' if months > 1 else ''}"
    weeks = max(0, (today - birth_date).days // 7)
    return f"{weeks} wk{'s' if weeks != 1 else ''}"


def weight_unit() -> str:
    """The current tenant's weight unit, `kg` or `lb`."""
    tenant = current_tenant_or_none()
    return tenant.weight_unit if tenant is not None else weights.DEFAULT_UNIT


def weight_field() -> str:
    """The form field a weight is typed into: weight_kg or weight_lbs, by the tenant's unit."""
    return weights.FIELD_OF_UNIT[weight_unit()]


def weight_value(kg) -> str:
    """A stored weight as the tenant's form shows it (no unit; empty when none)."""
    value = weights.in_unit(kg, weight_unit())
    return "" if value is None else str(value)


def weight(kg) -> str:
    """A stored weight in the tenant's unit: `27.22 kg` or `60.0 lb` (empty when none)."""
    return weights.shown(kg, weight_unit())


def merged(stored: dict | None, form) -> dict:
    """Form values to show: what the user typed wins over what is stored."""
    values = dict(stored or {})
    for key in form or {}:
        # The last value wins, as in form parsing (a hidden `false` precedes its checkbox).
        values[key] = form.getlist(key)[-1] if hasattr(form, "getlist") else form.get(key)
    return values


def customer_form_values(c: dict | None) -> dict:
    """A cached customer detail as form inputs show it (formatted phones, comma-separated tags)."""
    if not c:
        return {"preferred_contact": "EMAIL"}
    values = {k: ("" if v is None else v) for k, v in c.items() if not isinstance(v, (list, dict))}
    for key in ("phone", "alt_phone", "emergency_phone"):
        values[key] = format_phone(c.get(key))
    values["tags"] = ", ".join(c.get("tag_names") or c.get("tags") or [])
    values["preferred_contact"] = str(c.get("preferred_contact") or "EMAIL")
    return values


# Enum values whose words are not just the value in title case.
LABELS = {"SMS": "SMS", "BOTH": "Email and SMS", "NONE": "Do not contact"}


def label(value) -> str:
    """An enum value as staff read it: `SMS`, `Email and SMS`, `In Service`."""
    text = str(value.value if hasattr(value, "value") else value)
    return LABELS.get(text, text.replace("_", " ").title())


def plural(count: int, word: str, many: str | None = None) -> str:
    """`1 pet`, `2 pets`, `0 pets` (many for irregular words)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def address_lines(c: dict) -> list[str]:
    """A customer's postal address as the lines that exist (street, second line, `City Region Postcode`)."""
    town = " ".join(p for p in (c.get("city"), c.get("region"), c.get("postal_code")) if p)
    return [line for line in (c.get("address_line1"), c.get("address_line2"), town) if line]
