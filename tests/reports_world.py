"""A resort's money for the report tests, made only through the real services (booking, billing)."""
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import update

from app.core.extensions import db
from app.models import Invoice, Payment, Role
from app.services import billing, catalog, customers, kennels, pets, reservations, tenants
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context


@contextmanager
def as_tenant(app, fx, role=Role.MANAGER):
    """Run service calls as one tenant, with a principal of the given role."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = role
        yield
        db.session.rollback()


def set_timezone(app, fx, zone: str) -> None:
    with as_tenant(app, fx, Role.ADMIN):
        tenants.update_settings(tenant_id=fx.id, timezone=zone)


def make_world(app, fx, *, last_name="Smith") -> dict:
    """8.25% tax; boarding $50/night with a 20% deposit, a $8/day walk, one kennel for two, a household of two dogs."""
    with as_tenant(app, fx, Role.ADMIN):
        tenants.update_settings(tenant_id=fx.id, tax_rate=Decimal("0.0825"))
    with as_tenant(app, fx):
        boarding = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                          price_unit="PER_NIGHT", deposit_kind="PERCENT", deposit_percent=20)
        walk = catalog.create_addon(name="Walk", price_cents=800, unit="PER_DAY", service_ids=[boarding.id])
        kennels.create_kennel(code="A01", type="RUN", size="L", capacity=2)
        kennels.create_kennel(code="A02", type="RUN", size="L", capacity=2)
        household = customers.create_customer(first_name="Ann", last_name=last_name)
        rex = pets.create_pet(customer_id=household.id, name="Rex", species="DOG")
        bella = pets.create_pet(customer_id=household.id, name="Bella", species="DOG")
        return {"boarding": boarding.id, "walk": walk.id, "household": household.id, "rex": rex.id,
                "bella": bella.id}


def day(offset: int) -> date:
    return tenant_today() + timedelta(days=offset)


def book(w, start=10, nights=3, pets_=("rex", "bella"), customer=None):
    """A stay booked by a manager (vaccines on paper), with the walk add-on."""
    role, g.principal_role = g.principal_role, Role.MANAGER
    booked = reservations.book_stay(customer_id=customer or w["household"], service_id=w["boarding"],
                                    start_date=day(start), end_date=day(start + nights),
                                    pets=[{"pet_id": w[p]} for p in pets_],
                                    addons=[{"addon_id": w["walk"], "quantity": 1}],
                                    vaccine_override_reason="test: records on paper")
    g.principal_role = role
    return booked.reservation


def stay_invoice(w, **kw):
    reservation = book(w, **kw)
    return reservation, billing.create_invoice(reservation_id=reservation.id, issue=True)


def local(on: date, at: time, zone: str) -> datetime:
    """An aware UTC instant for a local wall-clock time in a zone."""
    return datetime.combine(on, at, ZoneInfo(zone)).astimezone(UTC)


def move_payment(payment_id, when: datetime) -> None:
    """Backdate a payment made through the service to a chosen instant (the service stamps 'now')."""
    db.session.execute(update(Payment).where(Payment.id == payment_id).values(received_at=when))
    db.session.commit()


def move_issue(invoice_id, when: datetime) -> None:
    """Backdate an invoice's issue instant (the service stamps 'now')."""
    db.session.execute(update(Invoice).where(Invoice.id == invoice_id).values(issued_at=when))
    db.session.commit()
