"""`seed-scale` at a tiny scale: the data it writes keeps every invariant the app relies on.

The module runs the command once (emptying the tables before and after) and each test reads back what it wrote:
unscoped, as the owner would, for the cross-tenant checks, and through the real services inside one
tenant for the derived figures.
"""
import uuid
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.extensions import db
from app.demo import scale
from app.models import (
    BillingSettings,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Kennel,
    KennelNight,
    LedgerEntry,
    Payment,
    Pet,
    Reservation,
    ReservationPet,
    ReservationStatus,
    Service,
    ServiceDay,
    Tenant,
    Vaccination,
)
from app.services import billing, boards, pricing, reports, reservations
from app.tenancy import tenant_context, unscoped
from tests.conftest import _clean

SCALE, SMALL = 0.002, 3
S = ReservationStatus
HOLDS_PLACES = (S.PENDING, S.CONFIRMED, S.CHECKED_IN)


@pytest.fixture(autouse=True)
def clean_state():
    """Overrides the per-test cleaner: the module seeds once (`world`) and cleans around itself."""
    yield


@pytest.fixture(scope="module")
def world(app):
    _clean(app)
    yield _seed(app)
    _clean(app)


def test_the_command_keeps_existing_tenants(app, world):
    result = app.test_cli_runner().invoke(args=["seed-scale", "--scale", str(SCALE), "--small-tenants", str(SMALL)])
    assert result.exit_code == 0
    assert f"{scale.LARGE_SUBDOMAIN}: exists, kept" in result.output
    with app.app_context(), unscoped():
        assert db.session.scalar(select(func.count()).select_from(Tenant)) == SMALL + 2


def _seed(app) -> dict:
    result = app.test_cli_runner().invoke(args=["seed-scale", "--scale", str(SCALE), "--small-tenants", str(SMALL)])
    assert result.exit_code == 0, result.output
    with app.app_context(), app.test_request_context(), unscoped():
        tenants = {t.subdomain: t for t in db.session.execute(select(Tenant)).scalars()}
        db.session.expunge_all()
    return tenants


def _rows(model, tenant_id=None):
    stmt = select(model)
    if tenant_id is not None:
        stmt = stmt.where(model.tenant_id == tenant_id)
    return list(db.session.execute(stmt).scalars())


def test_one_large_and_the_small_tenants_with_the_planned_volume(app, world):
    plans = {p.subdomain: p for p in scale.plans(scale=SCALE, small_tenants=SMALL)}
    assert set(world) == set(plans)
    with app.app_context(), unscoped():
        for subdomain, plan in plans.items():
            tid = world[subdomain].id
            households = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.tenant_id == tid))
            booked = db.session.scalar(select(func.count()).select_from(Reservation).where(Reservation.tenant_id == tid))
            assert households == plan.households
            # A few draws find every kennel of the right kind taken and are dropped, as a desk would refuse them.
            assert plan.reservations * 0.9 <= booked <= plan.reservations
            assert db.session.scalar(select(func.count()).select_from(Pet).where(Pet.tenant_id == tid)) >= households
            assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.tenant_id == tid)) > 0
    large = plans[scale.LARGE_SUBDOMAIN]
    assert large.households > max(p.households for p in plans.values() if p is not large)


def test_no_kennel_holds_two_stays_on_a_night(app, world):
    """Stays that sleep (not cancelled, not no-shows) never overlap in a kennel; live ones hold their nights."""
    with app.app_context(), unscoped():
        nights: dict[tuple, set] = defaultdict(set)
        for r, line in db.session.execute(select(Reservation, ReservationPet)
                                          .join(ReservationPet, ReservationPet.reservation_id == Reservation.id)
                                          .where(ReservationPet.kennel_id.is_not(None))):
            if r.status in (S.CANCELLED, S.NO_SHOW):
                continue
            assert line.tenant_id == r.tenant_id
            for i in range((r.end_date - r.start_date).days):
                nights[(line.kennel_id, r.start_date + timedelta(days=i))].add(r.customer_id)
        assert nights, "the seed booked no kennels"
        assert all(len(households) == 1 for households in nights.values())
        held = {(n.kennel_id, n.night, n.reservation_id, n.pet_id) for n in _rows(KennelNight)}
        expected = set()
        for r, line in db.session.execute(select(Reservation, ReservationPet)
                                          .join(ReservationPet, ReservationPet.reservation_id == Reservation.id)
                                          .where(ReservationPet.kennel_id.is_not(None),
                                                 Reservation.status.in_(HOLDS_PLACES))):
            expected |= {(line.kennel_id, r.start_date + timedelta(days=i), r.id, line.pet_id)
                         for i in range((r.end_date - r.start_date).days)}
        assert held == expected
        kennels = {k.id: k for k in _rows(Kennel)}
        for night in _rows(KennelNight):
            assert night.capacity == kennels[night.kennel_id].capacity and 1 <= night.slot <= night.capacity
        for day in _rows(ServiceDay):
            assert 1 <= day.slot <= day.capacity


def test_statuses_follow_the_dates(app, world):
    with app.app_context(), unscoped():
        for tenant in world.values():
            with tenant_context(tenant):
                today = reservations.tenant_now().date()
                services = {s.id: s for s in _rows(Service)}
                for r in _rows(Reservation):
                    if r.status == S.CHECKED_OUT:
                        assert r.checked_out_at is not None and r.start_date <= today
                    if r.status == S.CHECKED_IN:
                        assert r.start_date <= today <= r.end_date and services[r.service_id].needs_kennel \
                            or r.start_date == today
                    if r.status in (S.PENDING, S.CONFIRMED):
                        assert r.start_date >= today


def test_invoice_numbers_are_gap_free_per_tenant_and_the_counter_follows(app, world):
    with app.app_context(), unscoped():
        for tenant in world.values():
            invoices = sorted(_rows(Invoice, tenant.id), key=lambda i: i.sequence)
            settings = db.session.execute(select(BillingSettings).where(BillingSettings.tenant_id == tenant.id)
                                          ).scalar_one()
            assert [i.sequence for i in invoices] == list(range(1, len(invoices) + 1))
            assert [i.number for i in invoices] == [f"{settings.invoice_prefix}{n:06d}" for n in range(1, len(invoices) + 1)]
            assert [i.issued_at for i in invoices] == sorted(i.issued_at for i in invoices)  # numbered as issued
            assert settings.next_invoice_number == len(invoices) + 1


def test_invoices_are_the_stays_price_snapshots_and_payments_never_exceed_them(app, world):
    with app.app_context(), unscoped():
        stays = {r.id: r for r in _rows(Reservation)}
        lines = defaultdict(list)
        for line in _rows(InvoiceLine):
            lines[line.invoice_id].append(line)
        paid = defaultdict(int)
        for payment in _rows(Payment):
            assert payment.applied_cents + payment.credit_cents == payment.amount_cents
            paid[payment.invoice_id] += payment.applied_cents
        invoices = _rows(Invoice)
        assert {i.reservation_id for i in invoices} == {r.id for r in stays.values() if r.status == S.CHECKED_OUT}
        for invoice in invoices:
            stay = stays[invoice.reservation_id]
            assert invoice.customer_id == stay.customer_id and invoice.tenant_id == stay.tenant_id
            mine = sorted(lines[invoice.id], key=lambda line: line.position)
            expected = billing.lines_from_quote(stay.quote)
            assert [(m.kind, m.description, m.quantity, m.amount_cents) for m in mine] == \
                [(e.kind, e.description, e.quantity, e.amount_cents) for e in expected]
            assert invoice.total_cents == sum(m.amount_cents for m in mine) == stay.total_cents
            assert invoice.paid_cents == paid[invoice.id] <= invoice.total_cents
            want = (InvoiceStatus.PAID if invoice.paid_cents == invoice.total_cents else
                    InvoiceStatus.PARTIALLY_PAID if invoice.paid_cents else InvoiceStatus.ISSUED)
            assert invoice.status == want


def test_stored_quotes_are_what_the_quote_engine_gives_today(app, world):
    """The seed's snapshot is reservations.snapshot() of the real engine's quote for the same booking."""
    with app.app_context(), app.test_request_context():
        tenant = world[scale.LARGE_SUBDOMAIN]
        with tenant_context(tenant):
            sample = db.session.execute(select(Reservation).order_by(Reservation.confirmation_code).limit(40)
                                        ).scalars().all()
            for r in sample:
                unit = r.quote["unit"]
                quote = pricing.quote_stay(service_id=r.service_id, start_date=r.start_date,
                                           end_date=r.end_date if unit != "appointment" or r.end_date != r.start_date
                                           else None, pets=[{"pet_id": line.pet_id} for line in r.pets])
                assert reservations.snapshot(quote) == r.quote
                assert quote.total_cents == r.total_cents and quote.deposit_cents == r.deposit_cents


def test_ledger_balances_are_the_open_invoices(app, world):
    with app.app_context(), app.test_request_context():
        for tenant in world.values():
            with tenant_context(tenant):
                owed = defaultdict(int)
                for invoice in _rows(Invoice):
                    owed[invoice.customer_id] += billing.balance_of(invoice)
                customers = [c.id for c in _rows(Customer)]
                assert billing.balances(customers) == {c: owed.get(c, 0) for c in customers}
                assert any(owed.values()) or tenant.subdomain != scale.LARGE_SUBDOMAIN
                someone = max(customers, key=lambda c: owed.get(c, 0))
                ledger = billing.customer_ledger(customer_id=someone)
                assert ledger["balance_cents"] == ledger["open_invoices_cents"] == owed.get(someone, 0)


def test_nothing_points_at_another_tenant(app, world):
    """Every reference resolves inside its own tenant (the composite keys say so; this reads it back)."""
    with app.app_context(), unscoped():
        tenant_of = {}
        for model in (Customer, Pet, Reservation, Invoice, Payment, Kennel, Service):
            tenant_of.update({row.id: row.tenant_id for row in _rows(model)})
        checks = [(Pet, "customer_id"), (Vaccination, "pet_id"), (Reservation, "customer_id"),
                  (Reservation, "service_id"), (ReservationPet, "reservation_id"), (ReservationPet, "pet_id"),
                  (ReservationPet, "kennel_id"), (KennelNight, "reservation_id"), (KennelNight, "kennel_id"),
                  (ServiceDay, "service_id"), (Invoice, "customer_id"), (Invoice, "reservation_id"),
                  (InvoiceLine, "invoice_id"), (Payment, "invoice_id"), (Payment, "customer_id"),
                  (LedgerEntry, "customer_id"), (LedgerEntry, "invoice_id"), (LedgerEntry, "payment_id")]
        for model, column in checks:
            for row in _rows(model):
                target = getattr(row, column)
                if target is not None:
                    assert tenant_of.get(target) == row.tenant_id, f"{model.__tablename__}.{column}"
        assert len({t for t in tenant_of.values()}) == SMALL + 2


def test_the_desk_and_reports_read_the_seeded_large_tenant(app, world):
    """The services the bench times run on the data, with figures that agree with the rows."""
    with app.app_context(), app.test_request_context():
        tenant = world[scale.LARGE_SUBDOMAIN]
        with tenant_context(tenant):
            sheet = boards.day_sheet()
            grid = boards.kennel_grid()
            assert len(grid.rows) == db.session.scalar(select(func.count()).select_from(Kennel))
            assert sheet.pets_tonight == db.session.scalar(select(func.count()).select_from(KennelNight)
                                                           .where(KennelNight.night == sheet.day))
            busiest = db.session.execute(select(func.min(Payment.received_at))).scalar_one()
            day = busiest.astimezone(reports._zone()).date()
            start, end = reports.local_bounds(day, day)
            report = reports.close_out(day=day)
            taken = db.session.scalar(select(func.sum(Payment.amount_cents))
                                      .where(Payment.received_at >= start, Payment.received_at < end))
            assert report["money_in_cents"] + sum(p["amount_cents"] for p in report["payments"]
                                                  if p["method"] == "ACCOUNT_CREDIT") == taken
            page, total = reservations.list_reservations(page=1, page_size=25)
            assert len(page) == 25 and total >= 25
            assert uuid.UUID(str(page[0].id))


def test_the_new_resort_has_the_large_ones_building_and_only_a_month_of_history(app, world):
    from datetime import timedelta

    from app.models import Kennel
    from app.services.compliance import tenant_today
    from app.tenancy import tenant_context

    large, new = world[scale.LARGE_SUBDOMAIN], world[scale.NEW_SUBDOMAIN]
    with app.app_context(), unscoped():
        kennels = {t.subdomain: db.session.scalar(select(func.count()).select_from(Kennel)
                                                   .where(Kennel.tenant_id == t.id)) for t in (large, new)}
        first = {t.subdomain: db.session.scalar(select(func.min(Reservation.start_date))
                                                 .where(Reservation.tenant_id == t.id)) for t in (large, new)}
    with app.app_context(), tenant_context(new):
        today = tenant_today()
    assert kennels[large.subdomain] == kennels[new.subdomain]
    assert first[new.subdomain] >= today - timedelta(days=scale.NEW_HISTORY_DAYS)
    assert first[large.subdomain] < today - timedelta(days=scale.NEW_HISTORY_DAYS * 10)
