"""Reservations: booking with the live price, edits and moves, and the one lifecycle.

Lifecycle (the only transitions; anything else is a 409 naming both statuses):

    PENDING -> CONFIRMED -> CHECKED_IN -> CHECKED_OUT
    PENDING | CONFIRMED -> CANCELLED (reason required) | NO_SHOW (after the arrival time)

Places are held in the occupancy tables (app/models/reservations.py) whose constraints make an
overbooking impossible. Booking writes lock the candidate kennels (and a capacity service's row)
FOR UPDATE on PostgreSQL, so racing requests queue and each sees the others' places; on SQLite
they are serialised by a process lock (and SQLite's single writer). A constraint that still fires
becomes a 409 naming the kennel.
"""
import dataclasses
import enum
import secrets
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import wraps

from flask import g
from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from app.core.extensions import db
from app.core.pagination import counted_up_to, paginate
from app.models import (
    Customer,
    Kennel,
    KennelNight,
    KennelStatus,
    Pet,
    Reservation,
    ReservationAddOn,
    ReservationPet,
    ReservationSource,
    ReservationStatus,
    Role,
    Service,
    ServiceCategory,
    ServiceDay,
)
from app.models.base import utcnow
from app.models.reservations import LIVE_STATUSES
from app.services import audit, availability, billing, compliance, customers, notices, pricing
from app.services.availability import blocked_nights, free_slot, misfit, nights_text, suitability, unusable
from app.services.rows import expect_version, refuse_stale, sqlite_serialized
from app.tenancy import current_tenant

S = ReservationStatus
TRANSITIONS = {
    S.PENDING: {S.CONFIRMED, S.CANCELLED, S.NO_SHOW},
    S.CONFIRMED: {S.CHECKED_IN, S.CANCELLED, S.NO_SHOW},
    S.CHECKED_IN: {S.CHECKED_OUT},
}
EDITABLE = (S.PENDING, S.CONFIRMED)  # everything may change before check-in
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"  # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, 6/G, 8/B)
CODE_LENGTH = 6
PAST_DAYS_ALLOWED = 1  # an arrival yesterday may still be entered (a late-night walk-in); earlier is refused
MAX_BELONGINGS = 50
# The kennel-nights the current booking write tries to hold, so a constraint's 409 can name the ones it lost
# (PostgreSQL hides a violated key's values from a role under row-level security).
_attempted: ContextVar[dict | None] = ContextVar("attempted_kennel_nights", default=None)


# --- small helpers -------------------------------------------------------------------------------


def transition(reservation: Reservation, to: ReservationStatus) -> None:
    """Move to a new status, or 409 naming the current and the requested status."""
    current = ReservationStatus(reservation.status)
    if to not in TRANSITIONS.get(current, set()):
        raise Conflict(f"This reservation is {current.value}; it cannot become {to.value}.",
                       errors={"status": [f"{current.value} cannot become {to.value}."]},
                       extra={"current_status": current.value, "requested_status": to.value})
    reservation.status = to


def allowed_actions(reservation: Reservation) -> list[str]:
    """The statuses this reservation may move to now (the pages show only these)."""
    return sorted(s.value for s in TRANSITIONS.get(ReservationStatus(reservation.status), set()))


def _actor() -> str:
    return audit.actor()[2] or "system"


def _is_manager() -> bool:
    role = g.get("principal_role")
    return role is not None and Role(role).allows(Role.MANAGER)


def tenant_now() -> datetime:
    """Now in the tenant's timezone."""
    return datetime.now(zoneinfo.ZoneInfo(current_tenant().timezone))


def booking_write(func: Callable) -> Callable:
    """Decorate a write that holds places: serialised on SQLite; constraint or lock failures become 409s."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        with sqlite_serialized():
            token = _attempted.set({})
            try:
                return func(*args, **kwargs)
            except DomainError:
                db.session.rollback()  # places may already be flushed: nothing half-written stays
                raise
            except IntegrityError as exc:
                db.session.rollback()
                raise _occupancy_conflict(exc, _attempted.get()) from None
            except OperationalError as exc:
                if "deadlock" not in str(exc.orig).lower():
                    raise
                db.session.rollback()
                raise Conflict("Another booking for the same kennels was saved at the same moment; try again.",
                               errors={"pets": ["Try again."]}) from None
            finally:
                _attempted.reset(token)

    return refuse_stale(wrapper)


def _note_attempt(kennel_id: uuid.UUID, night: date, household: uuid.UUID) -> None:
    attempted = _attempted.get()
    if attempted is not None:
        attempted[(kennel_id, night)] = household


def _clash(attempted: dict[tuple[uuid.UUID, date], uuid.UUID]) -> tuple[str, dict]:
    """Which wanted kennel-nights the winner took (read after the rollback, so its commit is visible)."""
    if not attempted:
        return "", {}
    kennel_ids = {k for k, _ in attempted}
    nights = [n for _, n in attempted]
    held: dict[tuple[uuid.UUID, date], list[uuid.UUID]] = {}
    for kennel_id, night, customer_id in db.session.execute(
            select(KennelNight.kennel_id, KennelNight.night, KennelNight.customer_id)
            .where(KennelNight.kennel_id.in_(kennel_ids), KennelNight.night >= min(nights),
                   KennelNight.night <= max(nights))):
        held.setdefault((kennel_id, night), []).append(customer_id)
    kennels = {k.id: k for k in db.session.execute(select(Kennel).where(Kennel.id.in_(kennel_ids))).scalars()}
    lost = sorted((key for key, household in attempted.items() if key in held and (
        len(held[key]) >= kennels[key[0]].capacity or any(c != household for c in held[key]))),
        key=lambda key: (kennels[key[0]].code, key[1]))
    if not lost:
        return "", {}
    kennel = kennels[lost[0][0]]
    taken = [night for kennel_id, night in lost if kennel_id == kennel.id]
    return (f": kennel {kennel.code} on {nights_text(taken)}",
            {"kennel_id": str(kennel.id), "kennel": kennel.code, "nights": [n.isoformat() for n in taken]})


def _occupancy_conflict(exc: IntegrityError, attempted: dict[tuple[uuid.UUID, date], uuid.UUID]) -> Conflict:
    text = str(exc.orig)
    if "one_household" in text or "kennel_nights" in text or "slot" in text:
        where, extra = _clash(attempted)
        return Conflict(f"Another booking was just saved into that kennel for some of these nights{where}.",
                        errors={"pets": [f"Taken{where or ''}; pick another kennel or dates."]}, extra=extra)
    if "service_days" in text:
        return Conflict("The last places of a day were just taken.", errors={"start_date": ["The day is full."]})
    if "confirmation_code" in text:
        return Conflict("Please try again.", errors={"confirmation_code": ["A code clashed; retry."]})
    raise exc


def _new_code() -> str:
    """A short, human-readable confirmation code, unused in this tenant."""
    for _ in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not db.session.execute(select(Reservation.id).where(Reservation.confirmation_code == code)).first():
            return code
    raise Conflict("Could not allocate a confirmation code; retry.")


def _load_service(service_id: uuid.UUID) -> Service:
    service = db.session.execute(select(Service).where(Service.id == service_id)).scalar_one_or_none()
    if service is None:
        raise NotFound("Service not found.", errors={"service_id": ["No such service."]})
    if not service.active:
        raise RuleViolation("This service is not offered.", errors={"service_id": [f"{service.name} is inactive."]})
    return service


def _check_dates(service: Service, start: date, end: date | None, *, check_past: bool = True) -> tuple[date, list[date]]:
    """The booking's end date and the dates it holds; refuses impossible ranges, naming the field."""
    dates = availability.held_dates(service, start, end)
    if check_past and start < compliance.tenant_today() - timedelta(days=PAST_DAYS_ALLOWED):
        raise RuleViolation("The arrival is in the past.", errors={"start_date": [
            f"{start.isoformat()} has passed; the earliest arrival is {compliance.tenant_today() - timedelta(days=PAST_DAYS_ALLOWED)}."]})
    return (end if end is not None else start), dates


# --- vaccines ------------------------------------------------------------------------------------


def vaccine_warnings(service_category: ServiceCategory, pets: Sequence[Pet], start: date, end: date) -> list[dict]:
    """Missing, expired and expiring vaccines of each pet for the whole stay, from the database (two queries)."""
    records = compliance.records_by_pet([p.id for p in pets])
    requirements = compliance.requirement_map(fresh=True)  # this decides a booking or a check-in
    warnings = []
    for pet in pets:
        result = compliance.pet_compliance(species=pet.species, records=records[pet.id], category=service_category,
                                           start=start, end=end, requirements=requirements)
        for v in result.vaccines:
            if v.status != compliance.Status.CURRENT:
                warnings.append({"pet_id": pet.id, "pet": pet.name, "vaccine": v.vaccine, "status": v.status.value,
                                 "expires_on": v.expires_on,
                                 "blocking": v.status in (compliance.Status.MISSING, compliance.Status.EXPIRED)})
    return warnings


def _vaccine_gate(reservation: Reservation, warnings: list[dict], override_reason: str | None, *, when: str) -> None:
    """Refuse missing/expired vaccines unless a manager overrides with a reason (audited)."""
    blocking = [w for w in warnings if w["blocking"]]
    if not blocking:
        return
    reason = (override_reason or "").strip()
    if not reason:
        raise RuleViolation(
            f"Vaccines are missing or expired for this stay; a manager may {when} anyway with a reason.",
            errors={"vaccine_override_reason": [f"{w['pet']}: {w['vaccine']} {w['status'].lower()}."
                                                for w in blocking]},
            extra={"vaccine_warnings": [{**w, "pet_id": str(w["pet_id"]),
                                         "expires_on": w["expires_on"].isoformat() if w["expires_on"] else None}
                                        for w in warnings]})
    if reason == reservation.vaccine_override_reason and when == "book":
        return  # an edit of a booking a manager already let through (audited then)
    if not _is_manager():
        raise PermissionDenied("Only a manager may override missing or expired vaccines.")
    if len(reason) > 500:
        raise RuleViolation("Reason too long.", errors={"vaccine_override_reason": ["At most 500 characters."]})
    reservation.vaccine_override_reason = reason
    reservation.vaccine_override_by = _actor()
    audit.record(f"reservation.vaccine_override.{when.replace(' ', '_')}", "reservation", reservation.id,
                 changes={"reason": reason, "vaccines": [f"{w['pet']}: {w['vaccine']} {w['status']}" for w in blocking]})


# --- placing pets into kennels -------------------------------------------------------------------


@dataclass
class Placement:
    pet: Pet
    kennel: Kennel | None
    explanation: str


def _place(reservation: Reservation, service: Service, pets: Sequence[Pet], wanted: dict[uuid.UUID, uuid.UUID | None],
           dates: Sequence[date], *, together: bool) -> list[Placement]:
    """Hold places for the pets on the dates (kennels and daily capacity), picking kennels not given.

    Runs after the reservation's own earlier places were deleted and flushed, so it sees only others'.
    """
    placements = []
    if service.needs_kennel:
        placements = _hold_kennels(reservation, service, pets, wanted, dates, together=together)
    else:
        given = [str(p) for p, k in wanted.items() if k is not None]
        if given:
            raise RuleViolation("This service does not use kennels.", errors={"pets": [
                f"{service.name} needs no kennel; leave kennel_id out."]})
        placements = [Placement(p, None, "") for p in pets]
    if service.daily_capacity:
        _hold_days(reservation, service, pets, dates)
    return placements


def _hold_kennels(reservation, service, pets, wanted, nights, *, together):
    picked_all = all(wanted.get(p.id) is not None for p in pets)
    kennels = availability.candidate_kennels(service, lock=True, only=set(wanted.values()) if picked_all else None)
    by_id = {k.id: k for k in kennels}
    for kennel_id in wanted.values():
        if kennel_id is not None and kennel_id not in by_id:
            other = db.session.execute(select(Kennel).where(Kennel.id == kennel_id)).scalar_one_or_none()
            if other is None:
                raise NotFound("Kennel not found.", errors={"pets": [f"No such kennel {kennel_id}."]})
            raise RuleViolation("That kennel cannot be used for this service.",
                                errors={"pets": [unusable(other, service) or f"{other.code} cannot be used."]})
    usage = availability.kennel_usage(by_id, nights)
    household = reservation.customer_id
    placements: dict[uuid.UUID, Placement] = {}

    def take(kennel: Kennel, group: Sequence[Pet], why: str) -> None:
        for pet in group:
            for night in nights:
                slot = free_slot(kennel, night, usage)
                usage[(kennel.id, night)].slots.add(slot)
                usage[(kennel.id, night)].households.add(household)
                _note_attempt(kennel.id, night, household)
                db.session.add(KennelNight(tenant_id=reservation.tenant_id, kennel_id=kennel.id, night=night,
                                           slot=slot, capacity=kennel.capacity, reservation_id=reservation.id,
                                           pet_id=pet.id, customer_id=household))
            placements[pet.id] = Placement(pet, kennel, why)

    # Kennels the clerk picked: everything is re-checked, and a refusal names the kennel and nights.
    picked: dict[uuid.UUID, list[Pet]] = {}
    for pet in pets:
        if wanted.get(pet.id) is not None:
            picked.setdefault(wanted[pet.id], []).append(pet)
    for kennel_id, group in picked.items():
        kennel = by_id[kennel_id]
        reason = unusable(kennel, service) or next((misfit(kennel, p) for p in group if misfit(kennel, p)), None)
        if reason:
            raise RuleViolation("That kennel does not suit this booking.", errors={"pets": [reason]})
        bad = blocked_nights(kennel, nights, usage, household=household, count=len(group))
        if bad:
            raise Conflict(f"Kennel {kennel.code} is not free for {len(group)} more pet(s) on {nights_text(bad)}.",
                           errors={"pets": [f"{kennel.code} is taken on {nights_text(bad)}."]},
                           extra={"kennel_id": str(kennel.id), "kennel": kennel.code,
                                  "nights": [n.isoformat() for n in bad]})
        take(kennel, group, f"{kennel.code}: chosen by staff.")

    rest = [p for p in pets if wanted.get(p.id) is None]
    ordered = sorted((k for k in kennels if unusable(k, service) is None), key=suitability)
    if rest and together and len(rest) > 1:
        for kennel in ordered:
            if all(misfit(kennel, p) is None for p in rest) and not blocked_nights(
                    kennel, nights, usage, household=household, count=len(rest)):
                names = " and ".join(p.name for p in rest)
                take(kennel, rest, f"{kennel.code}: the smallest free kennel that takes {names} together "
                                   f"for all {len(nights)} night(s).")
                rest = []
                break
    for pet in rest:
        for kennel in ordered:
            if misfit(kennel, pet) is None and not blocked_nights(kennel, nights, usage, household=household, count=1):
                take(kennel, [pet], f"{kennel.code}: the smallest free {kennel.type.value.replace('_', ' ').lower()} "
                                    f"that fits {pet.name} for all {len(nights)} night(s).")
                break
        else:
            misfits = [misfit(k, pet) for k in ordered if misfit(k, pet)]
            if len(misfits) == len(ordered):  # not a clash with other bookings: the pet fits nowhere
                detail = f"{pet.name} fits none of the {len(ordered)} kennels this service uses" + (
                    f" ({misfits[0]})" if misfits else "")
                raise RuleViolation(f"No kennel suits {pet.name}: {detail}.", errors={"pets": [detail + "."]})
            detail = f"every kennel that fits {pet.name} is taken on some of these nights"
            raise Conflict(f"No kennel is free for {pet.name} on {nights_text(list(nights))}: {detail}.",
                           errors={"pets": [f"{pet.name}: {detail}."]},
                           extra={"nights": [n.isoformat() for n in nights]})
    return [placements[p.id] for p in pets]


def _hold_days(reservation, service, pets, days):
    # Bookings of the service queue here. FOR NO KEY UPDATE: this booking's reservation row already
    # holds a FOR KEY SHARE lock on the service (its foreign key), and so does every racing one; FOR
    # UPDATE would wait for those and deadlock (then time out) instead of queueing.
    db.session.execute(select(Service.id).where(Service.id == service.id).with_for_update(key_share=True))
    used = availability.day_usage(service, days)
    full = [d for d in days if len(used.get(d, ())) + len(pets) > service.daily_capacity]
    if full:
        raise Conflict(f"{service.name} is full on {nights_text(full)} ({service.daily_capacity} per day).",
                       errors={"start_date": [f"No places left on {nights_text(full)}."]},
                       extra={"days": [d.isoformat() for d in full]})
    for pet in pets:
        for day in days:
            slot = next(n for n in range(1, service.daily_capacity + 1) if n not in used[day])
            used[day].add(slot)
            db.session.add(ServiceDay(tenant_id=reservation.tenant_id, service_id=service.id, day=day, slot=slot,
                                      capacity=service.daily_capacity, reservation_id=reservation.id, pet_id=pet.id))


def release(reservation: Reservation, *, from_date: date | None = None, pet_id: uuid.UUID | None = None) -> None:
    """Give back the reservation's places (all, or from a date on, or one pet's), flushed at once."""
    for model, column in ((KennelNight, KennelNight.night), (ServiceDay, ServiceDay.day)):
        stmt = delete(model).where(model.reservation_id == reservation.id)
        if from_date is not None:
            stmt = stmt.where(column >= from_date)
        if pet_id is not None:
            stmt = stmt.where(model.pet_id == pet_id)
        db.session.execute(stmt.execution_options(synchronize_session=False))


# --- the price snapshot --------------------------------------------------------------------------


def _plain(value):
    """A quote value as JSON: dates ISO, Decimals and UUIDs as strings, enums by value."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, Decimal, uuid.UUID)):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


def snapshot(quote: pricing.Quote) -> dict:
    """The quote as stored JSON (the engine's breakdown, field for field)."""
    return _plain(dataclasses.asdict(quote))


def _price(service: Service, pets: Sequence[Pet], start: date, end: date | None, addons: Sequence[dict]) -> pricing.Quote:
    return pricing.quote_stay(service_id=service.id, start_date=start, end_date=end,
                              pets=[{"pet_id": p.id} for p in pets], addons=addons)


def _household_pets(customer_id: uuid.UUID, pet_lines: Sequence[dict]) -> list[Pet]:
    """The requested pets, each once, all of this household and active; errors name the field."""
    if not pet_lines:
        raise RuleViolation("At least one pet is needed.", errors={"pets": ["Give at least one pet."]})
    ids = [line["pet_id"] for line in pet_lines]
    twice = sorted({str(i) for i in ids if ids.count(i) > 1})
    if twice:
        raise RuleViolation("A pet is listed twice.", errors={"pets": [f"Pet {i} is listed more than once." for i in twice]})
    pets = availability.load_pets(ids, field="pets")
    strangers = [p.name for p in pets if p.customer_id != customer_id]
    if strangers:
        raise RuleViolation("A pet belongs to another household.", errors={"pets": [
            f"{name} is not this customer's pet." for name in strangers]})
    inactive = [p.name for p in pets if not p.active]
    if inactive:
        raise RuleViolation("A pet is inactive.", errors={"pets": [f"{name} is inactive." for name in inactive]})
    return pets


def _check_addons(addons: Sequence[dict]) -> list[dict]:
    ids = [a["addon_id"] for a in addons]
    twice = sorted({str(i) for i in ids if ids.count(i) > 1})
    if twice:
        raise RuleViolation("An add-on is listed twice.", errors={"addons": [f"Add-on {i} is listed twice; "
                                                                            "use its quantity." for i in twice]})
    return [{"addon_id": a["addon_id"], "quantity": int(a.get("quantity", 1))} for a in addons]


@dataclass
class Booked:
    """A saved reservation and what the server decided along the way."""

    reservation: Reservation
    placements: list[Placement]
    warnings: list[dict]


def _apply(reservation: Reservation, *, service: Service, pets: Sequence[Pet], wanted: dict, start: date,
           end: date | None, addons: Sequence[dict], together: bool, override_reason: str | None,
           when: str, check_past: bool = True) -> Booked:
    """Hold places, price and snapshot a reservation (new or being edited); the caller commits."""
    end_date, dates = _check_dates(service, start, end, check_past=check_past)
    addons = _check_addons(addons)
    quote = _price(service, pets, start, end, addons)
    warnings = vaccine_warnings(service.category, pets, start, end_date)
    _vaccine_gate(reservation, warnings, override_reason, when=when)
    reservation.service_id, reservation.start_date, reservation.end_date = service.id, start, end_date
    reservation.quote, reservation.currency = snapshot(quote), quote.currency
    reservation.total_cents, reservation.deposit_cents = quote.total_cents, quote.deposit_cents
    reservation.pets = [ReservationPet(pet_id=p.id, position=n) for n, p in enumerate(pets)]
    reservation.addons = [ReservationAddOn(addon_id=a["addon_id"], quantity=a["quantity"], position=n)
                          for n, a in enumerate(addons)]
    db.session.flush()
    placements = _place(reservation, service, pets, wanted, dates, together=together)
    for line, placement in zip(reservation.pets, placements, strict=True):
        line.kennel_id = placement.kennel.id if placement.kennel else None
    db.session.flush()
    return Booked(reservation, placements, warnings)


# --- booking -------------------------------------------------------------------------------------


@booking_write
def book_stay(*, customer_id: uuid.UUID, service_id: uuid.UUID, start_date: date, end_date: date | None = None,
              pets: Sequence[dict], addons: Sequence[dict] = (), notes: str = "", arrival_time: time | None = None,
              departure_time: time | None = None, together: bool = False, vaccine_override_reason: str | None = None,
              confirm: bool = False, source: ReservationSource = ReservationSource.WEB) -> Booked:
    """Book a stay or appointment for one household's pets at the live price, holding its places."""
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id)).scalar_one_or_none()
    if customer is None:
        raise NotFound("Customer not found.", errors={"customer_id": ["No such customer."]})
    if not customer.active:
        raise RuleViolation("This customer is inactive.", errors={"customer_id": [f"{customer.full_name} is inactive."]})
    service = _load_service(service_id)
    pet_rows = _household_pets(customer.id, pets)
    reservation = Reservation(id=uuid.uuid4(), tenant_id=current_tenant().id, customer_id=customer.id,
                              service_id=service.id, status=S.PENDING, source=ReservationSource(source),
                              confirmation_code=_new_code(), notes=_notes(notes), arrival_time=arrival_time,
                              departure_time=departure_time, created_by=_actor(), start_date=start_date,
                              end_date=end_date or start_date, quote={}, currency=current_tenant().currency,
                              total_cents=0)
    db.session.add(reservation)
    booked = _apply(reservation, service=service, pets=pet_rows, wanted={line["pet_id"]: line.get("kennel_id")
                                                                        for line in pets},
                    start=start_date, end=end_date, addons=addons, together=together,
                    override_reason=vaccine_override_reason, when="book")
    audit.record("reservation.created", "reservation", reservation.id, changes={
        "confirmation_code": reservation.confirmation_code, "service": service.name,
        "dates": f"{reservation.start_date}..{reservation.end_date}", "pets": [p.name for p in pet_rows],
        "kennels": [pl.kennel.code for pl in booked.placements if pl.kennel], "total_cents": reservation.total_cents})
    if confirm:
        _confirm(reservation)
    db.session.commit()
    return booked


def _notes(notes: str | None) -> str:
    notes = (notes or "").strip()
    if len(notes) > 10_000:
        raise RuleViolation("Notes too long.", errors={"notes": ["At most 10,000 characters."]})
    return notes


# --- reads ---------------------------------------------------------------------------------------


def _with_details(stmt):
    return stmt.options(
        selectinload(Reservation.customer), selectinload(Reservation.service),
        selectinload(Reservation.pets).selectinload(ReservationPet.pet),
        selectinload(Reservation.pets).selectinload(ReservationPet.kennel),
        selectinload(Reservation.addons).selectinload(ReservationAddOn.addon))


def get_reservation(*, reservation_id: uuid.UUID, lock: bool = False) -> Reservation:
    """One reservation of the current tenant with its customer, service, pets, kennels and add-ons."""
    stmt = _with_details(select(Reservation).where(Reservation.id == reservation_id))
    if lock:
        stmt = stmt.with_for_update(of=Reservation)
    reservation = db.session.execute(stmt).scalar_one_or_none()
    if reservation is None:
        raise NotFound("Reservation not found.")
    return reservation


def list_reservations(*, start_date: date | None = None, end_date: date | None = None,
                      status: Sequence[ReservationStatus] | ReservationStatus | None = None,
                      customer_id: uuid.UUID | None = None, pet_id: uuid.UUID | None = None,
                      kennel_id: uuid.UUID | None = None, service_id: uuid.UUID | None = None,
                      confirmation_code: str | None = None, page: int | None = None,
                      page_size: int | None = None) -> tuple[list[Reservation], int]:
    """Reservations overlapping a date range, filtered; a constant number of queries per page.

    The page is found on ids alone (ix_reservations_tenant_list holds the sort order, so even a deep
    OFFSET walks the index, not the rows), then those rows are loaded with their details. The total
    is capped: it stops COUNT_BEYOND rows past the page (see total_is_floor), so a tenant with years
    of history counts no more than one with weeks.
    """
    order = (Reservation.start_date, Reservation.created_at, Reservation.id)
    stmt = select(Reservation.id).order_by(*order)
    if start_date is not None:
        stmt = stmt.where(Reservation.end_date >= start_date)
    if end_date is not None:
        stmt = stmt.where(Reservation.start_date <= end_date)
    if status:
        statuses = [status] if isinstance(status, (str, ReservationStatus)) else list(status)
        stmt = stmt.where(Reservation.status.in_([ReservationStatus(s) for s in statuses]))
    if customer_id is not None:
        stmt = stmt.where(Reservation.customer_id == customer_id)
    if service_id is not None:
        stmt = stmt.where(Reservation.service_id == service_id)
    if pet_id is not None:
        stmt = stmt.where(exists().where(ReservationPet.reservation_id == Reservation.id,
                                         ReservationPet.pet_id == pet_id))
    if kennel_id is not None:
        stmt = stmt.where(or_(
            exists().where(ReservationPet.reservation_id == Reservation.id, ReservationPet.kennel_id == kennel_id),
            exists().where(KennelNight.reservation_id == Reservation.id, KennelNight.kennel_id == kennel_id)))
    if confirmation_code:
        stmt = stmt.where(Reservation.confirmation_code == confirmation_code.strip().upper())
    if page is None:
        ids = list(db.session.execute(stmt).scalars())
        total = len(ids)
    else:
        ids, total = paginate(stmt, page=page, page_size=page_size or 50, count_beyond=COUNT_BEYOND)
    rows = db.session.execute(_with_details(select(Reservation)).where(Reservation.id.in_(ids)).order_by(*order))
    return list(rows.scalars()), total


# The list grows with every booking ever made: its count stops this many rows past the page asked for.
COUNT_BEYOND = 1_000


def total_is_floor(total: int, *, page: int, page_size: int) -> bool:
    """Whether list_reservations' total is "at least" (the count stopped) rather than exact."""
    return total >= counted_up_to(page, page_size, COUNT_BEYOND)


def kennel_segments(reservation: Reservation) -> dict[uuid.UUID, list[dict]]:
    """{pet_id: [{kennel_id, code, from, to}]}: where each pet sleeps, night ranges half-open (one query)."""
    rows = db.session.execute(select(KennelNight.pet_id, KennelNight.night, Kennel.id, Kennel.code)
                              .join(Kennel, Kennel.id == KennelNight.kennel_id)
                              .where(KennelNight.reservation_id == reservation.id)
                              .order_by(KennelNight.pet_id, KennelNight.night)).all()
    segments: dict[uuid.UUID, list[dict]] = {}
    for pet_id, night, kennel_id, code in rows:
        runs = segments.setdefault(pet_id, [])
        if runs and runs[-1]["kennel_id"] == kennel_id and runs[-1]["to"] == night:
            runs[-1]["to"] = night + timedelta(days=1)
        else:
            runs.append({"kennel_id": kennel_id, "code": code, "from": night, "to": night + timedelta(days=1)})
    return segments


# --- edits ---------------------------------------------------------------------------------------

EDIT_FIELDS = ("service_id", "start_date", "end_date", "pets", "addons", "arrival_time", "departure_time", "notes",
               "together", "vaccine_override_reason")
AFTER_CHECK_IN = {"end_date", "departure_time", "notes"}


def _stay_state(reservation: Reservation) -> dict:
    """What an edit may change about the stay, for the audit diff."""
    return {"service_id": reservation.service_id, "start_date": reservation.start_date,
            "end_date": reservation.end_date, "total_cents": reservation.total_cents,
            "pets": [line.pet_id for line in reservation.pets],
            "kennels": [line.kennel_id for line in reservation.pets],
            "addons": [(a.addon_id, a.quantity) for a in reservation.addons]}


def _edit(reservation: Reservation, changes: dict) -> Booked | None:
    """Apply an edit in the session (no commit); re-checks places and re-prices when the stay changes."""
    status = ReservationStatus(reservation.status)
    stay_fields = {k for k in changes if k not in ("notes", "arrival_time", "departure_time",
                                                    "vaccine_override_reason", "together")}
    if status == S.CHECKED_IN:
        refused = sorted(set(changes) - AFTER_CHECK_IN - {"vaccine_override_reason", "together"})
        if refused:
            raise Conflict("After check-in only the departure (and notes) can change.",
                           errors={f: ["Cannot change after check-in."] for f in refused},
                           extra={"current_status": status.value})
    elif status not in EDITABLE:
        refused = sorted(set(changes) - {"notes"})
        if refused:
            raise Conflict(f"This reservation is {status.value}; only its notes can change.",
                           errors={f: [f"Cannot change a {status.value} reservation."] for f in refused},
                           extra={"current_status": status.value})
    old = _stay_state(reservation)
    for name in ("arrival_time", "departure_time"):
        if name in changes:
            setattr(reservation, name, changes[name])
    if "notes" in changes:
        reservation.notes = _notes(changes["notes"])
    booked = None
    if stay_fields:
        if status == S.CHECKED_IN:
            booked = _change_departure(reservation, changes["end_date"])
        else:
            booked = _rebook(reservation, changes)
    new = _stay_state(reservation)
    diff = audit.changes_of({k: str(v) for k, v in old.items()}, {k: str(v) for k, v in new.items()})
    for name in ("arrival_time", "departure_time", "notes"):
        if name in changes:
            diff[name] = {"new": str(changes[name]) if name != "notes" else "(changed)"}
    if diff:
        audit.record("reservation.updated", "reservation", reservation.id, changes=diff)
    return booked


def _rebook(reservation: Reservation, changes: dict) -> Booked:
    service = _load_service(changes.get("service_id", reservation.service_id))
    current_kennels = {line.pet_id: line.kennel_id for line in reservation.pets}
    if "pets" in changes:
        lines = changes["pets"]
        keep = service.id == reservation.service_id
        wanted = {line["pet_id"]: line.get("kennel_id") or (current_kennels.get(line["pet_id"]) if keep else None)
                  for line in lines}
    else:
        lines = [{"pet_id": line.pet_id} for line in reservation.pets]
        wanted = dict(current_kennels) if service.id == reservation.service_id else {p["pet_id"]: None for p in lines}
    if not service.needs_kennel:
        wanted = {k: None for k in wanted}
    pets = _household_pets(reservation.customer_id, lines)
    addons = changes["addons"] if "addons" in changes else [
        {"addon_id": a.addon_id, "quantity": a.quantity} for a in reservation.addons]
    start = changes.get("start_date", reservation.start_date)
    appointment = service.price_unit.value == "FLAT" and not service.needs_kennel
    end = changes.get("end_date", None if appointment else reservation.end_date)
    release(reservation)
    reservation.pets = []
    reservation.addons = []
    db.session.flush()
    return _apply(reservation, service=service, pets=pets, wanted=wanted, start=start, end=end, addons=addons,
                  together=bool(changes.get("together")),
                  override_reason=changes.get("vaccine_override_reason") or reservation.vaccine_override_reason,
                  when="book", check_past=start != reservation.start_date)


def _change_departure(reservation: Reservation, new_end: date | None) -> Booked:
    """Extend or shorten a stay in progress: the nights after the change are re-held in each pet's kennel."""
    service = db.session.execute(select(Service).where(Service.id == reservation.service_id)).scalar_one()
    if new_end is None:
        raise RuleViolation("A departure date is needed.", errors={"end_date": ["Give the new departure date."]})
    _, dates = _check_dates(service, reservation.start_date, new_end, check_past=False)
    pets = [line.pet for line in reservation.pets]
    old_end = reservation.end_date
    release(reservation, from_date=min(old_end, new_end))
    db.session.flush()
    added = [d for d in dates if d >= old_end]
    if added:
        wanted = {line.pet_id: line.kennel_id for line in reservation.pets}
        _place(reservation, service, pets, wanted, added, together=False)
    quote = _price(service, pets, reservation.start_date, new_end,
                   [{"addon_id": a.addon_id, "quantity": a.quantity} for a in reservation.addons])
    reservation.end_date = new_end
    reservation.quote, reservation.total_cents = snapshot(quote), quote.total_cents
    reservation.deposit_cents = quote.deposit_cents
    db.session.flush()
    return Booked(reservation, [], [])


@booking_write
def update_reservation(*, reservation_id: uuid.UUID, expected_version: int | None = None, **changes) -> Booked:
    """Edit a reservation: before check-in anything (re-checked and re-priced), after it the departure."""
    unknown = sorted(set(changes) - set(EDIT_FIELDS))
    if unknown:
        raise RuleViolation("Unknown fields.", errors={f: ["Unknown field."] for f in unknown})
    reservation = get_reservation(reservation_id=reservation_id, lock=True)
    expect_version(reservation, expected_version)
    before = _stay_state(reservation)
    with notices.change_notice(reservation):  # dates, service, pets or price of a confirmed stay changed
        booked = _edit(reservation, changes)
    if booked is not None:  # the stay was re-priced: an issued invoice gets the difference as adjustment lines
        billing.reprice_issued(reservation, why=_what_changed(before, _stay_state(reservation)))
    db.session.commit()
    return booked or Booked(reservation, [], [])


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _what_changed(old: dict, new: dict) -> str:
    """An edit in words for the invoice's adjustment reason: dates, service, pets, add-ons, the total."""
    parts = []
    if (old["start_date"], old["end_date"]) != (new["start_date"], new["end_date"]):
        parts.append(f"dates {old['start_date']}–{old['end_date']} → {new['start_date']}–{new['end_date']}")
    for key, label in (("service_id", "service"), ("pets", "pets"), ("addons", "add-ons")):
        if old[key] != new[key]:
            parts.append(f"{label} changed")
    parts.append(f"total {_money(old['total_cents'])} → {_money(new['total_cents'])}")
    return "; ".join(parts)


def preview_update(*, reservation_id: uuid.UUID, **changes) -> dict:
    """What an edit would cost, without saving anything: the current and the new price snapshot."""
    reservation = get_reservation(reservation_id=reservation_id)
    before = dict(reservation.quote)
    try:
        with sqlite_serialized():
            savepoint = db.session.begin_nested()
            try:
                booked = _edit(reservation, {k: v for k, v in changes.items() if k in EDIT_FIELDS})
                after = dict(reservation.quote)
                warnings = booked.warnings if booked else []
            finally:
                savepoint.rollback()
    except IntegrityError as exc:
        db.session.rollback()
        raise _occupancy_conflict(exc) from None
    finally:
        db.session.rollback()
    return {"current": before, "proposed": after,
            "difference_cents": after.get("total_cents", 0) - before.get("total_cents", 0), "vaccine_warnings": warnings}


@booking_write
def move_pet(*, reservation_id: uuid.UUID, pet_id: uuid.UUID, kennel_id: uuid.UUID, from_date: date | None = None,
             expected_version: int | None = None) -> Reservation:
    """Move one pet to another kennel from a night on (default: the arrival, or tonight once checked in)."""
    reservation = get_reservation(reservation_id=reservation_id, lock=True)
    expect_version(reservation, expected_version)
    status = ReservationStatus(reservation.status)
    if status not in LIVE_STATUSES:
        raise Conflict(f"This reservation is {status.value}; only a booked or in-house stay can move.",
                       errors={"status": [f"{status.value} cannot move."]}, extra={"current_status": status.value})
    line = next((line for line in reservation.pets if line.pet_id == pet_id), None)
    if line is None:
        raise NotFound("That pet is not on this reservation.", errors={"pet_id": ["Not on this reservation."]})
    service = db.session.execute(select(Service).where(Service.id == reservation.service_id)).scalar_one()
    if not service.needs_kennel:
        raise RuleViolation("This service does not use kennels.", errors={"kennel_id": [f"{service.name} needs none."]})
    earliest = reservation.start_date if status != S.CHECKED_IN else max(reservation.start_date,
                                                                          compliance.tenant_today())
    start = from_date or earliest
    nights = availability.held_dates(service, reservation.start_date, reservation.end_date)
    moving = [n for n in nights if n >= start]
    if start < earliest or not moving:
        raise RuleViolation("That night is not one this pet can move from.", errors={"from_date": [
            f"Pick a night from {earliest} to {nights[-1]}."]})
    old_kennel = line.kennel.code if line.kennel else None
    release(reservation, from_date=start, pet_id=pet_id)
    db.session.flush()
    placement = _hold_kennels(reservation, service, [line.pet], {pet_id: kennel_id}, moving, together=False)[0]
    line.kennel_id = placement.kennel.id
    audit.record("reservation.pet_moved", "reservation", reservation.id, changes={
        "pet": line.pet.name, "kennel": {"old": old_kennel, "new": placement.kennel.code}, "from": start.isoformat()})
    db.session.commit()
    return get_reservation(reservation_id=reservation_id)


# --- lifecycle -----------------------------------------------------------------------------------


def _confirm(reservation: Reservation) -> None:
    transition(reservation, S.CONFIRMED)
    reservation.confirmed_at, reservation.confirmed_by = utcnow(), _actor()
    audit.record("reservation.confirmed", "reservation", reservation.id)
    notices.booking_confirmed(reservation)  # at confirm, or at booking with confirm=True; never for PENDING


def _lifecycle(func: Callable) -> Callable:
    """A status change: loads and locks the reservation, checks If-Match, commits."""

    @wraps(func)
    def wrapper(*, reservation_id: uuid.UUID, expected_version: int | None = None, **kwargs) -> Reservation:
        reservation = get_reservation(reservation_id=reservation_id, lock=True)
        expect_version(reservation, expected_version)
        func(reservation, **kwargs)
        db.session.commit()
        return reservation

    return booking_write(wrapper)


@_lifecycle
def confirm(reservation: Reservation) -> None:
    """PENDING -> CONFIRMED."""
    _confirm(reservation)


@_lifecycle
def cancel(reservation: Reservation, *, reason: str) -> None:
    """PENDING/CONFIRMED -> CANCELLED with a reason; the places are released, the cancellation policy settles payments."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise RuleViolation("A reason is needed to cancel.", errors={"reason": ["1 to 500 characters."]})
    transition(reservation, S.CANCELLED)
    reservation.cancelled_at, reservation.cancelled_by, reservation.cancel_reason = utcnow(), _actor(), reason
    release(reservation)
    audit.record("reservation.cancelled", "reservation", reservation.id, changes={"reason": reason})
    billing.settle_cancellation(reservation)  # the cancellation policy decides what happens to what was paid
    notices.booking_cancelled(reservation)


def arrival_moment(reservation: Reservation) -> datetime:
    """When the pet was due: the arrival time, or the end of the arrival day when none was given (tenant time)."""
    zone = zoneinfo.ZoneInfo(current_tenant().timezone)
    if reservation.arrival_time is not None:
        return datetime.combine(reservation.start_date, reservation.arrival_time, zone)
    return datetime.combine(reservation.start_date + timedelta(days=1), time(0, 0), zone)


@_lifecycle
def no_show(reservation: Reservation) -> None:
    """PENDING/CONFIRMED -> NO_SHOW, only once the arrival time has passed; the places are released."""
    # The status first: a checked-in stay is refused for its status (naming both), whatever the time.
    transition(reservation, S.NO_SHOW)
    due = arrival_moment(reservation)
    if tenant_now() < due:
        raise Conflict(f"The arrival time ({due:%Y-%m-%d %H:%M}) has not passed yet.",
                       errors={"status": ["Too early for a no-show."]})  # booking_write rolls the status back
    reservation.no_show_at, reservation.no_show_by = utcnow(), _actor()
    release(reservation)
    audit.record("reservation.no_show", "reservation", reservation.id)


def _clean_list(items: Sequence | None, field: str, limit: int = MAX_BELONGINGS) -> list:
    items = [i.strip() if isinstance(i, str) else i for i in (items or [])]
    items = [i for i in items if i]
    if len(items) > limit:
        raise RuleViolation("Too many items.", errors={field: [f"At most {limit}."]})
    return items


@_lifecycle
def check_in(reservation: Reservation, *, belongings: Sequence[str] = (), medications: Sequence[dict] = (),
             feeding_confirmed: bool = False, notes: str = "", vaccine_override_reason: str | None = None) -> None:
    """CONFIRMED -> CHECKED_IN on or after the arrival date; kennels in service and vaccines current (or overridden)."""
    today = compliance.tenant_today()
    if ReservationStatus(reservation.status) == S.CONFIRMED:
        if today < reservation.start_date:
            raise Conflict(f"Check-in opens on the arrival date, {reservation.start_date}.",
                           errors={"status": [f"Arrival is {reservation.start_date}; today is {today}."]})
        if today > reservation.end_date:
            raise Conflict("The stay is already over.", errors={"status": [f"Departure was {reservation.end_date}."]})
        broken = [line.kennel.code for line in reservation.pets
                  if line.kennel is not None and line.kennel.status == KennelStatus.MAINTENANCE]
        if broken:
            raise Conflict(f"Kennel {', '.join(broken)} is under maintenance; move the pet first.",
                           errors={"kennel_id": [f"{code} is under maintenance." for code in broken]})
        warnings = vaccine_warnings(reservation.service.category, [line.pet for line in reservation.pets],
                                    max(today, reservation.start_date), reservation.end_date)
        _vaccine_gate(reservation, warnings, vaccine_override_reason, when="check in")
    transition(reservation, S.CHECKED_IN)
    pet_ids = {line.pet_id for line in reservation.pets}
    meds = []
    for med in _clean_list(medications, "medications"):
        if med.get("pet_id") not in pet_ids:
            raise RuleViolation("A medication names a pet not on this stay.", errors={"medications": [
                f"Pet {med.get('pet_id')} is not on this reservation."]})
        meds.append({"pet_id": str(med["pet_id"]), "name": (med.get("name") or "").strip(),
                     "dose": (med.get("dose") or "").strip(), "schedule": (med.get("schedule") or "").strip()})
    reservation.belongings = _clean_list(belongings, "belongings")
    reservation.stay_medications = meds
    reservation.feeding_confirmed = bool(feeding_confirmed)
    reservation.check_in_notes = _notes(notes)
    reservation.checked_in_at, reservation.checked_in_by = utcnow(), _actor()
    audit.record("reservation.checked_in", "reservation", reservation.id, changes={
        "belongings": len(reservation.belongings), "medications": len(meds), "feeding_confirmed": bool(feeding_confirmed)})


@_lifecycle
def check_out(reservation: Reservation, *, belongings_returned: bool = False, notes: str = "") -> None:
    """CHECKED_IN -> CHECKED_OUT; belongings must be confirmed returned; the remaining places are released."""
    if ReservationStatus(reservation.status) == S.CHECKED_IN and reservation.belongings and not belongings_returned:
        raise RuleViolation("Confirm the belongings were returned.", errors={"belongings_returned": [
            f"Return: {', '.join(reservation.belongings)}."]})
    transition(reservation, S.CHECKED_OUT)
    reservation.belongings_returned = bool(belongings_returned)
    reservation.check_out_notes = _notes(notes)
    reservation.checked_out_at, reservation.checked_out_by = utcnow(), _actor()
    release(reservation)
    audit.record("reservation.checked_out", "reservation", reservation.id)
    billing.finalize_stay(reservation)  # the stay's invoice, with late charges, issued in this transaction


# --- history: what customers, pets and the catalog may not lose ------------------------------------


def customer_has_reservations(customer_id: uuid.UUID) -> bool:
    """True when a reservation refers to this household (it is then deactivated, never deleted)."""
    return db.session.execute(select(Reservation.id).where(Reservation.customer_id == customer_id).limit(1)).first() \
        is not None


customers.HISTORY_CHECKS.append(customer_has_reservations)
