"""Demo data: each demo resort gets a price list and ~40 kennels, once, however often seed-demo runs."""
from sqlalchemy import func, select

from app.core.extensions import db
from app.models import AddOn, Kennel, PriceRule, Service, Tenant
from app.services import pricing
from app.tenancy import tenant_context, unscoped


def _counts(app):
    with app.app_context(), unscoped():
        tenants = db.session.execute(select(Tenant).order_by(Tenant.subdomain)).scalars().all()
        return {t.subdomain: tuple(db.session.execute(select(func.count()).select_from(m)
                                                      .where(m.tenant_id == t.id)).scalar_one()
                                   for m in (Service, AddOn, PriceRule, Kennel)) for t in tenants}


def test_seed_demo_creates_the_catalog_and_kennels_once(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = _counts(app)
    assert first == {"barkside": (8, 6, 5, 40), "happy-paws": (8, 6, 5, 40)}
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts(app) == first


def test_the_demo_catalog_prices_a_christmas_stay(app):
    from datetime import date

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context(), app.test_request_context():
        with unscoped():
            tenant = db.session.execute(select(Tenant).where(Tenant.subdomain == "happy-paws")).scalar_one()
        with tenant_context(tenant):
            run = db.session.execute(select(Service).where(Service.name == "Overnight boarding - standard run")
                                     ).scalar_one()
            year = date.today().year
            quote = pricing.quote_stay(service_id=run.id, start_date=date(year, 12, 24), end_date=date(year, 12, 26),
                                       pets=[{"name": "Biscuit"}, {"name": "Pepper"}])
    assert quote.surcharges_cents > 0 and quote.discounts_cents > 0 and quote.tax_cents > 0
