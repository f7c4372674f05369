"""The front desk's views of a day: the day sheet (today board), the kennel grid and kennel cards.

Each is a constant number of queries whatever the data: one for the reservations that touch the
range (ix_reservations_tenant_end: `end_date >= first day` picks the recent tail and its
start_date column leaves in the index the stays that start after the range), one per related
table loaded in bulk, one for the nights in the range.
"""
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from app.core.extensions import db
from app.models import (
    Customer,
    Kennel,
    KennelNight,
    Pet,
    Reservation,
    ReservationPet,
    ReservationStatus,
    Service,
    ServiceCategory,
)
from app.services import billing, compliance

S = ReservationStatus
SHOWN = (S.PENDING, S.CONFIRMED, S.CHECKED_IN, S.CHECKED_OUT)  # cancelled and no-shows leave the boards
MAX_GRID_DAYS = 31
GRID_KENNELS = 50  # kennels per grid page: a large building is paged, so each page costs what a small resort's grid does


def _touching(first: date, last: date, statuses=SHOWN, *, kennels_only: bool = False, brief: bool = True):
    """Reservations whose dates touch first..last, with customer, service, pets and kennels (5 queries, 7 kennels_only).

    kennels_only keeps the stays of services that need a kennel (the grid and the cards): a large
    resort's daycare and grooming days would otherwise be loaded, with their households and pets,
    only to be thrown away. Those are picked by id from the date-range scan first: a service_id
    condition in the main query leads PostgreSQL to ix_reservations_tenant_service, which walks each
    kennel service's whole history (it cannot know the large tenant's services hold most rows).

    brief loads only the columns the day sheet and the grid show (a full household or pet row is
    addresses, notes and JSON medications, per entry); the kennel cards show the pet in full.
    """
    touching = _touching_range(first, last, statuses)
    stmt = _with_board_details(select(Reservation).where(*touching), brief=brief)
    if kennels_only:
        kennel_services = set(db.session.execute(select(Service.id).where(Service.needs_kennel.is_(True))).scalars())
        ids = [rid for rid, service_id in db.session.execute(select(Reservation.id, Reservation.service_id)
                                                             .where(*touching)) if service_id in kennel_services]
        stmt = stmt.where(Reservation.id.in_(ids))
    return list(db.session.execute(stmt).scalars())


def _touching_range(first: date, last: date, statuses=SHOWN) -> tuple:
    return Reservation.end_date >= first, Reservation.start_date <= last, Reservation.status.in_(statuses)


def _with_board_details(stmt, *, brief: bool):
    """A reservation SELECT in board order, with what the boards show loaded in bulk (5 queries)."""
    pet_of_line = selectinload(Reservation.pets).selectinload(ReservationPet.pet)
    kennel_of_line = selectinload(Reservation.pets).selectinload(ReservationPet.kennel)
    customer = selectinload(Reservation.customer)
    if brief:  # what the entries and the check-in form they open show (the constant-query tests catch a lazy load)
        pet_of_line = pet_of_line.load_only(Pet.name, Pet.species, Pet.alert_flags, Pet.medications,
                                            Pet.feeding_instructions)
        kennel_of_line = kennel_of_line.load_only(Kennel.code)
        customer = customer.load_only(Customer.first_name, Customer.last_name)
    return (stmt.order_by(Reservation.start_date, Reservation.arrival_time, Reservation.created_at, Reservation.id)
            .options(customer, selectinload(Reservation.service), pet_of_line, kennel_of_line,
                     # The boards never show the price breakdown: a long stay's snapshot is kilobytes of JSON per row.
                     defer(Reservation.quote, raiseload=True)))


def _vaccine_problems(reservations: list[Reservation], day: date) -> dict[uuid.UUID, list[str]]:
    """{pet_id: ["Rabies expired", ...]} for the pets on these reservations, for their stays (one query)."""
    records = compliance.records_by_pet({line.pet_id for r in reservations for line in r.pets})
    requirements = compliance.requirement_map()  # once: per pet it was a cache round trip each
    problems: dict[uuid.UUID, list[str]] = {}
    for r in reservations:
        for line in r.pets:
            result = compliance.pet_compliance(species=line.pet.species, records=records[line.pet_id],
                                               category=r.service.category, start=max(day, r.start_date),
                                               end=max(r.end_date, day), requirements=requirements)
            bad = [f"{v.vaccine} {v.status.value.lower().replace('_', ' ')}" for v in result.vaccines
                   if v.status != compliance.Status.CURRENT]
            if bad:
                problems[line.pet_id] = bad
    return problems


@dataclass
class SheetEntry:
    """One reservation on the sheet, with what the desk must notice."""

    reservation: Reservation
    vaccine_problems: dict[uuid.UUID, list[str]]
    balance_cents: int = 0  # what the household owes overall (open invoices minus credit), for the unpaid badge

    @property
    def alerts(self) -> list[str]:
        return sorted({flag for line in self.reservation.pets for flag in (line.pet.alert_flags or [])})

    @property
    def has_vaccine_problem(self) -> bool:
        return any(self.vaccine_problems.get(line.pet_id) for line in self.reservation.pets)


@dataclass
class DaySheet:
    day: date
    arrivals: list[SheetEntry] = field(default_factory=list)
    departures: list[SheetEntry] = field(default_factory=list)
    in_house: list[SheetEntry] = field(default_factory=list)
    daycare: list[SheetEntry] = field(default_factory=list)
    appointments: list[SheetEntry] = field(default_factory=list)  # grooming and training
    pets_tonight: int = 0
    capacity_tonight: int = 0

    @property
    def counts(self) -> dict[str, int]:
        pets = lambda entries: sum(len(e.reservation.pets) for e in entries)  # noqa: E731
        return {"arrivals": pets(self.arrivals), "departures": pets(self.departures), "in_house": pets(self.in_house),
                "daycare": pets(self.daycare), "appointments": pets(self.appointments),
                "pets_tonight": self.pets_tonight, "capacity_tonight": self.capacity_tonight}


def day_sheet(*, day: date | None = None) -> DaySheet:
    """Arrivals, departures, in house, daycare and appointments for one tenant-local day, and tonight's occupancy."""
    day = day or compliance.tenant_today()
    reservations = _touching(day, day)
    problems = _vaccine_problems(reservations, day)
    owed = billing.balances(list({r.customer_id for r in reservations}))  # one query for every household
    sheet = DaySheet(day=day)
    for r in reservations:
        entry = SheetEntry(r, {line.pet_id: problems.get(line.pet_id, []) for line in r.pets},
                           owed.get(r.customer_id, 0))
        status = ReservationStatus(r.status)
        if r.service.needs_kennel:
            if r.start_date == day and status != S.CHECKED_OUT:
                sheet.arrivals.append(entry)
            if r.end_date == day and status != S.PENDING:
                sheet.departures.append(entry)
            staying = r.start_date <= day < r.end_date
            expected = day > compliance.tenant_today() and status in (S.PENDING, S.CONFIRMED) and r.start_date < day
            if staying and (status == S.CHECKED_IN or expected):
                sheet.in_house.append(entry)
        elif r.service.category == ServiceCategory.DAYCARE:
            sheet.daycare.append(entry)
        else:
            sheet.appointments.append(entry)
    sheet.pets_tonight = db.session.scalar(select(func.count()).select_from(KennelNight)
                                           .where(KennelNight.night == day)) or 0
    sheet.capacity_tonight = db.session.scalar(select(func.coalesce(func.sum(Kennel.capacity), 0))
                                               .where(Kennel.active.is_(True))) or 0
    return sheet


# --- the kennel grid ---------------------------------------------------------------------------


@dataclass
class GridCell:
    """One pet's night (or day) in one kennel."""

    reservation_id: uuid.UUID
    status: ReservationStatus
    pet: str
    customer: str
    flags: list[str]
    starts: bool  # the first night of the stay in this kennel


@dataclass
class KennelGrid:
    start: date
    dates: list[date]
    rows: list[tuple[Kennel, list[list[GridCell]]]]
    page: int = 1
    pages: int = 1
    kennels: int = 0  # active kennels in all
    per_page: int = GRID_KENNELS

    @property
    def first(self) -> int:
        """Board position of the page's first kennel (1-based; 0 when there are none)."""
        return (self.page - 1) * self.per_page + 1 if self.rows else 0


def kennel_grid(*, start: date | None = None, days: int = 14, page: int = 1,
                per_page: int = GRID_KENNELS) -> KennelGrid:
    """Kennels x days: who sleeps where each night (moves included), in board order, one page of kennels at a time.

    A page is `per_page` kennels, so a large building costs what a small one does per page; only the
    stays with a night (or a checked-out line) in the page's kennels are loaded. 6-7 queries + relations.
    """
    start = start or compliance.tenant_today()
    days = max(1, min(days, MAX_GRID_DAYS))
    dates = [start + timedelta(days=i) for i in range(days)]
    active = Kennel.active.is_(True)
    total = db.session.scalar(select(func.count()).select_from(Kennel).where(active)) or 0
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    kennels = list(db.session.execute(select(Kennel).where(active).order_by(Kennel.sort_order, Kennel.code, Kennel.id)
                                      .offset((page - 1) * per_page).limit(per_page)).scalars())
    kennel_ids = [k.id for k in kennels]
    live_nights = db.session.execute(select(KennelNight.kennel_id, KennelNight.night, KennelNight.reservation_id,
                                            KennelNight.pet_id)
                                     .where(KennelNight.night >= start, KennelNight.night <= dates[-1],
                                            KennelNight.kennel_id.in_(kennel_ids))
                                     .order_by(KennelNight.night)).all()
    # Stays already checked out hold no nights any more: they are shown where they slept last.
    # Two steps on purpose: the few checked-out stays in the range first, then their lines in the page's
    # kennels. As one statement PostgreSQL starts from the kennels' lines: each kennel's whole history.
    checked_out = list(db.session.execute(select(Reservation.id).where(
        *_touching_range(start, dates[-1], (S.CHECKED_OUT,)))).scalars())
    left = db.session.execute(select(ReservationPet.reservation_id)
                              .where(ReservationPet.reservation_id.in_(checked_out),
                                     ReservationPet.kennel_id.in_(kennel_ids))).scalars() if checked_out else []
    ids = {row.reservation_id for row in live_nights} | set(left)
    shown = _touching_range(start, dates[-1])
    reservations = {r.id: r for r in db.session.execute(
        _with_board_details(select(Reservation).where(Reservation.id.in_(ids), *shown), brief=True)).scalars()}
    cells: dict[tuple[uuid.UUID, date], list[GridCell]] = defaultdict(list)
    placed = {tuple(row) for row in live_nights}
    held = set()
    for kennel_id, night, reservation_id, pet_id in live_nights:
        r = reservations.get(reservation_id)
        if r is None:
            continue
        held.add(reservation_id)
        line = next(line for line in r.pets if line.pet_id == pet_id)
        # A stay "starts" in a kennel on its first night there: the arrival, or the night it moved in.
        moved_in = (kennel_id, night - timedelta(days=1), reservation_id, pet_id) not in placed
        cells[(kennel_id, night)].append(_cell(r, line, starts=night == start or moved_in))
    for r in reservations.values():
        if r.id in held or not r.service.needs_kennel or ReservationStatus(r.status) != S.CHECKED_OUT:
            continue
        for line in r.pets:
            for night in dates:
                if line.kennel_id and r.start_date <= night < r.end_date:
                    cells[(line.kennel_id, night)].append(_cell(r, line, starts=night == r.start_date))
    return KennelGrid(start=start, dates=dates, rows=[(k, [cells.get((k.id, d), []) for d in dates]) for k in kennels],
                      page=page, pages=pages, kennels=total, per_page=per_page)


def _cell(r: Reservation, line: ReservationPet, *, starts: bool) -> GridCell:
    return GridCell(reservation_id=r.id, status=ReservationStatus(r.status), pet=line.pet.name,
                    customer=r.customer.full_name, flags=list(line.pet.alert_flags or []), starts=starts)


# --- kennel cards ------------------------------------------------------------------------------


@dataclass
class KennelCard:
    pet: Pet
    owner: Customer
    kennel: Kennel | None
    reservation: Reservation
    stay_medications: list[dict]
    vaccine_problems: list[str]


def kennel_cards(*, day: date | None = None) -> list[KennelCard]:
    """A card for every pet in house on the day (checked in, or booked to be there), in kennel order."""
    day = day or compliance.tenant_today()
    reservations = [r for r in _touching(day, day, statuses=(S.CONFIRMED, S.CHECKED_IN), kennels_only=True, brief=False)
                    if r.service.needs_kennel and r.start_date <= day < r.end_date]
    problems = _vaccine_problems(reservations, day)
    cards = []
    for r in reservations:
        for line in r.pets:
            meds = [m for m in (r.stay_medications or []) if m.get("pet_id") == str(line.pet_id)]
            cards.append(KennelCard(pet=line.pet, owner=r.customer, kennel=line.kennel, reservation=r,
                                    stay_medications=meds, vaccine_problems=problems.get(line.pet_id, [])))
    cards.sort(key=lambda c: (c.kennel.sort_order if c.kennel else 0, c.kennel.code if c.kennel else "", c.pet.name))
    return cards
