"""The quote engine: the one place that computes a price.

`price_quote()` is pure and deterministic: plain data in (a service's terms, the pets, the dates,
the add-ons, the active price rules, the tenant's tax rate and currency), a `Quote` out. It reads
no clock, no database and no request. `quote_stay()` is the thin service function that loads the
current tenant's catalog rows and calls it; the API, the pages and (later) reservations and
billing all go through it. All money is integer minor units of the tenant's currency ("cents").

Units
    PER_NIGHT services are priced per night: one unit for each date from the start date up to,
    not including, the end date (at least one night). PER_DAY services are priced per calendar
    day, start and end date included (the end date defaults to the start date). FLAT services are
    one unit (the appointment) on the start date: they take no end date (or only the start date
    itself), unless they need a kennel, when the end date is the departure. A service that needs a kennel always needs at least one night. A quote covers at
    most 365 units (nights or days) and 20 pets; an add-on's quantity is 1 to 100.

Lines
    One stay line per pet per unit (pet 1 night 1, pet 1 night 2, ..., pet 2 night 1, ...), each
    carrying the base price, every price-rule adjustment applied to it, and its net amount.
    One add-on line per requested add-on: price x unit count x quantity. The unit count follows
    the service's own unit, so an add-on never counts more than the booking has:

        add-on unit         PER_NIGHT service (N nights)   PER_DAY service (D days)   FLAT service
        PER_STAY, PER_USE   1                              1                          1
        PER_NIGHT           N                              D (one per day)            1
        PER_DAY             N + 1 (arrival to departure)   D                          1

    Price rules never touch add-ons. The same registered pet may appear only once in a quote.

How rules combine (per stay line)
    1. A rule applies to a service when it names neither services nor categories, or when it names
       the service or the service's category; only active rules are considered.
    2. A rule applies to a stay line when its kind matches: DATE_WINDOW when the line's date is
       within valid_from..valid_to (both included; the stay's own nights, never today's date);
       DAY_OF_WEEK when the line's date falls on one of its weekdays; LENGTH_OF_STAY when the stay
       has at least min_nights units; ADDITIONAL_PET when the pet is the from_pet-th or later pet
       of its household in this booking (pets counted in the order given). valid_from/valid_to
       also bound the other kinds: per date for DAY_OF_WEEK, by the start date for
       LENGTH_OF_STAY and ADDITIONAL_PET.
    3. Surcharges first, in priority order (lower number first, then name): a PERCENT surcharge is
       that percent of the line's base price (surcharges never compound), an AMOUNT surcharge adds
       that amount.
    4. Then discounts, in priority order: a PERCENT discount is that percent of the running price
       (after surcharges and earlier discounts, so discounts compound), an AMOUNT discount takes
       that amount off. A discount never takes a line below zero: it is capped at what is left.
    AMOUNT is always per affected unit (per night, day or appointment, per pet).

Rounding
    Every percentage is rounded once, where it is applied, half up to the cent (integer
    arithmetic, no floats). Tax is computed once, on the sum of the taxable lines' net amounts
    (stay lines when the service is taxable, add-on lines when the add-on is), at the tenant's
    rate, rounded half up to the cent. total = subtotal + surcharges - discounts + tax, which is
    exactly the sum of every line's net amount plus tax.

Deposit
    NONE: 0. PERCENT: that percent of the total (tax included), rounded half up. FIXED: that
    amount, but never more than the total. balance = total - deposit.
"""
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.models import AddOn, Pet, PriceRule, Service
from app.models.catalog import WEEKDAYS, AddOnUnit, AmountType, DepositKind, PriceUnit, RuleEffect, RuleKind
from app.tenancy import current_tenant

# The documented rules (units, lines, combination, rounding, deposit), also published in the OpenAPI document.
PRICING_RULES = __doc__[__doc__.index("Units\n"):]
MAX_UNITS = 365  # a quote covers at most a year of nights or days
MAX_PETS = 20
MAX_QUANTITY = 100  # of one add-on in one quote
UNIT_LABELS = {PriceUnit.PER_NIGHT: "night", PriceUnit.PER_DAY: "day", PriceUnit.FLAT: "appointment"}


# --- inputs: plain, immutable data ------------------------------------------------------------


@dataclass(frozen=True)
class ServiceTerms:
    """What the engine needs to know about a service."""

    name: str
    category: str
    price_cents: int
    price_unit: PriceUnit
    id: uuid.UUID | None = None
    needs_kennel: bool = False
    taxable: bool = True
    allowed_species: tuple[str, ...] = ()  # empty: any species
    deposit_kind: DepositKind = DepositKind.NONE
    deposit_percent_bp: int | None = None
    deposit_cents: int | None = None


@dataclass(frozen=True)
class AddOnTerms:
    """What the engine needs to know about an add-on."""

    name: str
    price_cents: int
    unit: AddOnUnit
    id: uuid.UUID | None = None
    taxable: bool = True
    service_ids: frozenset = frozenset()  # empty: may be added to any service


@dataclass(frozen=True)
class RuleTerms:
    """What the engine needs to know about an active price rule."""

    name: str
    kind: RuleKind
    effect: RuleEffect
    amount_type: AmountType
    id: uuid.UUID | None = None
    percent_bp: int | None = None
    amount_cents: int | None = None
    min_nights: int | None = None
    from_pet: int | None = None
    days_of_week: frozenset = frozenset()  # WEEKDAYS values
    categories: frozenset = frozenset()
    service_ids: frozenset = frozenset()
    priority: int = 100
    valid_from: date | None = None
    valid_to: date | None = None

    def covers(self, service: ServiceTerms) -> bool:
        """True when the rule is scoped to this service (or to nothing in particular)."""
        if not self.categories and not self.service_ids:
            return True
        return str(service.category) in self.categories or service.id in self.service_ids

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class PetIn:
    """A pet in the quote; pets with the same household key belong to one household."""

    label: str
    species: str = "DOG"
    household: str = ""


@dataclass(frozen=True)
class AddOnRequest:
    addon: AddOnTerms
    quantity: int = 1


# --- output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """One price rule applied to one stay line; amount is negative for discounts."""

    rule_id: uuid.UUID | None
    rule_name: str
    kind: RuleKind
    effect: RuleEffect
    amount_cents: int


@dataclass(frozen=True)
class StayLine:
    """One pet, one unit (night, day or appointment)."""

    pet: str
    pet_number: int
    date: date
    description: str
    base_cents: int
    adjustments: tuple[Adjustment, ...]
    amount_cents: int
    taxable: bool


@dataclass(frozen=True)
class AddOnLine:
    addon_id: uuid.UUID | None
    name: str
    unit: AddOnUnit
    unit_price_cents: int
    units: int
    quantity: int
    amount_cents: int
    taxable: bool


@dataclass(frozen=True)
class RuleTotal:
    """What one rule did to the whole quote."""

    rule_id: uuid.UUID | None
    name: str
    kind: RuleKind
    effect: RuleEffect
    applications: int
    amount_cents: int


@dataclass(frozen=True)
class Quote:
    """A priced breakdown; every total is derivable from the lines."""

    currency: str
    service_id: uuid.UUID | None
    service_name: str
    unit: str
    units: int
    start_date: date
    end_date: date
    pets: int
    stay_lines: tuple[StayLine, ...]
    addon_lines: tuple[AddOnLine, ...]
    rule_totals: tuple[RuleTotal, ...]
    subtotal_cents: int
    surcharges_cents: int
    discounts_cents: int
    taxable_cents: int
    tax_rate: Decimal
    tax_cents: int
    total_cents: int
    deposit_cents: int
    balance_cents: int
    lines_cents: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines_cents", sum(line.amount_cents for line in self.stay_lines)
                           + sum(line.amount_cents for line in self.addon_lines))


# --- arithmetic -------------------------------------------------------------------------------


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for non-negative integers (no floats)."""
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(amount_cents: int, percent_bp: int) -> int:
    """percent_bp basis points of an amount, rounded half up to the cent."""
    return round_half_up(amount_cents * percent_bp, 10_000)


def tax_on(taxable_cents: int, rate: Decimal) -> int:
    """Tax at a decimal rate, computed once and rounded half up to the cent."""
    return int((Decimal(taxable_cents) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- the engine -------------------------------------------------------------------------------


def stay_dates(service: ServiceTerms, start: date, end: date | None) -> list[date]:
    """The dates the service is priced for; refuses impossible stays, naming the field."""
    if service.price_unit == PriceUnit.PER_NIGHT or service.needs_kennel:
        if end is None:
            raise RuleViolation("An end date is needed.", errors={"end_date": [
                f"{service.name} is a stay: give the departure date."]})
        if (end - start).days < 1:
            why = "needs a kennel" if service.needs_kennel else "is priced by the night"
            raise RuleViolation("A stay needs at least one night.", errors={"end_date": [
                f"{service.name} {why}: the end date must be after the start date (at least one night)."]})
    elif service.price_unit == PriceUnit.FLAT and end is not None and end != start:
        raise RuleViolation("An appointment has no end date.", errors={"end_date": [
            f"{service.name} is one appointment on the start date: leave the end date empty."]})
    elif end is not None and end < start:
        raise RuleViolation("The end date is before the start date.",
                            errors={"end_date": ["Must be on or after the start date."]})
    end = start if end is None else end
    if service.price_unit == PriceUnit.PER_NIGHT:
        count = (end - start).days
    elif service.price_unit == PriceUnit.PER_DAY:
        count = (end - start).days + 1
    else:
        count = 1
    if count > MAX_UNITS:
        raise RuleViolation("The stay is too long.", errors={"end_date": [
            f"At most {MAX_UNITS} {UNIT_LABELS[service.price_unit]}s per quote."]})
    return [start + timedelta(days=i) for i in range(count)]


def _rule_applies(rule: RuleTerms, *, day: date, start: date, units: int, household_position: int) -> bool:
    if rule.kind == RuleKind.DATE_WINDOW:
        return rule.valid_on(day)
    if rule.kind == RuleKind.DAY_OF_WEEK:
        return WEEKDAYS[day.weekday()] in rule.days_of_week and rule.valid_on(day)
    if rule.kind == RuleKind.LENGTH_OF_STAY:
        return units >= (rule.min_nights or 1) and rule.valid_on(start)
    if rule.kind == RuleKind.ADDITIONAL_PET:
        return household_position >= (rule.from_pet or 2) and rule.valid_on(start)
    return False


def _price_line(base: int, rules: Sequence[RuleTerms]) -> tuple[int, tuple[Adjustment, ...]]:
    """Surcharges on the base price first, then discounts on the running price, never below zero."""
    price, adjustments = base, []
    for rule in rules:
        if rule.effect != RuleEffect.SURCHARGE:
            continue
        amount = rule.amount_cents if rule.amount_type == AmountType.AMOUNT else percent_of(base, rule.percent_bp)
        price += amount
        adjustments.append(Adjustment(rule.id, rule.name, rule.kind, rule.effect, amount))
    for rule in rules:
        if rule.effect != RuleEffect.DISCOUNT:
            continue
        amount = rule.amount_cents if rule.amount_type == AmountType.AMOUNT else percent_of(price, rule.percent_bp)
        amount = min(amount, price)
        price -= amount
        adjustments.append(Adjustment(rule.id, rule.name, rule.kind, rule.effect, -amount))
    return price, tuple(adjustments)


def _addon_units(unit: AddOnUnit, service_unit: PriceUnit, units: int) -> int:
    """How many times an add-on is charged, following the service's unit (see "Lines" above)."""
    if unit not in (AddOnUnit.PER_NIGHT, AddOnUnit.PER_DAY) or service_unit == PriceUnit.FLAT:
        return 1
    if service_unit == PriceUnit.PER_NIGHT and unit == AddOnUnit.PER_DAY:
        return units + 1  # a 4-night stay spans 5 calendar days, arrival to departure
    return units


def _deposit(service: ServiceTerms, total: int) -> int:
    if service.deposit_kind == DepositKind.PERCENT:
        return min(percent_of(total, service.deposit_percent_bp or 0), total)
    if service.deposit_kind == DepositKind.FIXED:
        return min(service.deposit_cents or 0, total)
    return 0


def price_quote(*, service: ServiceTerms, pets: Sequence[PetIn], start: date, end: date | None,
                addons: Iterable[AddOnRequest] = (), rules: Iterable[RuleTerms] = (),
                tax_rate: Decimal = Decimal(0), currency: str = "USD") -> Quote:
    """Price a stay or appointment; pure and deterministic (see the module docstring for the rules)."""
    if not pets:
        raise RuleViolation("At least one pet is needed.", errors={"pets": ["Give at least one pet."]})
    if len(pets) > MAX_PETS:
        raise RuleViolation("Too many pets.", errors={"pets": [f"At most {MAX_PETS} pets per quote."]})
    if service.allowed_species:
        wrong = [p for p in pets if str(p.species) not in service.allowed_species]
        if wrong:
            raise RuleViolation("A pet's species is not accepted.", errors={"pets": [
                f"{p.label} is a {p.species}; {service.name} takes {', '.join(service.allowed_species)}."
                for p in wrong]})
    days = stay_dates(service, start, end)
    end = start if end is None else end
    addons = list(addons)
    errors = []
    for request in addons:
        if request.addon.service_ids and service.id not in request.addon.service_ids:
            errors.append(f"{request.addon.name} cannot be added to {service.name}.")
        if not 1 <= request.quantity <= MAX_QUANTITY:
            errors.append(f"{request.addon.name}: the quantity must be 1 to {MAX_QUANTITY}.")
    if errors:
        raise RuleViolation("An add-on does not fit this booking.", errors={"addons": errors})

    applicable = sorted((r for r in rules if r.covers(service)), key=lambda r: (r.priority, r.name, str(r.id)))
    unit_label = UNIT_LABELS[service.price_unit]
    households: dict[str, int] = {}
    stay_lines = []
    for number, pet in enumerate(pets, start=1):
        households[pet.household] = households.get(pet.household, 0) + 1
        position = households[pet.household]
        for day in days:
            hits = [r for r in applicable
                    if _rule_applies(r, day=day, start=start, units=len(days), household_position=position)]
            amount, adjustments = _price_line(service.price_cents, hits)
            stay_lines.append(StayLine(
                pet=pet.label, pet_number=number, date=day, base_cents=service.price_cents,
                description=f"{service.name}, {pet.label}, {unit_label} of {day.isoformat()}",
                adjustments=adjustments, amount_cents=amount, taxable=service.taxable))

    addon_lines = []
    for request in addons:
        units = _addon_units(request.addon.unit, service.price_unit, len(days))
        addon_lines.append(AddOnLine(
            addon_id=request.addon.id, name=request.addon.name, unit=request.addon.unit,
            unit_price_cents=request.addon.price_cents, units=units, quantity=request.quantity,
            amount_cents=request.addon.price_cents * units * request.quantity, taxable=request.addon.taxable))

    totals: dict = {}
    for line in stay_lines:
        for adj in line.adjustments:
            key = (adj.rule_id, adj.rule_name)
            applications, amount, first = totals.get(key, (0, 0, adj))
            totals[key] = (applications + 1, amount + adj.amount_cents, first)
    rule_totals = tuple(RuleTotal(first.rule_id, first.rule_name, first.kind, first.effect, applications, amount)
                        for applications, amount, first in totals.values())

    adjustments = [adj.amount_cents for line in stay_lines for adj in line.adjustments]
    subtotal = sum(line.base_cents for line in stay_lines) + sum(line.amount_cents for line in addon_lines)
    surcharges = sum(a for a in adjustments if a > 0)
    discounts = -sum(a for a in adjustments if a < 0)
    taxable = sum(line.amount_cents for line in (*stay_lines, *addon_lines) if line.taxable)
    tax = tax_on(taxable, tax_rate)
    total = subtotal + surcharges - discounts + tax
    deposit = _deposit(service, total)
    return Quote(
        currency=currency, service_id=service.id, service_name=service.name, unit=unit_label, units=len(days),
        start_date=start, end_date=end, pets=len(pets),
        stay_lines=tuple(stay_lines), addon_lines=tuple(addon_lines), rule_totals=rule_totals,
        subtotal_cents=subtotal, surcharges_cents=surcharges, discounts_cents=discounts, taxable_cents=taxable,
        tax_rate=Decimal(tax_rate), tax_cents=tax, total_cents=total, deposit_cents=deposit,
        balance_cents=total - deposit)


# --- loading the current tenant's catalog -------------------------------------------------------


def service_terms(service) -> ServiceTerms:
    """A Service row as engine input."""
    return ServiceTerms(
        id=service.id, name=service.name, category=str(service.category), price_cents=service.price_cents,
        price_unit=PriceUnit(service.price_unit), needs_kennel=service.needs_kennel, taxable=service.taxable,
        allowed_species=tuple(service.allowed_species or ()), deposit_kind=DepositKind(service.deposit_kind),
        deposit_percent_bp=service.deposit_percent_bp, deposit_cents=service.deposit_cents)


def addon_terms(addon) -> AddOnTerms:
    """An AddOn row as engine input."""
    return AddOnTerms(id=addon.id, name=addon.name, price_cents=addon.price_cents, unit=AddOnUnit(addon.unit),
                      taxable=addon.taxable, service_ids=frozenset(addon.service_ids))


def rule_terms(rule) -> RuleTerms:
    """A PriceRule row as engine input."""
    return RuleTerms(
        id=rule.id, name=rule.name, kind=RuleKind(rule.kind), effect=RuleEffect(rule.effect),
        amount_type=AmountType(rule.amount_type), percent_bp=rule.percent_bp, amount_cents=rule.amount_cents,
        min_nights=rule.min_nights, from_pet=rule.from_pet, days_of_week=frozenset(rule.days_of_week or ()),
        categories=frozenset(rule.categories or ()), service_ids=frozenset(rule.service_ids),
        priority=rule.priority, valid_from=rule.valid_from, valid_to=rule.valid_to)


def _pets_in(pets: Sequence[dict]) -> list[PetIn]:
    """Registered pets (by id, this tenant's only) and prospective pets (name, species) as engine input."""
    ids = [p["pet_id"] for p in pets if p.get("pet_id")]
    twice = sorted({str(i) for i in ids if ids.count(i) > 1})
    if twice:
        raise RuleViolation("A pet is listed twice.",
                            errors={"pets": [f"Pet {i} is listed more than once." for i in twice]})
    found = {pet.id: pet for pet in db.session.execute(db.select(Pet).where(Pet.id.in_(ids))).scalars()} if ids else {}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFound("Pet not found.", errors={"pets": [f"No such pet {i}." for i in missing]})
    result = []
    for n, p in enumerate(pets, start=1):
        pet = found.get(p.get("pet_id"))
        if pet is not None:
            result.append(PetIn(label=pet.name, species=str(pet.species), household=str(pet.customer_id)))
        else:
            result.append(PetIn(label=p.get("name") or f"Pet {n}", species=str(p.get("species") or "DOG"),
                                household=str(p.get("household") or "")))
    return result


def quote_stay(*, service_id: uuid.UUID, start_date: date, end_date: date | None = None,
               pets: Sequence[dict] | None = None, addons: Sequence[dict] = ()) -> Quote:
    """Price a booking for the current tenant from its catalog and active price rules."""
    service = db.session.execute(db.select(Service).where(Service.id == service_id)).scalar_one_or_none()
    if service is None:
        raise NotFound("Service not found.", errors={"service_id": ["No such service."]})
    if not service.active:
        raise RuleViolation("This service is not offered.", errors={"service_id": [f"{service.name} is inactive."]})
    wanted = [a["addon_id"] for a in addons]
    rows = {a.id: a for a in db.session.execute(db.select(AddOn).where(AddOn.id.in_(wanted))).scalars()} \
        if wanted else {}
    missing = [str(i) for i in wanted if i not in rows]
    if missing:
        raise NotFound("Add-on not found.", errors={"addons": [f"No such add-on {i}." for i in missing]})
    inactive = [rows[i].name for i in wanted if not rows[i].active]
    if inactive:
        raise RuleViolation("An add-on is not offered.", errors={"addons": [f"{n} is inactive." for n in inactive]})
    rules = db.session.execute(db.select(PriceRule).where(PriceRule.active)).scalars().all()
    pet_list = _pets_in(pets if pets is not None else [{}])
    tenant = current_tenant()
    return price_quote(
        service=service_terms(service), pets=pet_list, start=start_date, end=end_date,
        addons=[AddOnRequest(addon_terms(rows[a["addon_id"]]), int(a.get("quantity", 1))) for a in addons],
        rules=[rule_terms(r) for r in rules], tax_rate=tenant.tax_rate, currency=tenant.currency)
