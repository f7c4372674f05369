"""Data makers shared by the isolation suites: each area registers how to give a tenant some rows."""
from collections.abc import Callable

from app.core.extensions import db
from app.models import Role, Tenant
from app.tenancy import tenant_context, unscoped

# Each maker gives tenant `fx` at least one row of the models of its area (inside a tenant context).
ROW_MAKERS: list[Callable] = []


def row_maker(fn: Callable) -> Callable:
    """Register a function(app, fx) that creates rows for fx's tenant."""
    ROW_MAKERS.append(fn)
    return fn


@row_maker
def _accounts_rows(app, fx) -> None:
    """Users, keys and audit events exist already; a reset request adds a token and an outbox mail, a sign-in a session."""
    from app.services import accounts, sessions

    accounts.request_password_reset(email=fx.email(Role.STAFF))
    sessions.start_session(user_id=fx.users[Role.STAFF])


@row_maker
def _customer_rows(app, fx) -> None:
    """A tagged household with a pet and a vaccination (requirements come with every new tenant)."""
    from datetime import date

    from app.models import Species
    from app.services import customers, pets

    customer = customers.create_customer(first_name="Row", last_name="Maker", tags=["vip"])
    pet = pets.create_pet(customer_id=customer.id, name="Rowdy", species=Species.DOG)
    pets.add_vaccination(pet_id=pet.id, vaccine="Rabies", given_on=date(2026, 1, 1), expires_on=date(2029, 1, 1))


def give_every_scoped_model_rows(app, fx) -> None:
    """Run every registered maker for fx's tenant."""
    with app.app_context(), app.test_request_context(base_url=fx.base_url):
        with unscoped():
            tenant = db.session.get(Tenant, fx.id)
        with tenant_context(tenant):
            for maker in ROW_MAKERS:
                maker(app, fx)


@row_maker
def _catalog_and_kennel_rows(app, fx) -> None:
    """A service, an add-on linked to it, a price rule linked to it, and a kennel."""
    from app.models import AddOnUnit, AmountType, KennelSize, KennelType, PriceUnit, RuleEffect, RuleKind
    from app.services import catalog, kennels

    service = catalog.create_service(name="Boarding", category="BOARDING", price_cents=4500,
                                     price_unit=PriceUnit.PER_NIGHT)
    catalog.create_addon(name="Extra walk", price_cents=800, unit=AddOnUnit.PER_DAY, service_ids=[service.id])
    catalog.create_price_rule(name="Second dog", kind=RuleKind.ADDITIONAL_PET, from_pet=2, effect=RuleEffect.DISCOUNT,
                              amount_type=AmountType.PERCENT, percent=10, service_ids=[service.id])
    kennels.create_kennel(code="A01", type=KennelType.RUN, size=KennelSize.L)


@row_maker
def _reservation_rows(app, fx) -> None:
    """A boarding stay with an add-on in the kennel (kennel nights) and a daycare day of a capped service."""
    from datetime import timedelta

    from flask import g
    from sqlalchemy import select

    from app.models import AddOn, Customer, Pet, PriceUnit, Service
    from app.services import catalog, reservations
    from app.services.compliance import tenant_today

    g.principal_role = Role.MANAGER  # vaccines are not on file: the booking is a manager's override
    boarding = db.session.execute(select(Service).where(Service.name == "Boarding")).scalar_one()
    addon = db.session.execute(select(AddOn)).scalars().first()
    customer = db.session.execute(select(Customer)).scalars().first()
    pet = db.session.execute(select(Pet).where(Pet.customer_id == customer.id)).scalars().first()
    start = tenant_today() + timedelta(days=1)
    reservations.book_stay(customer_id=customer.id, service_id=boarding.id, start_date=start,
                           end_date=start + timedelta(days=2), pets=[{"pet_id": pet.id}],
                           addons=[{"addon_id": addon.id, "quantity": 1}], vaccine_override_reason="row maker")
    daycare = catalog.create_service(name="Daycare", category="DAYCARE", price_cents=3000,
                                     price_unit=PriceUnit.PER_DAY, daily_capacity=10)
    reservations.book_stay(customer_id=customer.id, service_id=daycare.id, start_date=start, end_date=start,
                           pets=[{"pet_id": pet.id}], vaccine_override_reason="row maker")


@row_maker
def _idempotency_rows(app, fx) -> None:
    """A recorded Idempotency-Key (as a creating POST with the header leaves one)."""
    from app.models import IdempotencyKey

    db.session.add(IdempotencyKey(key="row-maker", request_hash="0" * 64, response_status=201, response_body="{}"))
    db.session.commit()


@row_maker
def _message_rows(app, fx) -> None:
    """A resort's own wording for one message (message_templates)."""
    from flask import g

    from app.services import templates

    g.principal_role = Role.MANAGER
    templates.save_template(kind="arrival_reminder", channel="SMS", subject="", body="See {pet_names} tomorrow!")


@row_maker
def _billing_rows(app, fx) -> None:
    """The boarding stay's invoice issued, a card payment on it (manual terminal) and a partial refund."""
    from flask import g
    from sqlalchemy import select

    from app.models import Reservation, Service
    from app.services import billing

    g.principal_role = Role.MANAGER  # refunds are a manager's
    boarding = db.session.execute(select(Service.id).where(Service.name == "Boarding")).scalar_one()
    stay = db.session.execute(select(Reservation.id).where(Reservation.service_id == boarding)).scalar_one()
    payment = billing.record_payment(reservation_id=stay, amount_cents=2000, method="CARD", approval_code="ROW-01")
    billing.refund_payment(payment_id=payment.id, amount_cents=500, reason="row maker")


@row_maker
def _webhook_rows(app, fx) -> None:
    """An endpoint (nothing listens on port 9: the ping fails at once) with its one delivery and attempt."""
    from app.services import webhooks

    endpoint = webhooks.create_endpoint(url="http://127.0.0.1:9/hooks", event_types=["payment.recorded"])
    webhooks.send_ping(endpoint_id=endpoint.id)
    from app.jobs import run_inline_jobs

    run_inline_jobs()


@row_maker
def _deletion_rows(app, fx) -> None:
    """A tombstone: a household added and deleted again."""
    from app.services import customers

    gone = customers.create_customer(first_name="Passing", last_name="Through")
    customers.delete_customer(customer_id=gone.id)
