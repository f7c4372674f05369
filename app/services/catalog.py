"""The price list: services, add-ons and price rules (managers edit, everyone reads).

Prices are never computed here: see app/services/pricing.py.
"""
import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_

from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.models import (
    AddOn,
    AddOnService,
    AddOnUnit,
    AmountType,
    DepositKind,
    KennelType,
    PriceRule,
    PriceRuleService,
    PriceUnit,
    RuleEffect,
    RuleKind,
    Service,
    ServiceCategory,
    Species,
)
from app.models.catalog import WEEKDAYS
from app.services import audit
from app.services.rows import (
    apply_changes,
    expect_version,
    flush_unique,
    one_or_404,
    refuse_stale,
    remove_or_deactivate,
    run_list,
    values,
)

# Kennel types a new service may use when the manager does not say.
DEFAULT_KENNEL_TYPES = {
    ServiceCategory.BOARDING: [KennelType.RUN, KennelType.SUITE, KennelType.LUXURY_SUITE, KennelType.CAT_CONDO],
    ServiceCategory.DAYCARE: [KennelType.PLAY_YARD],
    ServiceCategory.GROOMING: [KennelType.GROOMING_TABLE],
    ServiceCategory.TRAINING: [],
}
SERVICE_FIELDS = ["name", "category", "description", "price_cents", "price_unit", "duration_minutes", "needs_kennel",
                  "kennel_types", "allowed_species", "taxable", "deposit_kind", "deposit_percent", "deposit_cents",
                  "daily_capacity", "active", "sort_order"]
ADDON_FIELDS = ["name", "description", "price_cents", "unit", "taxable", "active", "sort_order"]
RULE_FIELDS = ["name", "kind", "effect", "amount_type", "percent", "amount_cents", "min_nights", "from_pet",
               "days_of_week", "categories", "priority", "active", "valid_from", "valid_to"]


def _existing_service_ids(ids: Iterable[uuid.UUID], field: str = "service_ids") -> list[uuid.UUID]:
    """The given ids, all of them services of this tenant; otherwise 404 naming the field."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = set(db.session.execute(db.select(Service.id).where(Service.id.in_(wanted))).scalars())
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise NotFound("Service not found.", errors={field: [f"No such service {i}." for i in missing]})
    return wanted


def _is_percent(f: dict, name: str) -> bool:
    """True (and f[name] made a Decimal) when f[name] is 0..100 with at most two decimals."""
    try:
        value = Decimal(str(f[name]))
    except InvalidOperation:
        return False
    f[name] = value
    return value.is_finite() and 0 <= value <= 100 and value == value.quantize(Decimal("0.01"))


# --- services ---------------------------------------------------------------------------------


def list_services(*, category: ServiceCategory | None = None, active: bool | None = None, q: str | None = None,
                  page: int | None = None, page_size: int | None = None) -> tuple[list[Service], int]:
    """The current tenant's services in display order, filtered (one page, or all when page is None)."""
    stmt = db.select(Service).order_by(Service.sort_order, Service.name, Service.id)
    if category is not None:
        stmt = stmt.where(Service.category == category)
    if active is not None:
        stmt = stmt.where(Service.active.is_(active))
    if q:
        stmt = stmt.where(Service.name.icontains(q, autoescape=True))
    return run_list(stmt, page=page, page_size=page_size)


def get_service(*, service_id: uuid.UUID) -> Service:
    """One service of the current tenant."""
    return one_or_404(Service, service_id, "Service not found.")


def _check_service(f: dict) -> dict:
    """Validate a service's complete field set; normalise lists and the deposit fields."""
    errors: dict[str, list[str]] = {}
    f["name"] = (f.get("name") or "").strip()
    if not f["name"]:
        errors["name"] = ["Must not be empty."]
    if not isinstance(f.get("price_cents"), int) or f["price_cents"] < 0:
        errors["price_cents"] = ["Must be a whole number of cents, 0 or more."]
    if f.get("daily_capacity") is not None and f["daily_capacity"] < 1:
        errors["daily_capacity"] = ["Must be at least 1 (or empty for no daily limit)."]
    if f.get("duration_minutes") is not None and f["duration_minutes"] < 1:
        errors["duration_minutes"] = ["Must be at least 1 minute."]
    f["category"], f["price_unit"] = ServiceCategory(f["category"]), PriceUnit(f["price_unit"])
    f["kennel_types"] = values(f.get("kennel_types"))
    f["allowed_species"] = values(f.get("allowed_species"))
    for name, enum_cls in (("kennel_types", KennelType), ("allowed_species", Species)):
        unknown = sorted(set(f[name]) - {m.value for m in enum_cls})
        if unknown:
            errors[name] = [f"Unknown value {', '.join(unknown)}."]
    if f["category"] == ServiceCategory.BOARDING and not f["needs_kennel"]:
        errors["needs_kennel"] = ["Boarding always needs a kennel."]
    if f["needs_kennel"] and not f["kennel_types"]:
        errors["kennel_types"] = ["Name at least one kennel type for a service that needs a kennel."]
    if not f["allowed_species"]:
        errors["allowed_species"] = ["Name at least one species."]
    kind = f["deposit_kind"] = DepositKind(f["deposit_kind"])
    if kind == DepositKind.PERCENT:
        if f.get("deposit_percent") is None:
            errors["deposit_percent"] = ["Required for a percentage deposit."]
        f["deposit_cents"] = None
    elif kind == DepositKind.FIXED:
        if f.get("deposit_cents") is None or f["deposit_cents"] < 0:
            errors["deposit_cents"] = ["Required for a fixed deposit, 0 or more."]
        f["deposit_percent"] = None
    else:
        f["deposit_percent"] = f["deposit_cents"] = None
    if f.get("deposit_percent") is not None and not _is_percent(f, "deposit_percent"):
        errors["deposit_percent"] = ["Must be between 0 and 100, at most two decimals."]
    if errors:
        raise RuleViolation("Invalid service.", errors=errors)
    return f


def create_service(**fields) -> Service:
    """Add a service to the price list."""
    category = ServiceCategory(fields["category"])
    f = {"description": "", "duration_minutes": None, "needs_kennel": category == ServiceCategory.BOARDING,
         "kennel_types": DEFAULT_KENNEL_TYPES[category], "allowed_species": [Species.DOG, Species.CAT],
         "taxable": True, "deposit_kind": DepositKind.NONE, "deposit_percent": None, "deposit_cents": None,
         "daily_capacity": None, "active": True, "sort_order": 0, **fields}
    f = _check_service(f)
    service = Service()
    for name in SERVICE_FIELDS:
        setattr(service, name, f[name])
    db.session.add(service)
    flush_unique("name", f"A service named {f['name']!r} already exists.")
    audit.record("service.created", "service", service.id,
                 changes={"name": service.name, "category": service.category.value,
                          "price_cents": service.price_cents, "price_unit": service.price_unit.value})
    db.session.commit()
    return service


@refuse_stale
def update_service(*, service_id: uuid.UUID, expected_version: int | None = None, **fields) -> Service:
    """Change a service; the whole result is validated, not just the changed fields."""
    service = get_service(service_id=service_id)
    expect_version(service, expected_version)
    merged = _check_service({**audit.snapshot(service, SERVICE_FIELDS), **fields})
    changed = {k: v for k, v in merged.items() if k in SERVICE_FIELDS}
    apply_changes(service, changed, "service.updated", "service")
    flush_unique("name", f"A service named {merged['name']!r} already exists.", checks={
        "slot_within_capacity": ("daily_capacity", "Bookings already hold more places on some day; "
                                                   "cancel or move them first.")})
    db.session.commit()
    return service


def delete_service(*, service_id: uuid.UUID) -> Service | None:
    """Delete a service nothing refers to, else deactivate it (None when deleted)."""
    service = get_service(service_id=service_id)
    return remove_or_deactivate(service, resource="service", label=service.name,
                                reload=lambda: get_service(service_id=service_id))


# --- add-ons ----------------------------------------------------------------------------------


def list_addons(*, active: bool | None = None, service_id: uuid.UUID | None = None, page: int | None = None,
                page_size: int | None = None) -> tuple[list[AddOn], int]:
    """The current tenant's add-ons, optionally only those that may be added to one service."""
    stmt = db.select(AddOn).order_by(AddOn.sort_order, AddOn.name, AddOn.id)
    if active is not None:
        stmt = stmt.where(AddOn.active.is_(active))
    if service_id is not None:
        stmt = stmt.where(or_(~AddOn.service_links.any(),
                              AddOn.service_links.any(AddOnService.service_id == service_id)))
    return run_list(stmt, page=page, page_size=page_size)


def get_addon(*, addon_id: uuid.UUID) -> AddOn:
    """One add-on of the current tenant."""
    return one_or_404(AddOn, addon_id, "Add-on not found.")


def _check_addon(f: dict) -> dict:
    errors = {}
    f["name"] = (f.get("name") or "").strip()
    if not f["name"]:
        errors["name"] = ["Must not be empty."]
    if not isinstance(f.get("price_cents"), int) or f["price_cents"] < 0:
        errors["price_cents"] = ["Must be a whole number of cents, 0 or more."]
    f["unit"] = AddOnUnit(f["unit"])
    if errors:
        raise RuleViolation("Invalid add-on.", errors=errors)
    return f


def _link_services(row: Any, link_cls: type, ids: list[uuid.UUID]) -> None:
    """Make row.service_links exactly ids, keeping links that stay."""
    keep = set(ids)
    for link in list(row.service_links):
        if link.service_id not in keep:
            row.service_links.remove(link)
    have = {link.service_id for link in row.service_links}
    for service_id in ids:
        if service_id not in have:
            row.service_links.append(link_cls(service_id=service_id))


def create_addon(*, service_ids: Iterable[uuid.UUID] = (), **fields) -> AddOn:
    """Add an add-on; with no services it may be added to any service."""
    f = _check_addon({"description": "", "taxable": True, "active": True, "sort_order": 0, **fields})
    ids = _existing_service_ids(service_ids)
    addon = AddOn(**{k: f[k] for k in ADDON_FIELDS})
    _link_services(addon, AddOnService, ids)
    db.session.add(addon)
    flush_unique("name", f"An add-on named {f['name']!r} already exists.")
    audit.record("addon.created", "addon", addon.id, changes={"name": addon.name, "price_cents": addon.price_cents,
                                                              "unit": addon.unit.value,
                                                              "service_ids": [str(i) for i in ids]})
    db.session.commit()
    return addon


@refuse_stale
def update_addon(*, addon_id: uuid.UUID, service_ids: Iterable[uuid.UUID] | None = None,
                 expected_version: int | None = None, **fields) -> AddOn:
    """Change an add-on and, when given, the services it may be added to."""
    addon = get_addon(addon_id=addon_id)
    expect_version(addon, expected_version)
    merged = _check_addon({**audit.snapshot(addon, ADDON_FIELDS), **fields})
    # Check references before changing anything: a lookup would autoflush a half-made change.
    ids = _existing_service_ids(service_ids) if service_ids is not None else None
    with db.session.no_autoflush:
        addon.service_links  # noqa: B018  (load the links before the row changes)
    apply_changes(addon, {k: merged[k] for k in ADDON_FIELDS}, "addon.updated", "addon")
    if ids is not None:
        before = sorted(str(i) for i in addon.service_ids)
        _link_services(addon, AddOnService, ids)
        after = sorted(str(i) for i in ids)
        if before != after:
            audit.record("addon.updated", "addon", addon.id, changes={"service_ids": {"old": before, "new": after}})
    flush_unique("name", f"An add-on named {merged['name']!r} already exists.")
    db.session.commit()
    return addon


def delete_addon(*, addon_id: uuid.UUID) -> AddOn | None:
    """Delete an add-on nothing refers to, else deactivate it (None when deleted)."""
    addon = get_addon(addon_id=addon_id)
    return remove_or_deactivate(addon, resource="addon", label=addon.name,
                                reload=lambda: get_addon(addon_id=addon_id))


# --- price rules ------------------------------------------------------------------------------


def list_price_rules(*, kind: RuleKind | None = None, active: bool | None = None, page: int | None = None,
                     page_size: int | None = None) -> tuple[list[PriceRule], int]:
    """The current tenant's price rules in the order they apply (priority, then name)."""
    stmt = db.select(PriceRule).order_by(PriceRule.priority, PriceRule.name, PriceRule.id)
    if kind is not None:
        stmt = stmt.where(PriceRule.kind == kind)
    if active is not None:
        stmt = stmt.where(PriceRule.active.is_(active))
    return run_list(stmt, page=page, page_size=page_size)


def get_price_rule(*, rule_id: uuid.UUID) -> PriceRule:
    """One price rule of the current tenant."""
    return one_or_404(PriceRule, rule_id, "Price rule not found.")


# Which optional field belongs to which kind / amount type; it is cleared when the kind changes.
_KIND_FIELDS = {"min_nights": RuleKind.LENGTH_OF_STAY, "from_pet": RuleKind.ADDITIONAL_PET,
                "days_of_week": RuleKind.DAY_OF_WEEK}
_AMOUNT_FIELDS = {"percent": AmountType.PERCENT, "amount_cents": AmountType.AMOUNT}


def _check_rule(f: dict, given: dict) -> dict:
    """Validate a rule's complete field set; `given` is what the caller sent (it may not be dropped)."""
    errors: dict[str, list[str]] = {}
    f["name"] = (f.get("name") or "").strip()
    if not f["name"]:
        errors["name"] = ["Must not be empty."]
    kind = f["kind"] = RuleKind(f["kind"])
    amount_type = f["amount_type"] = AmountType(f["amount_type"])
    f["effect"] = RuleEffect(f["effect"])
    for name, owner in _KIND_FIELDS.items():
        if kind != owner:
            if given.get(name) not in (None, []):
                errors[name] = [f"Only for {owner.value} rules."]
            f[name] = [] if name == "days_of_week" else None
    for name, owner in _AMOUNT_FIELDS.items():
        if amount_type != owner:
            if given.get(name) is not None:
                errors[name] = [f"Only for {owner.value} rules."]
            f[name] = None
    if amount_type == AmountType.PERCENT and f.get("percent") is None:
        errors["percent"] = ["Required for a percentage rule."]
    if f.get("percent") is not None and not _is_percent(f, "percent"):
        errors["percent"] = ["Must be between 0 and 100, at most two decimals."]
    if amount_type == AmountType.AMOUNT and (f.get("amount_cents") is None or f["amount_cents"] < 0):
        errors["amount_cents"] = ["Required for an amount rule: whole cents, 0 or more."]
    if kind == RuleKind.LENGTH_OF_STAY and not (f.get("min_nights") or 0) >= 1:
        errors["min_nights"] = ["Required for a length-of-stay rule: at least 1."]
    if kind == RuleKind.ADDITIONAL_PET and not (f.get("from_pet") or 0) >= 2:
        errors["from_pet"] = ["Required for an additional-pet rule: 2 (second pet) or more."]
    days = set(values(f.get("days_of_week")))
    f["days_of_week"] = [d for d in WEEKDAYS if d in days]  # stored in calendar order
    if kind == RuleKind.DAY_OF_WEEK and not f["days_of_week"]:
        errors["days_of_week"] = ["Name at least one weekday (MON..SUN)."]
    if days - set(WEEKDAYS):
        errors["days_of_week"] = [f"Unknown weekday {', '.join(sorted(days - set(WEEKDAYS)))}."]
    if kind == RuleKind.DATE_WINDOW:
        for name in ("valid_from", "valid_to"):
            if f.get(name) is None:
                errors[name] = ["Required for a date-window rule."]
    start, end = f.get("valid_from"), f.get("valid_to")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        errors["valid_to"] = ["The window ends before it starts."]
    f["categories"] = values(f.get("categories"))
    unknown = sorted(set(f["categories"]) - {c.value for c in ServiceCategory})
    if unknown:
        errors["categories"] = [f"Unknown category {', '.join(unknown)}."]
    if errors:
        raise RuleViolation("Invalid price rule.", errors=errors)
    return f


def create_price_rule(*, service_ids: Iterable[uuid.UUID] = (), **fields) -> PriceRule:
    """Add a price rule; with neither services nor categories it applies to every service."""
    f = _check_rule({"percent": None, "amount_cents": None, "min_nights": None, "from_pet": None,
                     "days_of_week": [], "categories": [], "priority": 100, "active": True, "valid_from": None,
                     "valid_to": None, **fields}, fields)
    ids = _existing_service_ids(service_ids)
    rule = PriceRule()
    for name in RULE_FIELDS:
        setattr(rule, name, f[name])
    _link_services(rule, PriceRuleService, ids)
    db.session.add(rule)
    flush_unique("name", f"A price rule named {f['name']!r} already exists.")
    audit.record("price_rule.created", "price_rule", rule.id, changes={
        "name": rule.name, "kind": rule.kind.value, "effect": rule.effect.value,
        "percent": str(rule.percent) if rule.percent is not None else None, "amount_cents": rule.amount_cents})
    db.session.commit()
    return rule


@refuse_stale
def update_price_rule(*, rule_id: uuid.UUID, service_ids: Iterable[uuid.UUID] | None = None,
                      expected_version: int | None = None, **fields) -> PriceRule:
    """Change a price rule; the whole result is validated."""
    rule = get_price_rule(rule_id=rule_id)
    expect_version(rule, expected_version)
    merged = _check_rule({**audit.snapshot(rule, RULE_FIELDS), **fields}, fields)
    # Check references before changing anything: a lookup would autoflush a half-made change.
    ids = _existing_service_ids(service_ids) if service_ids is not None else None
    with db.session.no_autoflush:
        rule.service_links  # noqa: B018  (load the links before the row changes)
    apply_changes(rule, {k: merged[k] for k in RULE_FIELDS}, "price_rule.updated", "price_rule")
    if ids is not None:
        before = sorted(str(i) for i in rule.service_ids)
        _link_services(rule, PriceRuleService, ids)
        after = sorted(str(i) for i in ids)
        if before != after:
            audit.record("price_rule.updated", "price_rule", rule.id,
                         changes={"service_ids": {"old": before, "new": after}})
    flush_unique("name", f"A price rule named {merged['name']!r} already exists.")
    db.session.commit()
    return rule


def delete_price_rule(*, rule_id: uuid.UUID) -> PriceRule | None:
    """Delete a price rule nothing refers to, else deactivate it (None when deleted)."""
    rule = get_price_rule(rule_id=rule_id)
    return remove_or_deactivate(rule, resource="price_rule", label=rule.name,
                                reload=lambda: get_price_rule(rule_id=rule_id))
