"""`flask --app wsgi seed-scale`: 200 resorts for scale tests, one large and many small.

The catalog, kennels, tenants and staff go through the real services; the volume (households, pets,
vaccinations, two years of bookings, their invoices, payments and ledger) goes through bulk ORM
INSERTs of `insert(Model)` with `tenant_id` named on every row, inside the tenant's context, so the
session's tenancy guard checks every row and PostgreSQL's row-level policies apply to every statement.
Prices come from the real quote engine (`pricing.price_quote`) and invoice lines from the stored
snapshot (`billing.lines_from_quote`), so the money is what the app itself would have written.
"""
import enum
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time as clock, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext
from sqlalchemy import insert, select

from app.core.errors import NotFound
from app.core.extensions import db
from app.demo.catalog import seed_catalog
from app.demo.customers import CATS, DOGS, FIRST, LAST
from app.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Kennel,
    KennelNight,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Pet,
    Plan,
    PriceRule,
    Reservation,
    ReservationPet,
    ReservationStatus,
    Role,
    Service,
    ServiceDay,
    Vaccination,
)
from app.services import accounts, billing, kennels, pricing, tenants
from app.services.compliance import tenant_today
from app.services.customers import search_text_for
from app.services.reservations import CODE_ALPHABET, CODE_LENGTH
from app.tenancy import tenant_context

LARGE = {"households": 50_000, "reservations": 200_000}  # at --scale 1.0
SMALL = {"households": 250, "reservations": 1_000}
HISTORY_DAYS = 730  # two years of stays, invoices and payments
FUTURE_DAYS = 45  # and the booked weeks ahead
BATCH = 5_000
LARGE_SUBDOMAIN = "scale-large"
# The large resort's building and daily volume, open for a month: what the large one costs beyond it is
# what its two years of history cost (bench/scale.py --small scale-new).
NEW_SUBDOMAIN = "scale-new"
NEW_HISTORY_DAYS = 30
SMALL_PREFIX = "scale-small-"
PASSWORD = "tailtown-scale"  # scale data only, like the demo's
S = ReservationStatus
S_LIVE = (S.PENDING, S.CONFIRMED, S.CHECKED_IN)
METHODS = [PaymentMethod.CARD] * 14 + [PaymentMethod.CASH] * 3 + [PaymentMethod.CHECK, PaymentMethod.BANK_TRANSFER]
# What the desk books, by weight: boarding a quarter, daycare half, grooming and training the rest.
MIX = [("BOARDING", 25), ("DAYCARE", 50), ("GROOMING", 20), ("TRAINING", 5)]


@dataclass
class TenantSize:
    """How big one tenant is."""

    subdomain: str
    name: str
    households: int
    reservations: int
    extra_run_blocks: int = 0  # blocks of 40 more kennels for a larger building
    history_days: int = HISTORY_DAYS  # how far back its stays, invoices and payments go
    plan: Plan = Plan.PRO
    timezone: str = "America/Denver"
    tax_rate: str = "0.0825"


@dataclass
class Stats:
    """Rows written, by table."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def plans(*, scale: float, small_tenants: int) -> list[TenantSize]:
    """One large tenant, a new one of its size and daily volume, and `small_tenants` small ones, sized by `scale`."""
    large = TenantSize(LARGE_SUBDOMAIN, "Scale Large Resort", max(20, round(LARGE["households"] * scale)),
                  max(80, round(LARGE["reservations"] * scale)), extra_run_blocks=round(5 * scale),
                  plan=Plan.ENTERPRISE)
    # The same reservations a day as the large resort, households in the same proportion.
    share = (NEW_HISTORY_DAYS + FUTURE_DAYS) / (HISTORY_DAYS + FUTURE_DAYS)
    new = TenantSize(NEW_SUBDOMAIN, "Scale New Resort", max(20, round(large.households * share)),
                     max(80, round(large.reservations * share)), extra_run_blocks=large.extra_run_blocks,
                     plan=Plan.ENTERPRISE, history_days=NEW_HISTORY_DAYS)
    small = [TenantSize(f"{SMALL_PREFIX}{n:03d}", f"Scale Small Resort {n}", max(10, round(SMALL["households"] * min(1, scale * 20))),
                   max(40, round(SMALL["reservations"] * min(1, scale * 20))),
                   timezone=["America/Denver", "America/New_York", "Europe/Berlin", "UTC"][n % 4],
                   tax_rate=["0.0825", "0.0600", "0.1900", "0"][n % 4])
             for n in range(1, small_tenants + 1)]
    return [large, new, *small]


def _uniform(model, rows: list[dict]) -> list[dict]:
    """Every row with the same keys (a column's scalar default, else NULL), so each batch is one multi-row INSERT."""
    keys = set().union(*rows) if rows else set()
    columns = model.__table__.c
    for key in keys:
        default = columns[key].default
        value = default.arg if default is not None and default.is_scalar else None
        for row in rows:
            row.setdefault(key, value)
    return rows


def _bulk(model, rows: list[dict], stats: Stats) -> None:
    """ORM bulk INSERT in batches: every row names tenant_id, so the tenancy guard checks each (and RLS applies)."""
    rows = _uniform(model, rows)
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert(model).execution_options(render_nulls=True), rows[i:i + BATCH])
    stats.add(model.__tablename__, len(rows))


def _plain(value):
    """reservations.snapshot's JSON, without dataclasses.asdict's deep copies (the test checks they agree)."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    return value


def _aware(day: date, at: clock, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


# --- catalog and staff, through the services -------------------------------------------------------------


def _catalog(plan: TenantSize) -> None:
    seed_catalog({"subdomain": plan.subdomain})
    for block in range(plan.extra_run_blocks):
        prefix = "RDEFHJKMNPQTUVWXYZ"[block % 18] + str(block // 18 or "")
        kennels.create_kennels_bulk(prefix=prefix, start=1, end=30, type="RUN", size="L", capacity=2,
                                    location=f"Barn {prefix}", min_weight_kg=Decimal("0"), max_weight_kg=Decimal("45"))
        kennels.create_kennels_bulk(prefix=prefix + "C", start=1, end=10, type="CAT_CONDO", size="S", capacity=2,
                                    location=f"Cattery {prefix}", min_weight_kg=None, max_weight_kg=Decimal("10"))
    if plan.extra_run_blocks:  # a larger building has more daycare and grooming places too
        factor = 1 + plan.extra_run_blocks
        for service in db.session.execute(select(Service).where(Service.daily_capacity.is_not(None))).scalars():
            service.daily_capacity = service.daily_capacity * factor
        db.session.commit()


# --- households -------------------------------------------------------------------------------------------


def _households(plan: TenantSize, tenant_id, rng: random.Random, today: date, stats: Stats) -> list[dict]:
    """Customers, their pets and vaccinations; returns [{id, pets: [(id, name, species, kg)]}]."""
    customers, pets, shots, households = [], [], [], []
    now = datetime.now(UTC)
    for n in range(plan.households):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        cid = uuid.uuid4()
        email = f"{first.lower()}.{last.lower()}.{n}@example.com".replace("'", "")
        phone = f"+1555{rng.randint(2000000, 9999999)}"
        names, mine = [], []
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            species = "CAT" if rng.random() < 0.2 else "DOG"
            name, breed, low, high = rng.choice(CATS if species == "CAT" else DOGS)
            kg = (Decimal(rng.randint(low, high)) * Decimal("0.45359237")).quantize(Decimal("0.01"))
            pid = uuid.uuid4()
            names.append(name)
            mine.append((pid, name, species, kg))
            pets.append({"tenant_id": tenant_id, "id": pid, "customer_id": cid, "name": name, "species": species,
                         "breed": breed, "weight_kg": kg, "birth_date": today - timedelta(days=rng.randint(200, 4500)),
                         "alert_flags": rng.sample(["ESCAPE_RISK", "ANXIOUS", "SENIOR", "SPECIAL_DIET"],
                                                   k=rng.choice([0, 0, 0, 0, 1])),
                         "medications": [], "version": 1, "created_at": now, "updated_at": now})
            for vaccine in (["Rabies", "DHPP", "Bordetella"] if species == "DOG" else ["Rabies", "FVRCP"]):
                roll = rng.random()
                expires = today + timedelta(days=rng.randint(-200, -1) if roll < 0.08 else
                                            rng.randint(1, 28) if roll < 0.2 else rng.randint(60, 900))
                shots.append({"tenant_id": tenant_id, "id": uuid.uuid4(), "pet_id": pid, "vaccine": vaccine,
                              "given_on": expires - timedelta(days=365), "expires_on": expires, "version": 1,
                              "created_at": now, "updated_at": now})
        person = SimpleNamespace(first_name=first, last_name=last, email=email, phone=phone, alt_phone=None)
        customers.append({"tenant_id": tenant_id, "id": cid, "first_name": first, "last_name": last, "email": email,
                          "phone": phone, "city": "Denver", "region": "CO",
                          "preferred_contact": rng.choice(["EMAIL", "SMS", "BOTH"]),
                          "search_text": search_text_for(person, names), "version": 1,
                          "created_at": now - timedelta(days=rng.randint(0, plan.history_days + 365)), "updated_at": now})
        households.append({"id": cid, "pets": mine})
    _bulk(Customer, customers, stats)
    _bulk(Pet, pets, stats)
    _bulk(Vaccination, shots, stats)
    db.session.commit()
    return households


# --- bookings ---------------------------------------------------------------------------------------------


@dataclass
class Catalog:
    """The tenant's catalog as engine input, read once."""

    services: dict  # category -> [(Service row values, ServiceTerms)]
    rules: list
    kennels: list  # [(id, type, capacity, min kg, max kg)]
    tax_rate: Decimal
    currency: str


def _load_catalog(tenant) -> Catalog:
    services: dict = {}
    for s in db.session.execute(select(Service).where(Service.active.is_(True)).order_by(Service.sort_order)).scalars():
        services.setdefault(str(s.category), []).append((s, pricing.service_terms(s)))
    rules = [pricing.rule_terms(r) for r in db.session.execute(select(PriceRule)).scalars() if r.active]
    rooms = [(k.id, str(k.type), k.capacity, k.min_weight_kg, k.max_weight_kg)
             for k in db.session.execute(select(Kennel).where(Kennel.active.is_(True))).scalars()]
    return Catalog(services, rules, rooms, Decimal(tenant.tax_rate), tenant.currency)


def _fits(room, species: str, kgs: list, types) -> bool:
    _id, type_, capacity, low, high = room
    if type_ not in types or capacity < len(kgs):
        return False
    if species == "CAT" and type_ != "CAT_CONDO":
        return False
    return all((low is None or kg >= low) and (high is None or kg <= high) for kg in kgs)


class Codes:
    """Confirmation codes, unique in the tenant, deterministic for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.used = rng, set()

    def next(self) -> str:
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH + 2))
            if code not in self.used:
                self.used.add(code)
                return code


def _status(start: date, end: date, today: date, needs_kennel: bool, rng: random.Random) -> ReservationStatus:
    """What a booking of these dates would be by now at a real front desk."""
    past = end < today if needs_kennel else start < today
    if past:
        roll = rng.random()
        return S.CANCELLED if roll < 0.05 else S.NO_SHOW if roll < 0.07 else S.CHECKED_OUT
    if needs_kennel and start < today:
        return S.CHECKED_IN
    if start == today:
        return S.CHECKED_IN if not needs_kennel and rng.random() < 0.5 else S.CONFIRMED
    return S.PENDING if rng.random() < 0.2 else (S.CANCELLED if rng.random() < 0.03 else S.CONFIRMED)


def _bookings(plan: TenantSize, tenant, households: list[dict], cat: Catalog, rng: random.Random, today: date,
              stats: Stats) -> None:
    """Reservations over two years and the weeks ahead, with their occupancy, invoices, payments and ledger."""
    tid, zone = tenant.id, ZoneInfo(tenant.timezone)
    first = today - timedelta(days=plan.history_days)
    span = plan.history_days + FUTURE_DAYS
    starts = sorted(first + timedelta(days=rng.randrange(span)) for _ in range(plan.reservations))
    categories = [c for c, _ in MIX if c in cat.services]
    weights = [w for c, w in MIX if c in cat.services]
    free_from = {room[0]: first for room in cat.kennels}  # a kennel is free from the end of its last stay
    day_used: dict[tuple, int] = {}
    codes = Codes(rng)
    res_rows, pet_rows, night_rows, day_rows = [], [], [], []
    invoices, invoice_rows, lines, payments, ledger = [], [], [], [], []
    sequence = 0
    prefix = billing.get_settings().invoice_prefix
    def choose(start: date):
        """A household, service, party, departure and kennel that the desk could have booked on this date."""
        household = rng.choice(households)
        service, terms = rng.choice(cat.services[rng.choices(categories, weights)[0]])
        species_ok = [p for p in household["pets"] if not terms.allowed_species or p[2] in terms.allowed_species]
        if not species_ok:
            return None
        species = rng.choice(species_ok)[2]
        party = [p for p in species_ok if p[2] == species][: 2 if service.needs_kennel else 1]
        end, room = start, None
        if service.needs_kennel:
            end = start + timedelta(days=rng.choice([1, 2, 2, 3, 3, 4, 5, 7, 10, 14]))
            types = set(service.kennel_types or ()) or {"RUN", "SUITE", "LUXURY_SUITE", "CAT_CONDO"}
            free = [room for room in cat.kennels if free_from[room[0]] <= start
                    and _fits(room, species, [p[3] for p in party], types)]
            if not free:
                return None  # fully booked that night: the desk would have said so
            room = rng.choice(free)
        status = _status(start, end, today, service.needs_kennel, rng)
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)] \
            if service.price_unit == "PER_DAY" else [start]
        if status in S_LIVE and service.daily_capacity and not service.needs_kennel and any(
                day_used.get((service.id, d), 0) + len(party) > service.daily_capacity for d in days):
            return None  # no place left that day
        return household, service, terms, party, end, room, status, days

    for start in starts:
        for _attempt in range(8):
            chosen = choose(start)
            if chosen is not None:
                break
        else:
            continue
        household, service, terms, party, end, room, status, days = chosen
        live = status in S_LIVE
        quote = pricing.price_quote(service=terms, pets=[pricing.PetIn(label=p[1], species=p[2],
                                                                       household=str(household["id"]))
                                                         for p in party],
                                    start=start, end=end if service.needs_kennel else None, rules=cat.rules,
                                    tax_rate=cat.tax_rate, currency=cat.currency)
        if room is not None and status not in (S.CANCELLED, S.NO_SHOW):
            free_from[room[0]] = end
        rid = uuid.uuid4()
        created = _aware(start - timedelta(days=rng.randint(1, 40)), clock(rng.randint(8, 18), rng.randint(0, 59)), zone)
        arrival = clock(rng.choice([8, 9, 10, 11, 14, 15, 16]), 0)
        row = {"tenant_id": tid, "id": rid, "customer_id": household["id"], "service_id": service.id,
               "status": status.value, "source": "WEB" if rng.random() < 0.7 else "API",
               "confirmation_code": codes.next(), "start_date": start, "end_date": quote.end_date,
               "arrival_time": arrival, "departure_time": clock(11, 0) if service.needs_kennel else None,
               "quote": _plain(quote), "currency": quote.currency, "total_cents": quote.total_cents,
               "deposit_cents": quote.deposit_cents, "created_by": "Scale Seeder", "version": 1,
               "created_at": created, "updated_at": created, "belongings": [], "stay_medications": []}
        if status != S.PENDING:
            row.update(confirmed_at=created, confirmed_by="Scale Seeder")
        checked_in = _aware(start, arrival, zone)
        checked_out = _aware(quote.end_date, clock(rng.randint(8, 12), rng.randint(0, 59)), zone)
        if status in (S.CHECKED_IN, S.CHECKED_OUT):
            row.update(checked_in_at=checked_in, checked_in_by="Scale Seeder", feeding_confirmed=True)
        if status == S.CHECKED_OUT:
            row.update(checked_out_at=checked_out, checked_out_by="Scale Seeder", belongings_returned=True)
        if status == S.CANCELLED:
            row.update(cancelled_at=created + timedelta(days=1), cancelled_by="Scale Seeder", cancel_reason="Plans changed")
        if status == S.NO_SHOW:
            row.update(no_show_at=checked_in + timedelta(hours=4), no_show_by="Scale Seeder")
        res_rows.append(row)
        for position, (pid, _name, _species, _kg) in enumerate(party):
            pet_rows.append({"tenant_id": tid, "reservation_id": rid, "pet_id": pid, "position": position,
                             "kennel_id": room[0] if room else None})
            if live and room is not None:
                night_rows += [{"tenant_id": tid, "kennel_id": room[0], "night": start + timedelta(days=i),
                                "slot": position + 1, "capacity": room[2], "reservation_id": rid, "pet_id": pid,
                                "customer_id": household["id"]} for i in range((end - start).days)]
            elif live and service.daily_capacity:
                for d in days:
                    slot = day_used.get((service.id, d), 0) + 1
                    day_used[(service.id, d)] = slot
                    day_rows.append({"tenant_id": tid, "service_id": service.id, "day": d, "slot": slot,
                                     "capacity": service.daily_capacity, "reservation_id": rid, "pet_id": pid})
        if status == S.CHECKED_OUT:
            issued = checked_out if service.needs_kennel else checked_in + timedelta(hours=2)
            invoices.append((issued, rid, household["id"], row["quote"], quote))
    # Invoices are numbered in the order they were issued: gap-free from 1, as billing._next_number would.
    invoices.sort(key=lambda item: item[0])
    for issued, rid, customer_id, stored, quote in invoices:
        sequence += 1
        iid, number = uuid.uuid4(), f"{prefix}{sequence:06d}"
        drafted = billing.lines_from_quote(stored)
        total = billing.totals(drafted)
        for position, line in enumerate(drafted, start=1):
            lines.append({"tenant_id": tid, "id": uuid.uuid4(), "invoice_id": iid, "position": position,
                          "kind": line.kind.value, "description": line.description, "quantity": line.quantity,
                          "unit_price_cents": line.unit_price_cents, "amount_cents": line.amount_cents,
                          "taxable": line.taxable, "adjustment": False, "reason": "", "created_at": issued,
                          "created_by": "Scale Seeder"})
        owed = total["total_cents"]
        recent = (today - issued.date()).days < 45
        roll = rng.random()
        paid = owed if roll < (0.70 if recent else 0.97) else (owed // 2 if roll < (0.85 if recent else 0.99) else 0)
        status = InvoiceStatus.PAID if paid == owed else InvoiceStatus.PARTIALLY_PAID if paid else InvoiceStatus.ISSUED
        invoices_row = {"tenant_id": tid, "id": iid, "customer_id": customer_id, "reservation_id": rid,
                        "status": status.value, "number": number, "sequence": sequence, "currency": cat.currency,
                        "tax_rate": Decimal(str(stored.get("tax_rate", "0"))), "total_cents": owed,
                        "tax_cents": total["tax_cents"], "paid_cents": paid, "deposit_cents": quote.deposit_cents,
                        "created_by": "Scale Seeder", "issued_at": issued, "issued_by": "Scale Seeder",
                        "version": 1, "created_at": issued, "updated_at": issued}
        ledger.append({"tenant_id": tid, "id": uuid.uuid4(), "customer_id": customer_id, "kind": LedgerKind.INVOICE.value,
                       "description": f"Invoice {number}", "debit_cents": owed, "credit_cents": 0,
                       "credit_change_cents": 0, "invoice_id": iid, "created_at": issued, "created_by": "Scale Seeder"})
        if paid and owed:
            method = rng.choice(METHODS)
            received = issued + timedelta(minutes=rng.randint(1, 20))
            pid = uuid.uuid4()
            payments.append({"tenant_id": tid, "id": pid, "customer_id": customer_id, "invoice_id": iid,
                             "amount_cents": paid, "applied_cents": paid, "credit_cents": 0, "refunded_cents": 0,
                             "method": method.value, "reference": "", "gateway": "MANUAL" if method == PaymentMethod.CARD
                             else "", "gateway_reference": "", "deposit": False, "received_by": "Scale Seeder",
                             "received_at": received, "created_at": received, "updated_at": received})
            ledger.append({"tenant_id": tid, "id": uuid.uuid4(), "customer_id": customer_id,
                           "kind": LedgerKind.PAYMENT.value, "description": f"{number}: {method.value} payment",
                           "debit_cents": 0, "credit_cents": paid, "credit_change_cents": 0, "invoice_id": iid,
                           "payment_id": pid, "created_at": received, "created_by": "Scale Seeder"})
        elif not owed:
            invoices_row["status"] = InvoiceStatus.PAID.value
        invoice_rows.append(invoices_row)
    _bulk(Reservation, res_rows, stats)
    _bulk(ReservationPet, pet_rows, stats)
    _bulk(KennelNight, night_rows, stats)
    _bulk(ServiceDay, day_rows, stats)
    _bulk(Invoice, invoice_rows, stats)
    _bulk(InvoiceLine, lines, stats)
    _bulk(Payment, payments, stats)
    _bulk(LedgerEntry, ledger, stats)
    billing.get_settings(lock=True).next_invoice_number = sequence + 1  # the counter goes on from the last number
    db.session.commit()


# --- the command ------------------------------------------------------------------------------------------


def seed_tenant(plan: TenantSize, *, seed: str = "scale") -> Stats | None:
    """Create one scale tenant with its staff, catalog and history; None when it exists already."""
    try:
        tenants.get_tenant(subdomain=plan.subdomain)
        return None
    except NotFound:
        pass
    stats = Stats()
    tenant = tenants.create_tenant(subdomain=plan.subdomain, name=plan.name, plan=plan.plan, timezone=plan.timezone,
                                   tax_rate=plan.tax_rate)
    rng = random.Random(f"{seed}-{plan.subdomain}")
    with tenant_context(tenant):
        accounts.create_user(email=f"manager@{plan.subdomain}.example", name="Morgan Manager", role=Role.MANAGER,
                             password=PASSWORD)
        _catalog(plan)
        today = tenant_today()
        households = _households(plan, tenant.id, rng, today, stats)
        _bookings(plan, tenant, households, _load_catalog(tenant), rng, today, stats)
    return stats


def seed_scale(*, scale: float = 1.0, small_tenants: int = 199, echo=print) -> dict[str, int]:
    """Seed the large tenant and the small ones; returns rows written by table."""
    total = Stats()
    for n, plan in enumerate(plans(scale=scale, small_tenants=small_tenants)):
        started = time.perf_counter()
        stats = seed_tenant(plan)
        if stats is None:
            echo(f"{plan.subdomain}: exists, kept")
            continue
        for table, count in stats.rows.items():
            total.add(table, count)
        if n <= 1 or n % 25 == 0 or n == small_tenants:
            echo(f"{plan.subdomain}: {stats.rows.get('customers', 0):,} households, "
                 f"{stats.rows.get('reservations', 0):,} reservations, {stats.rows.get('invoices', 0):,} invoices "
                 f"in {time.perf_counter() - started:.1f} s")
    return total.rows


@click.command("seed-scale")
@click.option("--scale", type=click.FloatRange(0.0001, 1.0), default=1.0, show_default=True,
              help="Size of the large tenant (1.0: 50,000 households, 200,000 reservations).")
@click.option("--small-tenants", type=click.IntRange(0, 999), default=199, show_default=True)
@with_appcontext
def seed_scale_command(scale: float, small_tenants: int) -> None:
    """Create one large and many small resorts with two years of history (for bench/scale.py)."""
    started = time.perf_counter()
    rows = seed_scale(scale=scale, small_tenants=small_tenants, echo=click.echo)
    click.echo(", ".join(f"{table} {count:,}" for table, count in rows.items()))
    click.echo(f"done in {time.perf_counter() - started:.0f} s; sign in as manager@<subdomain>.example / {PASSWORD}")
