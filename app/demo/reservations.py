"""Demo bookings around today: pets in house, arrivals and departures, daycare, grooming and the next weeks."""
import random
from datetime import timedelta

from flask import g
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.errors import DomainError
from app.core.extensions import db
from app.demo import seeder
from app.models import Customer, Reservation, Role, Service
from app.services import reservations
from app.services.compliance import tenant_today

OVERRIDE = "Demo data: the certificate is on file at the front desk."
# (offset of arrival from today, nights, what happens at the desk before the demo starts)
BOARDING = [(-1, 3, "in"), (-1, 1, "in"), (-1, 5, "in"), (-1, 2, "in"), (-1, 4, "in"),  # in house / leaving
            (0, 2, "confirm"), (0, 4, "confirm"), (0, 7, "confirm"), (0, 3, None),  # arriving today
            (1, 3, "confirm"), (2, 2, None), (3, 5, "confirm"), (4, 10, "confirm"), (6, 2, None), (8, 4, "confirm"),
            (9, 3, None), (11, 6, "confirm"), (12, 2, None)]
DAYCARE_TODAY = 8
GROOMING_TODAY = 3


def _book(service_ids: list, customer_id, pets: list, start, end, action: str | None) -> None:
    """Book through the real service, trying each service in turn (a Great Dane needs a suite); else skip it."""
    if not pets:
        return
    for service_id in service_ids:
        try:
            booked = reservations.book_stay(customer_id=customer_id, service_id=service_id, start_date=start,
                                            end_date=end, pets=[{"pet_id": p} for p, _ in pets],
                                            together=len(pets) > 1, vaccine_override_reason=OVERRIDE,
                                            confirm=action in ("confirm", "in"))
            break
        except DomainError:
            continue
    else:
        return
    if action == "in":
        reservations.check_in(reservation_id=booked.reservation.id, feeding_confirmed=True,
                              belongings=["Bed", "Leash"], vaccine_override_reason=OVERRIDE)


@seeder
def seed_reservations(spec: dict) -> None:
    """A lived-in front desk for today, once per demo tenant (skipped when bookings exist)."""
    if db.session.execute(select(Reservation.id).limit(1)).first():
        return
    g.principal_role = Role.MANAGER  # the seeder books as a manager would (vaccine overrides are audited)
    rng = random.Random(f"bookings-{spec['subdomain']}")
    today = tenant_today()
    services = {s.name: s.id for s in db.session.execute(select(Service)).scalars()}
    # Plain ids, read once: every booking commits, which expires loaded rows.
    households = [(c.id, [(p.id, p.species.value) for p in c.pets if p.active]) for c in db.session.execute(
        select(Customer).where(Customer.active.is_(True)).options(selectinload(Customer.pets))
        .order_by(Customer.last_name, Customer.first_name, Customer.id)).scalars()]
    rng.shuffle(households)
    queue = iter(households)
    for offset, nights, action in BOARDING:
        customer, pets = next(queue)
        dogs = [p for p in pets if p[1] == "DOG"]
        cats = [p for p in pets if p[1] == "CAT"]
        choices, pets = ([services["Overnight boarding - standard run"], services["Overnight boarding - suite"]],
                         dogs) if dogs else ([services["Cat condo boarding"]], cats)
        if offset == 0 and nights >= 7:
            choices.reverse()  # the long stay arriving today is in a suite
        start = today + timedelta(days=offset)
        _book(choices, customer, pets, start, start + timedelta(days=nights), action)
    for _ in range(DAYCARE_TODAY):
        customer, pets = next(queue)
        _book([services["Doggy daycare - full day"]], customer, [p for p in pets if p[1] == "DOG"][:1], today, today,
              "confirm")
    for _ in range(GROOMING_TODAY):
        customer, pets = next(queue)
        _book([services["Bath & brush"]], customer, pets[:1], today, None, "confirm")
