"""Customer messages about bookings and vaccines, written to the outbox in the caller's transaction.

When a household hears from the resort:
- confirmation: when the booking becomes CONFIRMED (at `confirm`, or at booking with confirm=True).
  A PENDING booking is a request the resort has not accepted yet, so it sends nothing;
- change notice: when the dates, service, pets or price of a stay the household was told about
  (confirmed) change; a kennel move or a note is the resort's own business;
- cancellation notice: when a stay the household was told about is cancelled;
- arrival reminder: the day before arrival (tenant's today + 1), once per stay;
- vaccine reminder: vaccine_reminder_days before a record expires, once per record, or when staff
  press "remind" on the Vaccines page.
Wording comes from the resort's templates (app/services/templates.py); amounts are in the tenant's
currency, dates are the resort's local dates, and the resort's name and address sign every message.
"""
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from loguru import logger
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app import jobs
from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.models import (
    Customer,
    Kennel,
    OutboxMessage,
    Pet,
    Reservation,
    ReservationPet,
    ReservationStatus,
    Service,
    Tenant,
    TenantStatus,
    Vaccination,
)
from app.models.mail import Channel
from app.services import outbox, templates
from app.tenancy import current_tenant

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "JPY": "¥", "INR": "₹"}
REMINDERS = "notices.reminders"
TENANT_REMINDERS = "notices.tenant_reminders"


# --- formatting --------------------------------------------------------------------------------


def money(cents: int, currency: str) -> str:
    """Cents in a currency as a customer reads it: $1,234.50, €80.00, CHF 80.00."""
    amount = f"{Decimal(cents) / 100:,.2f}"
    symbol = SYMBOLS.get(currency.upper())
    return f"{symbol}{amount}" if symbol else f"{currency.upper()} {amount}"


def day(value: date) -> str:
    """A date as a customer reads it, the same in every locale: Fri 12 Dec 2025."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def moment(value: date, at: time | None) -> str:
    """A date with its time when one was given: Fri 12 Dec 2025 at 08:00."""
    return day(value) + (f" at {at:%H:%M}" if at else "")


def names(items: list[str]) -> str:
    """Rex; Rex and Bella; Rex, Bella and Max."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


# --- the facts a message is rendered from ------------------------------------------------------


def _resort() -> dict[str, str]:
    return templates.resort_values()


def _household(customer: Customer) -> dict[str, str]:
    return {"customer_name": customer.full_name, "first_name": customer.first_name}


def _stay(reservation: Reservation) -> dict[str, str]:
    """The stay as a customer reads it: pets, service, local dates and times, kennels, total and deposit."""
    lines = db.session.execute(
        select(Pet.name, Kennel.code).select_from(ReservationPet).join(Pet, Pet.id == ReservationPet.pet_id)
        .outerjoin(Kennel, Kennel.id == ReservationPet.kennel_id)
        .where(ReservationPet.reservation_id == reservation.id).order_by(ReservationPet.position)).all()
    service = db.session.execute(select(Service.name).where(Service.id == reservation.service_id)).scalar_one()
    kennels = sorted({code for _, code in lines if code})
    currency = reservation.currency or current_tenant().currency
    return {"pet_names": names([name for name, _ in lines]), "service": service,
            "start_date": day(reservation.start_date), "end_date": day(reservation.end_date),
            "arrival": moment(reservation.start_date, reservation.arrival_time),
            "departure": moment(reservation.end_date, reservation.departure_time),
            "kennel": ", ".join(kennels) or "none needed", "total": money(reservation.total_cents, currency),
            "deposit": money(reservation.deposit_cents or 0, currency), "confirmation_code": reservation.confirmation_code}


def _send(kind: str, customer: Customer, values: dict[str, str], *, dedupe_key: str | None = None) -> list[OutboxMessage]:
    """Render the resort's templates for both channels and queue them by the customer's preference."""
    email = templates.get_template(kind=kind, channel=Channel.EMAIL)
    sms = templates.get_template(kind=kind, channel=Channel.SMS)
    subject, body = templates.render(email, values)
    _, sms_body = templates.render(sms, values)
    return outbox.notify_customer(customer=customer, kind=kind, subject=subject, body=body, sms_body=sms_body,
                                  dedupe_key=dedupe_key)


def _customer(reservation: Reservation) -> Customer:
    return db.session.execute(select(Customer).where(Customer.id == reservation.customer_id)).scalar_one()


def _told(reservation: Reservation) -> bool:
    """Has the household been told of this booking (it was confirmed)?"""
    return reservation.confirmed_at is not None


# --- booking events (one call each from app/services/reservations.py) -------------------------


def booking_confirmed(reservation: Reservation) -> list[OutboxMessage]:
    """Queue the confirmation, with price and deposit, in the confirming transaction."""
    customer = _customer(reservation)
    return _send("booking_confirmation", customer, {**_resort(), **_household(customer), **_stay(reservation)})


@dataclass
class _Before:
    start: date
    end: date
    service_id: uuid.UUID
    total_cents: int
    pet_ids: list[uuid.UUID] = field(default_factory=list)
    stay: dict[str, str] = field(default_factory=dict)


@contextmanager
def change_notice(reservation: Reservation) -> Iterator[None]:
    """Around an edit: when the dates, service, pets or price of a confirmed stay changed, queue a change notice."""
    told = _told(reservation)
    before = _Before(reservation.start_date, reservation.end_date, reservation.service_id, reservation.total_cents,
                     [line.pet_id for line in reservation.pets], _stay(reservation) if told else {})
    yield
    if not told:
        return
    after = _stay(reservation)
    changes = []
    if (before.start, before.end) != (reservation.start_date, reservation.end_date):
        changes.append(f"Dates: {before.stay['start_date']} to {before.stay['end_date']} → "
                       f"{after['start_date']} to {after['end_date']}")
    if before.service_id != reservation.service_id:
        changes.append(f"Service: {before.stay['service']} → {after['service']}")
    if before.pet_ids != [line.pet_id for line in reservation.pets]:
        changes.append(f"Pets: {before.stay['pet_names']} → {after['pet_names']}")
    if before.total_cents != reservation.total_cents:
        changes.append(f"Total: {before.stay['total']} → {after['total']}")
    if changes:
        customer = _customer(reservation)
        _send("booking_changed", customer, {**_resort(), **_household(customer), **after,
                                             "changes": "\n".join(changes)})


def booking_cancelled(reservation: Reservation) -> list[OutboxMessage]:
    """Queue the cancellation notice (only for a booking the household was told about)."""
    if not _told(reservation):
        return []
    customer = _customer(reservation)
    return _send("booking_cancelled", customer, {**_resort(), **_household(customer), **_stay(reservation)})


# --- reminders -----------------------------------------------------------------------------------


def _once(kind: str, customer: Customer, values: dict[str, str], key: str) -> bool:
    """Queue a notice keyed `key` unless one was: the unique (tenant_id, dedupe_key) decides, even between racers."""
    pending = list(db.session.info.get(jobs._AFTER_COMMIT, []))
    savepoint = db.session.begin_nested()
    try:
        _send(kind, customer, values, dedupe_key=key)
        db.session.flush()
    except IntegrityError:
        savepoint.rollback()
        db.session.info[jobs._AFTER_COMMIT] = pending  # no delivery job for the message that was not kept
        return False
    savepoint.commit()
    return True


def _already(keys: list[str]) -> set[str]:
    """Which of these reminder keys were queued already (on any channel): one query."""
    if not keys:
        return set()
    stored = db.session.execute(select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(
        [f"{k}:{c.value}" for k in keys for c in Channel]))).scalars()
    return {s.rpartition(":")[0] for s in stored}


def local_now(now: datetime | None = None) -> datetime:
    """Now (or `now`) in the tenant's timezone."""
    zone = ZoneInfo(current_tenant().timezone)
    return (now or datetime.now(zone)).astimezone(zone)


def arrival_reminders(*, today: date) -> int:
    """Remind every household arriving tomorrow (confirmed stays), once per stay; returns how many were queued."""
    rows = db.session.execute(select(Reservation).where(Reservation.status == ReservationStatus.CONFIRMED,
                                                        Reservation.start_date == today + timedelta(days=1))).scalars().all()
    done = _already([f"arrival:{r.id}" for r in rows])
    resort, queued = _resort(), 0
    for reservation in rows:
        if f"arrival:{reservation.id}" in done:
            continue
        customer = _customer(reservation)
        queued += _once("arrival_reminder", customer, {**resort, **_household(customer), **_stay(reservation)},
                        f"arrival:{reservation.id}")
    return queued


def _current_records(start: date, end: date):
    """Vaccination records of active pets of active households expiring in [start, end], not renewed since."""
    newer = aliased(Vaccination)
    renewed = select(newer.id).where(newer.pet_id == Vaccination.pet_id, newer.vaccine == Vaccination.vaccine,
                                     newer.expires_on > Vaccination.expires_on).exists()
    return (select(Vaccination, Pet, Customer).join(Pet, Pet.id == Vaccination.pet_id)
            .join(Customer, Customer.id == Pet.customer_id)
            .where(Vaccination.expires_on >= start, Vaccination.expires_on <= end, Pet.active, Customer.active,
                   ~renewed))


def _vaccine_values(resort: dict, record: Vaccination, pet: Pet, customer: Customer) -> dict[str, str]:
    return {**resort, **_household(customer), "pet_name": pet.name, "vaccine": record.vaccine,
            "expires_on": day(record.expires_on)}


def vaccine_reminders(*, today: date) -> int:
    """Remind households of vaccines expiring within vaccine_reminder_days, once per record; returns how many."""
    days = current_tenant().vaccine_reminder_days
    if days <= 0:
        return 0
    rows = db.session.execute(_current_records(today, today + timedelta(days=days))
                              .order_by(Vaccination.expires_on)).all()
    done = _already([f"vaccine:{record.id}" for record, _, _ in rows])
    resort, queued = _resort(), 0
    for record, pet, customer in rows:
        if f"vaccine:{record.id}" not in done:
            queued += _once("vaccine_reminder", customer, _vaccine_values(resort, record, pet, customer),
                            f"vaccine:{record.id}")
    return queued


def send_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """The current tenant's due reminders, from REMINDER_HOUR local time on (nobody gets a text at midnight)."""
    local = local_now(now)
    if local.hour < int(current_app.config.get("REMINDER_HOUR", 9)):
        return {"arrival": 0, "vaccine": 0}
    sent = {"arrival": arrival_reminders(today=local.date()), "vaccine": vaccine_reminders(today=local.date())}
    db.session.commit()
    if any(sent.values()):
        logger.info("reminders queued: {arrival} arrival, {vaccine} vaccine", **sent)
    return sent


def enqueue_tenant_reminders() -> int:
    """For the periodic job (no tenant): one reminders job per active tenant; returns how many."""
    ids = db.session.execute(select(Tenant.id).where(Tenant.status == TenantStatus.ACTIVE)).scalars().all()
    db.session.commit()
    for tenant_id in ids:
        jobs.enqueue(TENANT_REMINDERS, tenant_id=tenant_id)
    return len(ids)


# --- the Vaccines page ----------------------------------------------------------------------------


@dataclass
class PetVaccines:
    """A pet with its vaccine records that expire (or expired) in the window."""

    pet: Pet
    owner: Customer
    records: list[Vaccination]


MAX_WINDOW_DAYS = 400


def default_window() -> tuple[date, date]:
    """The Vaccines list's window: the last 30 days to the reminder (or warning) horizon, the resort's dates."""
    from app.services.compliance import tenant_today

    today, tenant = tenant_today(), current_tenant()
    return today - timedelta(days=30), today + timedelta(days=max(tenant.vaccine_warning_days,
                                                                   tenant.vaccine_reminder_days))


def _check_window(start: date, end: date, names: tuple[str, str] = ("from", "to")) -> None:
    """Refuse a window that ends before it starts or spans more than MAX_WINDOW_DAYS, naming its end."""
    first, last = names
    if end < start:
        raise RuleViolation("The window ends before it starts.", errors={last: [f"Must be on or after '{first}'."]})
    if (end - start).days > MAX_WINDOW_DAYS:
        raise RuleViolation("The window is too long.", errors={last: [f"At most {MAX_WINDOW_DAYS} days after '{first}'."]})


def expiring_vaccines(*, start: date, end: date) -> list[PetVaccines]:
    """Every pet with a current record expiring in [start, end], soonest first (one query)."""
    _check_window(start, end)
    rows = db.session.execute(_current_records(start, end).order_by(Vaccination.expires_on, Pet.name, Pet.id)).all()
    pets: dict[uuid.UUID, PetVaccines] = {}
    for record, pet, owner in rows:
        pets.setdefault(pet.id, PetVaccines(pet, owner, [])).records.append(record)
    return list(pets.values())


@dataclass(frozen=True)
class ExpiringRecord:
    """One row of the API's list: a record, its pet and household."""

    vaccination_id: uuid.UUID
    vaccine: str
    expires_on: date
    expired: bool
    days_left: int
    pet_id: uuid.UUID
    pet_name: str
    customer_id: uuid.UUID
    customer_name: str


def page_expiring(*, page: int, page_size: int, start: date | None = None,
                  end: date | None = None) -> tuple[list[ExpiringRecord], int]:
    """One page of the records expiring in the window (soonest first) and the total: two queries, any page size."""
    from app.core.pagination import MAX_PAGE
    from app.services.compliance import tenant_today

    fallback = default_window()
    start, end = start or fallback[0], end or fallback[1]
    _check_window(start, end, ("start", "end"))
    if page > MAX_PAGE:
        raise RuleViolation("Page out of range.", errors={"page": [f"At most {MAX_PAGE:,}."]})
    query = _current_records(start, end)
    total = db.session.execute(select(func.count()).select_from(
        query.with_only_columns(Vaccination.id).order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.order_by(Vaccination.expires_on, Pet.name, Vaccination.id)
                              .limit(page_size).offset((page - 1) * page_size)).all()
    today = tenant_today()
    return [ExpiringRecord(record.id, record.vaccine, record.expires_on, record.expires_on < today,
                           (record.expires_on - today).days, pet.id, pet.name, owner.id, owner.full_name)
            for record, pet, owner in rows], total


@dataclass(frozen=True)
class Reminded:
    """What one remind queued."""

    pet_id: uuid.UUID
    records: int
    message_ids: list[uuid.UUID]
    start: date
    end: date


def remind_pet(*, pet_id: uuid.UUID, start: date | None = None, end: date | None = None,
               names: tuple[str, str] = ("from", "to")) -> Reminded:
    """Staff's "remind": queue a reminder now for each of the pet's records expiring in the window."""
    fallback = default_window()
    start, end = start or fallback[0], end or fallback[1]
    if db.session.execute(select(Pet.id).where(Pet.id == pet_id)).first() is None:
        raise NotFound("Pet not found.")
    _check_window(start, end, names)
    rows = db.session.execute(_current_records(start, end).where(Pet.id == pet_id)).all()
    if not rows:
        raise RuleViolation("Nothing to remind about.", errors={"pet_id": [
            "This pet has no vaccine expiring in the window."]})
    resort, messages = _resort(), []
    for record, pet, customer in rows:
        messages += _send("vaccine_reminder", customer, _vaccine_values(resort, record, pet, customer))
    db.session.commit()
    return Reminded(pet_id, len(rows), [m.id for m in messages], start, end)
