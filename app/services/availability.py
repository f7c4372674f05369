"""Which kennels can take which pets on which nights, and the daily places a service has left.

Rules (the same for the availability list, booking, edits and moves):

- A kennel can be used by a service when it is active, its type is one the service allows (any
  type when the service names none) and it is not under MAINTENANCE.
- A pet fits a kennel when its species may use the kennel type (cat condos take cats only; runs
  and play yards take no cats) and its weight is within the kennel's limits. A pet with no
  recorded weight fits any limit (the clerk is told).
- A kennel holds at most `capacity` pets a night, and pets sharing it belong to one household.
  Nights are half-open: a stay ending on day D frees the kennel for one starting on D.
- A service with a daily capacity holds at most that many pets a day across all bookings.

Auto-assignment, when the clerk does not pick: the smallest suitable kennel (size, then
capacity), then board order (sort order, code). With `together`, one kennel for all the pets
left to place when one can take them all.
"""
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.core import weights
from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.models import Kennel, KennelNight, KennelSize, KennelStatus, KennelType, Pet, Service, ServiceDay
from app.services import pricing
from app.tenancy import current_tenant

SIZE_RANK = {KennelSize.S: 0, KennelSize.M: 1, KennelSize.L: 2, KennelSize.XL: 3}
# Kennel types with a species rule; any other type takes any species.
KENNEL_SPECIES = {
    KennelType.CAT_CONDO: {"CAT"},
    KennelType.RUN: {"DOG", "OTHER"},
    KennelType.PLAY_YARD: {"DOG", "OTHER"},
}


def held_dates(service: Service, start: date, end: date | None) -> list[date]:
    """The nights (kennel services), days (daycare) or date (appointment) a booking holds; refuses impossible ranges."""
    return pricing.stay_dates(pricing.service_terms(service), start, end)


def misfit(kennel: Kennel, pet: Pet) -> str | None:
    """Why this pet cannot use this kennel, or None when it fits."""
    species = KENNEL_SPECIES.get(KennelType(kennel.type))
    if species is not None and str(pet.species) not in species:
        return f"{kennel.code} is a {kennel.type.value.replace('_', ' ').lower()}; {pet.name} is a {pet.species.value}."
    weight = pet.weight_kg  # stored in kilograms, the unit kennel limits are kept in
    if weight is not None:
        unit = current_tenant().weight_unit
        if kennel.max_weight_kg is not None and weight > kennel.max_weight_kg:
            return (f"{pet.name} ({weights.shown(weight, unit)}) is over {kennel.code}'s limit of "
                    f"{_limit_text(kennel.max_weight_kg, unit)}.")
        if kennel.min_weight_kg is not None and weight < kennel.min_weight_kg:
            return (f"{pet.name} ({weights.shown(weight, unit)}) is under {kennel.code}'s minimum of "
                    f"{_limit_text(kennel.min_weight_kg, unit)}.")
    return None


def _limit_text(kg: Decimal, unit: str) -> str:
    """A kennel limit as set (kg), with the tenant's unit alongside when that is pounds."""
    return f"{kg} kg" if unit == "kg" else f"{kg} kg ({weights.shown(kg, unit)})"


def unusable(kennel: Kennel, service: Service) -> str | None:
    """Why this service cannot use this kennel at all, or None."""
    if not kennel.active:
        return f"{kennel.code} is inactive."
    if service.kennel_types and kennel.type.value not in service.kennel_types:
        return f"{kennel.code} is a {kennel.type.value}; {service.name} uses {', '.join(service.kennel_types)}."
    if kennel.status == KennelStatus.MAINTENANCE:
        return f"{kennel.code} is under maintenance."
    return None


def candidate_kennels(service: Service, *, lock: bool = False, only: set[uuid.UUID] | None = None) -> list[Kennel]:
    """Active kennels of the service's types (or just `only`), in board order; locked when booking (PostgreSQL).

    Locking the candidates (in id order, so two bookings never deadlock) serialises bookings that
    could compete for the same places; the occupancy constraints stay the backstop. A booking whose
    pets all have a kennel picked locks just those, so bookings of other kennels do not queue
    behind it; an auto-assigned one locks every candidate, so it queues behind all of them. FOR NO KEY
    UPDATE, not FOR UPDATE: bookers still queue on it, but the FOR KEY SHARE lock a foreign-key
    check takes on the kennel (kennel_nights, reservation_pets) never waits for it, so a booking
    that already wrote rows pointing at a kennel cannot deadlock with one holding the lock.
    """
    stmt = select(Kennel).where(Kennel.active.is_(True))
    if service.kennel_types:
        stmt = stmt.where(Kennel.type.in_([KennelType(t) for t in service.kennel_types]))
    if only is not None:
        stmt = stmt.where(Kennel.id.in_(only))
    if lock:
        locked = db.session.execute(stmt.order_by(Kennel.id).with_for_update(key_share=True)).scalars().all()
        return sorted(locked, key=lambda k: (k.sort_order, k.code, k.id))
    return list(db.session.execute(stmt.order_by(Kennel.sort_order, Kennel.code, Kennel.id)).scalars())


@dataclass
class NightUse:
    """Who holds places in one kennel on one night."""

    slots: set[int] = field(default_factory=set)
    households: set[uuid.UUID] = field(default_factory=set)


def kennel_usage(kennel_ids: Iterable[uuid.UUID], nights: Sequence[date]) -> dict[tuple[uuid.UUID, date], NightUse]:
    """{(kennel, night): NightUse} for these kennels and nights, in one query."""
    usage: dict[tuple[uuid.UUID, date], NightUse] = defaultdict(NightUse)
    ids = list(kennel_ids)
    if not ids or not nights:
        return usage
    rows = db.session.execute(select(KennelNight.kennel_id, KennelNight.night, KennelNight.slot, KennelNight.customer_id)
                              .where(KennelNight.kennel_id.in_(ids), KennelNight.night >= min(nights),
                                     KennelNight.night <= max(nights)))
    for kennel_id, night, slot, customer_id in rows:
        use = usage[(kennel_id, night)]
        use.slots.add(slot)
        use.households.add(customer_id)
    return usage


def day_usage(service: Service, days: Sequence[date]) -> dict[date, set[int]]:
    """{day: slots held} of a service with a daily capacity, in one query."""
    usage: dict[date, set[int]] = defaultdict(set)
    if not days:
        return usage
    rows = db.session.execute(select(ServiceDay.day, ServiceDay.slot).where(
        ServiceDay.service_id == service.id, ServiceDay.day >= min(days), ServiceDay.day <= max(days)))
    for day, slot in rows:
        usage[day].add(slot)
    return usage


def blocked_nights(kennel: Kennel, nights: Sequence[date], usage: dict, *, household: uuid.UUID, count: int) -> list[date]:
    """The nights on which this kennel cannot take `count` more pets of this household."""
    bad = []
    for night in nights:
        use = usage.get((kennel.id, night))
        if use is None:
            if count > kennel.capacity:
                bad.append(night)
            continue
        if (use.households - {household}) or len(use.slots) + count > kennel.capacity:
            bad.append(night)
    return bad


def places_left(kennel: Kennel, nights: Sequence[date], usage: dict, *, household: uuid.UUID | None) -> int:
    """The fewest places this household could use in the kennel on any of the nights (0 when another household is in)."""
    left = kennel.capacity
    for night in nights:
        use = usage.get((kennel.id, night))
        if use is None:
            continue
        if use.households - {household}:
            return 0
        left = min(left, kennel.capacity - len(use.slots))
    return left


def free_slot(kennel: Kennel, night: date, usage: dict) -> int:
    """The lowest free place number in a kennel on a night (the caller checked there is one)."""
    taken = usage[(kennel.id, night)].slots
    return next(n for n in range(1, kennel.capacity + 1) if n not in taken)


def suitability(kennel: Kennel) -> tuple:
    """Sort key for auto-assignment: smallest first, then board order."""
    return SIZE_RANK[KennelSize(kennel.size)], kennel.capacity, kennel.sort_order, kennel.code


def nights_text(nights: Sequence[date]) -> str:
    """A short list of nights for messages: 2026-12-05, 2026-12-06 (and 3 more)."""
    shown = ", ".join(n.isoformat() for n in nights[:4])
    return shown + (f" and {len(nights) - 4} more" if len(nights) > 4 else "")


# --- the availability read --------------------------------------------------------------------


@dataclass
class KennelChoice:
    kennel: Kennel
    places_left: int
    fits: list[uuid.UUID]  # the requested pets that fit this kennel
    note: str = ""


@dataclass
class Availability:
    service: Service
    start_date: date
    end_date: date
    nights: list[date]
    kennels: list[KennelChoice]
    unavailable: list[dict]
    days: list[dict]
    notes: list[str]


def load_pets(pet_ids: Sequence[uuid.UUID], field: str = "pet_id") -> list[Pet]:
    """The current tenant's pets with these ids, in the order given; NotFound naming the field otherwise."""
    found = {p.id: p for p in db.session.execute(select(Pet).where(Pet.id.in_(list(pet_ids)))).scalars()} \
        if pet_ids else {}
    missing = [str(i) for i in pet_ids if i not in found]
    if missing:
        raise NotFound("Pet not found.", errors={field: [f"No such pet {i}." for i in missing]})
    return [found[i] for i in pet_ids]


def check_availability(*, service_id: uuid.UUID, start_date: date, end_date: date | None = None,
                       pet_ids: Sequence[uuid.UUID] = ()) -> Availability:
    """Kennels that can take the pets on every night, with places left; daily places for capacity services."""
    service = db.session.execute(select(Service).where(Service.id == service_id)).scalar_one_or_none()
    if service is None:
        raise NotFound("Service not found.", errors={"service_id": ["No such service."]})
    dates = held_dates(service, start_date, end_date)
    pets = load_pets(list(dict.fromkeys(pet_ids)))
    households = {p.customer_id for p in pets}
    if len(households) > 1:
        raise RuleViolation("The pets belong to different households.",
                            errors={"pet_id": ["Book one household's pets together."]})
    household = next(iter(households), None)
    notes = [f"{p.name} has no recorded weight: kennel weight limits were not checked."
             for p in pets if p.weight_kg is None]
    choices, unavailable = [], []
    if service.needs_kennel:
        kennels = candidate_kennels(service)
        usage = kennel_usage([k.id for k in kennels], dates)
        for kennel in kennels:
            reason = unusable(kennel, service)
            left = places_left(kennel, dates, usage, household=household)
            fits = [p.id for p in pets if misfit(kennel, p) is None]
            if reason is None and pets and not fits:
                reason = "; ".join(misfit(kennel, p) for p in pets)
            if reason is None and left == 0:
                reason = f"{kennel.code} is full on some of these nights."
            if reason is None:
                choices.append(KennelChoice(kennel, left, fits))
            else:
                unavailable.append({"kennel_id": kennel.id, "code": kennel.code, "reason": reason})
        choices.sort(key=lambda c: suitability(c.kennel))
    days = []
    if service.daily_capacity:
        used = day_usage(service, dates)
        days = [{"date": d, "capacity": service.daily_capacity, "booked": len(used.get(d, ())),
                 "left": max(service.daily_capacity - len(used.get(d, ())), 0)} for d in dates]
    return Availability(service=service, start_date=start_date, end_date=end_date or dates[-1], nights=dates,
                        kennels=choices,
                        unavailable=unavailable, days=days, notes=notes)


def occupancy_counts(nights: Sequence[date]) -> dict[date, int]:
    """Pets in kennels per night (one query)."""
    if not nights:
        return {}
    rows = db.session.execute(select(KennelNight.night, func.count()).where(
        KennelNight.night >= min(nights), KennelNight.night <= max(nights)).group_by(KennelNight.night))
    return dict(rows.all())
