"""CSV import (dry run, all-or-nothing) and export, which round-trips into another tenant."""
from app.core.extensions import db
from app.models import Customer, Pet, Tenant, Vaccination
from app.services.customer_csv import COLUMNS, export_csv, import_customers
from app.tenancy import tenant_context, unscoped

HEADER = ",".join(COLUMNS)


def _row(**cells) -> str:
    return ",".join(f'"{cells.get(c, "")}"' for c in COLUMNS)


GOOD = "\n".join([
    HEADER,
    _row(customer_ref="h1", first_name="Jane", last_name="Doe", email="jane@example.com", phone="(555) 123-4567",
         tags="vip;late-pickup", pet_name="Rex", species="DOG", breed="Lab", weight_lbs="60", neutered="yes",
         alert_flags="ESCAPE_RISK", medications="Apoquel|16 mg|daily",
         vaccinations="Rabies|2026-01-05|2029-01-05; DHPP|2026-01-05|2027-01-05"),
    _row(customer_ref="h1", first_name="Jane", last_name="Doe", pet_name="Tom", species="CAT"),
    _row(customer_ref="h2", first_name="Sam", last_name="Roe", phone="555.987.6543"),
]) + "\n"


def _tenant(app, fx):
    with unscoped():
        return db.session.get(Tenant, fx.id)


def _counts():
    return tuple(db.session.execute(db.select(db.func.count()).select_from(m)).scalar_one()
                 for m in (Customer, Pet, Vaccination))


def test_a_dry_run_checks_everything_and_imports_nothing(app, tenant_a):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        report = import_customers(text=GOOD, dry_run=True)
        assert (report.rows, report.customers, report.pets, report.vaccinations) == (3, 2, 2, 2)
        assert report.problems == [] and not report.imported
        assert _counts() == (0, 0, 0)


def test_a_real_run_imports_households_pets_and_vaccinations(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        report = import_customers(text=GOOD, dry_run=False)
        assert report.imported and _counts() == (2, 2, 2)
        jane = db.session.execute(db.select(Customer).where(Customer.email == "jane@example.com")).scalar_one()
        assert jane.phone == "+15551234567"
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        assert _counts() == (0, 0, 0)


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(app, tenant_a):
    bad = GOOD + "\n".join([
        _row(first_name="", last_name="Nobody"),
        _row(customer_ref="h4", first_name="Al", last_name="Bad", email="not-an-email"),
        _row(customer_ref="h5", first_name="Cy", last_name="Pet", pet_name="Spot", species="DRAGON"),
        _row(customer_ref="h6", first_name="Di", last_name="Vax", pet_name="Fifi", species="DOG",
             vaccinations="Rabies|2026-02-01|2025-01-01"),
        _row(customer_ref="h7", first_name="Ed", last_name="Dup", email="jane@example.com"),
    ]) + "\n"
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        report = import_customers(text=bad, dry_run=False)
        assert not report.imported
        assert [(p.line, p.field) for p in report.problems] == [
            (5, "first_name"), (6, "email"), (7, "species"), (8, "expires_on"), (9, "email")]
        assert _counts() == (0, 0, 0)


def test_an_email_already_in_the_tenant_is_a_problem(app, tenant_a):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        import_customers(text=GOOD, dry_run=False)
        again = import_customers(text=GOOD, dry_run=False)
        assert [(p.line, p.field) for p in again.problems] == [(2, "email")]
        assert _counts() == (2, 2, 2)


def test_unknown_or_missing_columns_are_refused(app, tenant_a):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        report = import_customers(text="first_name,surname\nJo,Bloggs\n", dry_run=True)
        assert [p.field for p in report.problems] == ["header", "header"]


def test_export_round_trips_through_import(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        import_customers(text=GOOD, dry_run=False)
        exported = export_csv()
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        report = import_customers(text=exported, dry_run=False)
        assert report.imported, report.problems
        assert export_csv().replace(str(tenant_b.id), "").splitlines()[0] == exported.splitlines()[0]
        assert _counts() == (2, 2, 2)
        rows_b = sorted(line.split(",", 1)[1] for line in export_csv().splitlines()[1:])
    rows_a = sorted(line.split(",", 1)[1] for line in exported.splitlines()[1:])
    assert rows_a == rows_b  # identical except the customer_ref (ids differ per tenant)


def test_the_cli_imports_and_reports(app, tenant_a, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(GOOD)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", "customers", str(path), "--tenant", tenant_a.subdomain, "--dry-run"])
    assert dry.exit_code == 0 and "checked (dry run): 3 rows: 2 customers, 2 pets, 2 vaccinations" in dry.output
    real = runner.invoke(args=["import", "customers", str(path), "--tenant", tenant_a.subdomain])
    assert real.exit_code == 0 and "imported" in real.output
    again = runner.invoke(args=["import", "customers", str(path), "--tenant", tenant_a.subdomain])
    assert again.exit_code == 1 and "line 2: email" in again.output and "nothing imported" in again.output
