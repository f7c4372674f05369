"""Weights are stored in kilograms and shown in the tenant's unit; kennel limits use the stored kilograms."""
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask import g
from sqlalchemy import Numeric, Uuid, bindparam, inspect, text
from sqlalchemy.exc import IntegrityError

from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.core.weights import kg_to_lb, lb_to_kg, parse_kg
from app.models import Role, Tenant
from app.services import catalog, customers, kennels, pets, reservations, tenants
from app.services.availability import check_availability
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context, unscoped
from tests.conftest import hx_headers, web_login

MIGRATION = Path(__file__).parents[1] / "migrations/versions/f3b8c2d1a9e4_weights_in_kilograms.py"


def _set_unit(app, fx, unit):
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        tenants.update_settings(tenant_id=fx.id, weight_unit=unit)


def test_conversions_are_exact_and_round_half_even():
    assert lb_to_kg(Decimal("70")) == Decimal("31.75")  # 31.7514659
    assert lb_to_kg(Decimal("60")) == Decimal("27.22")  # 27.2155422
    assert kg_to_lb(Decimal("27.22")) == Decimal("60.0") and kg_to_lb(None) is None
    # No two-decimal pound figure lands on a tie in kilograms; typed kilograms can, and go to even.
    assert [parse_kg(v, "kg")[0] for v in ("27.225", "27.235")] == [Decimal("27.22"), Decimal("27.24")]
    assert parse_kg("1000", "lb")[1] == "Must be more than 0 and less than 1000 lbs."
    assert parse_kg("0.001", "lb")[1].startswith("Too light")


def _kennel_world(app, fx):
    """A boarding service, a 30 kg run, and one household with a 70 lb dog and a 60 lb dog."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        g.principal_role = Role.MANAGER
        service = catalog.create_service(name="Boarding", category="BOARDING", price_cents=5000,
                                         price_unit="PER_NIGHT", kennel_types=["RUN"], allowed_species=["DOG"])
        kennel = kennels.create_kennel(code="K30", type="RUN", size="M", capacity=1, max_weight_kg=Decimal("30"))
        owner = customers.create_customer(first_name="Ann", last_name="Smith")
        heavy = pets.create_pet(customer_id=owner.id, name="Heavy", species="DOG", weight_lbs=Decimal("70"))
        light = pets.create_pet(customer_id=owner.id, name="Light", species="DOG", weight_lbs="60")
        return {"service": service.id, "kennel": kennel.id, "owner": owner.id, "heavy": heavy.id, "light": light.id}


@pytest.mark.parametrize("unit", ["kg", "lb"])
def test_a_30_kg_kennel_refuses_a_70_lb_pet_and_takes_a_60_lb_one_whatever_the_unit(app, tenant_a, tenant_b, unit):
    _set_unit(app, tenant_a, unit)
    _set_unit(app, tenant_b, "lb" if unit == "kg" else "kg")
    w = _kennel_world(app, tenant_a)
    other = _kennel_world(app, tenant_b)
    with app.test_request_context(base_url=tenant_a.base_url), tenant_context(lookup_tenant(tenant_a.subdomain)):
        g.principal_role = Role.MANAGER
        start = tenant_today()
        end = start.fromordinal(start.toordinal() + 2)
        heavy = check_availability(service_id=w["service"], start_date=start, end_date=end, pet_ids=[w["heavy"]])
        assert heavy.kennels == [] and "over K30's limit" in heavy.unavailable[0]["reason"]
        shown = "Heavy (31.75 kg) is over K30's limit of 30.0 kg." if unit == "kg" else \
            "Heavy (70.0 lb) is over K30's limit of 30.0 kg (66.1 lb)."
        assert heavy.unavailable[0]["reason"] == shown
        light = check_availability(service_id=w["service"], start_date=start, end_date=end, pet_ids=[w["light"]])
        assert [c.kennel.code for c in light.kennels] == ["K30"]
        with pytest.raises(RuleViolation) as exc:
            reservations.book_stay(customer_id=w["owner"], service_id=w["service"], start_date=start, end_date=end,
                                   pets=[{"pet_id": w["heavy"], "kennel_id": w["kennel"]}],
                                   vaccine_override_reason="test: paper records")
        assert "limit" in str(exc.value.errors)
        booked = reservations.book_stay(customer_id=w["owner"], service_id=w["service"], start_date=start,
                                        end_date=end, pets=[{"pet_id": w["light"], "kennel_id": w["kennel"]}],
                                        vaccine_override_reason="test: paper records")
        assert booked.placements[0].kennel.code == "K30"
        # The other tenant's pets are not this tenant's to check.
        with pytest.raises(NotFound):
            check_availability(service_id=w["service"], start_date=start, end_date=end, pet_ids=[other["light"]])
        db.session.rollback()


def _household(client, fx):
    c = client.post("/api/v1/customers", headers=fx.headers(), json={"first_name": "Jo", "last_name": "Doe"}).json
    return c


def test_the_api_stores_kg_takes_either_unit_and_refuses_both_naming_them(client, tenant_a, tenant_b):
    c = _household(client, tenant_a)
    by_kg = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                        json={"name": "Rex", "species": "DOG", "weight_kg": "27.22"})
    assert by_kg.status_code == 201 and (by_kg.json["weight_kg"], by_kg.json["weight_lbs"]) == ("27.22", "60.0")
    by_lb = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                        json={"name": "Max", "species": "DOG", "weight_lbs": "70"})
    assert by_lb.status_code == 201 and (by_lb.json["weight_kg"], by_lb.json["weight_lbs"]) == ("31.75", "70.0")
    both = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                       json={"name": "Bo", "species": "DOG", "weight_kg": "27.22", "weight_lbs": "60"})
    assert both.status_code == 422 and set(both.json["errors"]) >= {"weight_kg", "weight_lbs"}
    path = f"/api/v1/pets/{by_kg.json['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    patched = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}),
                           json={"weight_kg": "1", "weight_lbs": "2"})
    assert patched.status_code == 422 and set(patched.json["errors"]) >= {"weight_kg", "weight_lbs"}
    too_heavy = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                            json={"name": "Zeus", "species": "DOG", "weight_kg": "453.6"})
    assert too_heavy.status_code == 422 and "weight_kg" in too_heavy.json["errors"]
    assert len(client.get(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers()).json) == 2
    # Another tenant: the pets are not found, and its own list is empty.
    assert client.get(path, headers=tenant_b.headers()).status_code == 404
    assert client.get("/api/v1/pets", headers=tenant_b.headers()).json == []


def test_putting_back_the_pounds_read_never_drifts_the_stored_kilograms(client, tenant_a):
    c = _household(client, tenant_a)
    pet = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                      json={"name": "Rex", "species": "DOG", "weight_kg": "28.37"}).json
    assert pet["weight_lbs"] == "62.5"  # 62.545..., and 62.5 lb would be 28.35 kg
    path = f"/api/v1/pets/{pet['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    same = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"weight_lbs": "62.5"})
    assert same.status_code == 200 and same.json["weight_kg"] == "28.37"
    etag = same.headers["ETag"]
    changed = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"weight_lbs": "62.6"})
    assert changed.json["weight_kg"] == "28.39"


def test_the_weight_unit_is_a_setting_admins_change_and_bad_values_are_named(client, tenant_a, tenant_b):
    read = client.get("/api/v1/tenant", headers=tenant_a.headers(Role.STAFF))
    assert read.json["weight_unit"] == "lb"  # the default: what weights typed before the setting meant
    bad = client.patch("/api/v1/tenant", headers=tenant_a.headers(**{"If-Match": read.headers["ETag"]}),
                       json={"weight_unit": "stone"})
    assert bad.status_code == 422 and "weight_unit" in bad.json["errors"]
    ok = client.patch("/api/v1/tenant", headers=tenant_a.headers(**{"If-Match": read.headers["ETag"]}),
                      json={"weight_unit": "kg"})
    assert ok.status_code == 200 and ok.json["weight_unit"] == "kg"
    assert client.get("/api/v1/tenant", headers=tenant_b.headers()).json["weight_unit"] == "lb"


def test_the_settings_page_changes_the_unit(client, tenant_a, tenant_b):
    web_login(client, tenant_a, Role.ADMIN)
    headers = hx_headers(client, tenant_a, "/admin/settings")
    page = client.get("/admin/settings", base_url=tenant_a.base_url).get_data(as_text=True)
    assert 'name="weight_unit"' in page and '<option value="lb" selected>' in page
    r = client.post("/admin/settings", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Alpha", "timezone": "UTC", "currency": "USD", "tax_rate": "0",
                          "vaccine_warning_days": "30", "weight_unit": "kg"})
    assert r.status_code == 200 and '<option value="kg" selected>' in r.get_data(as_text=True)
    assert client.get("/api/v1/tenant", headers=tenant_a.headers()).json["weight_unit"] == "kg"
    assert client.get("/api/v1/tenant", headers=tenant_b.headers()).json["weight_unit"] == "lb"


@pytest.mark.parametrize("unit", ["kg", "lb"])
def test_each_tenant_sees_and_types_its_own_unit_on_the_pet_pages(client, app, tenant_a, tenant_b, unit):
    other_unit = "lb" if unit == "kg" else "kg"
    _set_unit(app, tenant_a, unit)
    _set_unit(app, tenant_b, other_unit)
    mine = {"kg": ("27.22 kg", "weight_kg", "27.22", "Weight (kg)"), "lb": ("60.0 lb", "weight_lbs", "60.0", "Weight (lb)")}
    for fx, u in ((tenant_a, unit), (tenant_b, other_unit)):
        c = _household(client, fx)
        pet = client.post(f"/api/v1/customers/{c['id']}/pets", headers=fx.headers(),
                          json={"name": "Rex", "species": "DOG", "weight_kg": "27.22"}).json
        client.get("/logout", base_url=fx.base_url)
        web_login(client, fx, Role.STAFF)
        shown, field, value, label = mine[u]
        wrong_shown, wrong_field = mine[other_unit if fx is tenant_a else unit][:2]
        page = client.get(f"/pets/{pet['id']}", base_url=fx.base_url).get_data(as_text=True)
        assert f"<dd>{shown}</dd>" in page and wrong_shown not in page
        household = client.get(f"/customers/{c['id']}", base_url=fx.base_url).get_data(as_text=True)
        assert shown in household
        form = client.get(f"/pets/{pet['id']}/edit", base_url=fx.base_url).get_data(as_text=True)
        assert f'name="{field}" type="number" value="{value}"' in form and label in form
        assert f'name="{wrong_field}"' not in form
        new_form = client.get(f"/customers/{c['id']}/pets/new", base_url=fx.base_url).get_data(as_text=True)
        assert f'name="{field}"' in new_form and label in new_form
        # The form takes the tenant's unit and the server converts: 70 lb or 31.75 kg, the same dog.
        headers = hx_headers(client, fx, f"/pets/{pet['id']}/edit")
        typed = "31.75" if u == "kg" else "70"
        saved = client.post(f"/pets/{pet['id']}", base_url=fx.base_url, headers=headers,
                            data={"name": "Rex", "species": "DOG", field: typed,
                                  "version": str(pet["version"])})
        assert saved.status_code == 204, saved.get_data(as_text=True)
        assert client.get(f"/api/v1/pets/{pet['id']}", headers=fx.headers()).json["weight_kg"] == "31.75"
        bad = client.post(f"/pets/{pet['id']}", base_url=fx.base_url, headers=headers,
                          data={"name": "Rex", "species": "DOG", field: "-1", "version": str(pet["version"] + 1)})
        assert bad.status_code == 422 and f'id="e-{field}"' in bad.get_data(as_text=True)
        client.get("/logout", base_url=fx.base_url)


def _tenant(fx):
    with unscoped():
        return db.session.get(Tenant, fx.id)


def _migration():
    spec = importlib.util.spec_from_file_location("weights_in_kilograms", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(step):
    # As migrations run (migrations/env.py): the owner, with the row-security bypass on. The
    # session ends first: its open read of pets would hold off the ALTER TABLE.
    db.session.close()
    with db.engine.connect().execution_options(tailtown_owner=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT set_config('app.bypass', 'on', true)")
        with Operations.context(MigrationContext.configure(conn)):
            step()
    db.session.expire_all()
    db.session.close()


def _raw(sql, **params):
    with db.engine.connect().execution_options(tailtown_owner=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT set_config('app.bypass', 'on', true)")
        types = {"id": Uuid(), "a": Uuid(), "b": Uuid(), "w": Numeric(6, 2)}
        stmt = text(sql).bindparams(*(bindparam(k, type_=types[k]) for k in params))
        result = conn.execute(stmt, params)
        return result.all() if result.returns_rows else []


def test_the_migration_converts_pounds_to_kilograms_in_every_tenant_and_back(app, tenant_a, tenant_b):
    module = _migration()
    with app.app_context():
        ids = {}
        for fx, weights in ((tenant_a, ("70.00", "62.51", "0.01")), (tenant_b, ("999.99", "60.00", None))):
            with tenant_context(_tenant(fx)):
                owner = customers.create_customer(first_name="Mig", last_name=fx.subdomain)
                for n in range(len(weights)):
                    pet = pets.create_pet(customer_id=owner.id, name=f"P{n}", species="DOG")
                    ids[(fx.subdomain, n)] = pet.id
        _run(module.downgrade)  # the schema as the previous release had it: pounds
        columns = {c["name"] for c in inspect(db.engine).get_columns("pets")}
        assert "weight_lbs" in columns and "weight_kg" not in columns
        assert "weight_unit" not in {c["name"] for c in inspect(db.engine).get_columns("tenants")}
        pounds = {("alpha-paws", 0): "70.00", ("alpha-paws", 1): "62.51", ("alpha-paws", 2): "0.01",
                  ("bravo-barks", 0): "999.99", ("bravo-barks", 1): "60.00"}
        for key, lbs in pounds.items():
            _raw("UPDATE pets SET weight_lbs = :w WHERE id = :id", w=Decimal(lbs), id=ids[key])
        with pytest.raises(IntegrityError):  # the pound range still holds under the old schema
            _raw("UPDATE pets SET weight_lbs = 1000 WHERE id = :id", id=ids[("alpha-paws", 0)])
        _run(module.upgrade)
        kilos = {("alpha-paws", 0): "31.75", ("alpha-paws", 1): "28.35", ("alpha-paws", 2): "0.01",
                 ("bravo-barks", 0): "453.59", ("bravo-barks", 1): "27.22"}
        for key, kg in kilos.items():
            (stored,), = _raw("SELECT weight_kg FROM pets WHERE id = :id", id=ids[key])
            assert Decimal(str(stored)).quantize(Decimal("0.01")) == Decimal(kg), key
        (untouched,), = _raw("SELECT weight_kg FROM pets WHERE id = :id", id=ids[("bravo-barks", 2)])
        assert untouched is None
        assert {u for (u,) in _raw("SELECT weight_unit FROM tenants WHERE id IN (:a, :b)",
                                   a=tenant_a.id, b=tenant_b.id)} == {"lb"}
        for bad in ("453.6", "0"):  # the range, in kilograms now
            with pytest.raises(IntegrityError):
                _raw("UPDATE pets SET weight_kg = :w WHERE id = :id", w=Decimal(bad), id=ids[("alpha-paws", 0)])
        with pytest.raises(IntegrityError):
            _raw("UPDATE tenants SET weight_unit = 'st' WHERE id = :id", id=tenant_a.id)
        with tenant_context(_tenant(tenant_a)):  # the app reads the converted rows
            assert pets.get_pet(pet_id=ids[("alpha-paws", 0)]).weight_lbs == Decimal("70.0")
        _run(module.downgrade)
        back = {("alpha-paws", 0): "70.00", ("alpha-paws", 1): "62.50", ("alpha-paws", 2): "0.02",
                ("bravo-barks", 0): "999.99", ("bravo-barks", 1): "60.01"}
        for key, lbs in back.items():  # 0.01 kg is 0.022 lb: a pound figure may come back 0.01 off
            (stored,), = _raw("SELECT weight_lbs FROM pets WHERE id = :id", id=ids[key])
            assert Decimal(str(stored)).quantize(Decimal("0.01")) == Decimal(lbs), key
        _run(module.upgrade)  # leave the schema as the other tests expect it
        assert "weight_kg" in {c["name"] for c in inspect(db.engine).get_columns("pets")}
