"""The cached customer detail is plain data the API's schema dumps exactly as it dumps the rows."""
import pickle
from datetime import date
from decimal import Decimal

from app.core.extensions import db
from app.models import AlertFlag, Sex, Species, Tenant
from app.schemas.customers import CustomerDetailSchema
from app.services import customers, pets
from app.tenancy import tenant_context, unscoped


def _household(app, fx, name: str):
    """A tagged household with a fully described pet (medication, vaccination) and a bare one."""
    with app.test_request_context(base_url=fx.base_url):
        with unscoped():
            tenant = db.session.get(Tenant, fx.id)
        with tenant_context(tenant):
            customer = customers.create_customer(first_name=name, last_name="Doe", email=f"{name}@example.com",
                                                 phone="(555) 123-4567", city="Denver", notes="Late pickup.",
                                                 tags=["vip", "late-pickup"])
            rex = pets.create_pet(customer_id=customer.id, name="Rex", species=Species.DOG, sex=Sex.MALE,
                                  breed="Labrador", birth_date=date(2020, 5, 17), weight_lbs=Decimal("62.5"),
                                  alert_flags=[AlertFlag.ESCAPE_RISK],
                                  medications=[{"name": "Apoquel", "dose": "16 mg", "schedule": "daily"}])
            pets.add_vaccination(pet_id=rex.id, vaccine="Rabies", given_on=date(2026, 1, 1),
                                 expires_on=date(2029, 1, 1))
            pets.create_pet(customer_id=customer.id, name="Tom", species=Species.CAT)
            return customer.id, tenant


def test_the_cached_detail_dumps_exactly_like_the_rows_and_holds_only_its_own_tenant(app, tenant_a, tenant_b):
    schema = CustomerDetailSchema()
    with app.app_context():
        a_id, a_tenant = _household(app, tenant_a, "Ann")
        b_id, b_tenant = _household(app, tenant_b, "Bea")
        with tenant_context(a_tenant):
            plain = customers.customer_detail(customer_id=a_id)
            rows = customers.get_customer(customer_id=a_id)
            assert schema.dump(plain) == schema.dump(rows)
            assert [p["name"] for p in plain["pets"]] == ["Rex", "Tom"]
            assert plain["pets"][0]["medications"] == [{"name": "Apoquel", "dose": "16 mg", "schedule": "daily"}]
            assert [v["vaccine"] for v in plain["pets"][0]["vaccinations"]] == ["Rabies"]
            assert pickle.loads(pickle.dumps(plain)) == plain  # the cache can hold it (Redis pickles)
        with tenant_context(b_tenant):
            b_plain = customers.customer_detail(customer_id=b_id)
            assert b_plain["first_name"] == "Bea" and b_plain["id"] != plain["id"]
            assert {p["customer_id"] for p in b_plain["pets"]} == {b_id}
