"""Customers, pets and vaccinations to and from CSV: one row per pet, in one documented format.

Columns (header row required, any order; only first_name and last_name are required):

    customer_ref, first_name, last_name, email, phone, alt_phone, address_line1, address_line2,
    city, region, postal_code, emergency_name, emergency_phone, emergency_relationship,
    preferred_contact, notes, tags, active,
    pet_name, species, breed, sex, birth_date, weight_kg, neutered, colour, microchip,
    feeding_instructions, allergies, behaviour_notes, vet_name, vet_phone, alert_flags,
    medications, vaccinations

- Rows with the same `customer_ref` (else the same email, else the same name and phone) are one
  household; its details are taken from its first row. A household without pets has one row with
  the pet columns empty.
- Lists use `;` between items: `tags` (`vip;late-pickup`), `alert_flags` (`ESCAPE_RISK;SENIOR`),
  `medications` (`Apoquel|16 mg|daily; Fish oil||with dinner`: name|dose|schedule),
  `vaccinations` (`Rabies|2026-01-05|2029-01-05; DHPP|2026-01-05|2027-01-05`: vaccine|given|expires).
- Dates are YYYY-MM-DD; booleans are true/false (also yes/no, 1/0); `weight_kg` is in
  kilograms (the stored unit, so an export re-imports exactly). Instead of it, an import may carry
  `weight_lbs` (pounds, as files before weights were kept in kilograms did), never both on one row.
- Every text fits its column (the same limits as the API); NUL bytes and invalid Unicode are refused.
- The export puts a `'` before any cell starting with = + - @ tab or CR (so no spreadsheet runs it
  as a formula, OWASP's advice); the import removes exactly that `'`, so an export imports unchanged.

A dry run reports every problem with its line number and column (all of a row's problems, not
only the first) and imports nothing; a real run imports
everything in one transaction, or nothing at all if any row has a problem.
"""
import csv
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.models import ContactMethod, Customer, CustomerTag, Pet, Sex, Species, Vaccination
from app.services import audit
from app.services.compliance import known_vaccines
from app.services.customers import clean_customer_fields, search_text_for
from app.services.pets import clean_pet_fields, clean_vaccination_fields
from app.tenancy import current_tenant, tenant_context

CUSTOMER_COLUMNS = ["customer_ref", "first_name", "last_name", "email", "phone", "alt_phone", "address_line1",
                    "address_line2", "city", "region", "postal_code", "emergency_name", "emergency_phone",
                    "emergency_relationship", "preferred_contact", "notes", "tags", "active"]
PET_COLUMNS = ["pet_name", "species", "breed", "sex", "birth_date", "weight_kg", "neutered", "colour", "microchip",
               "feeding_instructions", "allergies", "behaviour_notes", "vet_name", "vet_phone", "alert_flags",
               "medications", "vaccinations"]
COLUMNS = CUSTOMER_COLUMNS + PET_COLUMNS
IMPORT_ONLY_COLUMNS = ["weight_lbs"]  # accepted instead of weight_kg, converted on the way in
REQUIRED = {"first_name", "last_name"}
MAX_ROWS = 100_000
EXPORT_CHUNK_ROWS = 200  # rows per piece of a streamed export
_TRUE, _FALSE = {"true", "yes", "y", "1"}, {"false", "no", "n", "0", ""}


@dataclass
class Problem:
    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    """What an import found and did."""

    dry_run: bool
    rows: int = 0
    customers: int = 0
    pets: int = 0
    vaccinations: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return not self.dry_run and not self.problems


# --- formula injection ----------------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """The cell as text no spreadsheet runs: a leading ' before = + - @ tab or CR (and before a ' we would strip)."""
    if value[:1] in FORMULA_TRIGGERS or (value[:1] == "'" and value[1:2] in (*FORMULA_TRIGGERS, "'")):
        return "'" + value
    return value


def restore(cell: str) -> str:
    """Undo neutralise(): the import reads back exactly what was exported (+15551234567, =Bob)."""
    if cell[:1] == "'" and cell[1:2] in (*FORMULA_TRIGGERS, "'"):
        return cell[1:]
    return cell


# --- export ---------------------------------------------------------------------------------------


def _join(items) -> str:
    return "; ".join(items)


def _customer_cells(c: Customer) -> dict[str, Any]:
    cells = {col: getattr(c, col) for col in CUSTOMER_COLUMNS if hasattr(Customer, col)}
    cells.update(customer_ref=str(c.id), tags=_join(c.tag_names), preferred_contact=c.preferred_contact.value,
                 active=str(c.active).lower())
    return cells


def _pet_cells(p: Pet) -> dict[str, Any]:
    return {
        "pet_name": p.name, "species": p.species.value, "breed": p.breed, "sex": p.sex.value,
        "birth_date": p.birth_date.isoformat() if p.birth_date else "",
        "weight_kg": str(p.weight_kg) if p.weight_kg is not None else "", "neutered": str(p.neutered).lower(),
        "colour": p.colour, "microchip": p.microchip, "feeding_instructions": p.feeding_instructions,
        "allergies": p.allergies, "behaviour_notes": p.behaviour_notes, "vet_name": p.vet_name,
        "vet_phone": p.vet_phone or "", "alert_flags": _join(p.alert_flags),
        "medications": _join(f"{m['name']}|{m.get('dose', '')}|{m.get('schedule', '')}" for m in p.medications),
        "vaccinations": _join(f"{v.vaccine}|{v.given_on}|{v.expires_on}" for v in p.vaccinations),
    }


def export_rows() -> Iterator[dict[str, Any]]:
    """Every customer and pet of the tenant as CSV rows, 500 households per query batch."""
    last_id = None
    while True:
        stmt = (select(Customer).order_by(Customer.id).limit(500)
                .options(selectinload(Customer.tags), selectinload(Customer.pets).selectinload(Pet.vaccinations)))
        if last_id is not None:
            stmt = stmt.where(Customer.id > last_id)
        batch = db.session.execute(stmt).scalars().all()
        if not batch:
            return
        for customer in batch:
            base = _customer_cells(customer)
            if not customer.pets:
                yield base
            for pet in customer.pets:
                yield {**base, **_pet_cells(pet)}
        last_id = batch[-1].id


def export_chunks(rows_per_chunk: int | None = None) -> Iterator[str]:
    """The tenant's customers and pets as CSV text in chunks, for a streamed response (every cell neutralised)."""
    rows_per_chunk = rows_per_chunk or EXPORT_CHUNK_ROWS
    # Bound now: a streamed body is produced after the view has returned and its request context is
    # gone, so the generator brings its own app context (database session) and tenant.
    app, tenant = current_app._get_current_object(), current_tenant()

    def chunks() -> Iterator[str]:
        with app.app_context(), tenant_context(tenant):
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for number, row in enumerate(export_rows(), start=1):
                writer.writerow({k: neutralise("" if v is None else str(v)) for k, v in row.items()})
                if number % rows_per_chunk == 0:
                    yield out.getvalue()
                    out.seek(0)
                    out.truncate()
            yield out.getvalue()

    return chunks()


def export_csv() -> str:
    """The tenant's customers and pets as one CSV document (for the CLI and tests; pages stream export_chunks)."""
    return "".join(export_chunks())


# --- import ---------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNSTORABLE = "Contains characters that cannot be stored (NUL or invalid Unicode)."
MAX_TAGS, MAX_MEDICATIONS, MEDICATION_TEXT = 20, 30, 100  # the API's limits (app/schemas)
# Service field -> CSV column, where they differ.
_PET_COLUMN = {"name": "pet_name", "vaccine": "vaccinations", "given_on": "vaccinations", "expires_on": "vaccinations"}

Errors = dict[str, list[str]]


def _quoted(raw: str) -> str:
    return f"“{raw[:40]}…”" if len(raw) > 40 else f"“{raw}”"


def _weight(row: dict[str, str]) -> dict[str, str]:
    """The weight cells given (weight_kg and/or weight_lbs); the pet rules convert or refuse them."""
    return {c: row[c].strip() for c in ("weight_kg", "weight_lbs") if (row.get(c) or "").strip()}


def _bool(raw: str, column: str, errors: Errors) -> bool:
    value = (raw or "").strip().lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        errors.setdefault(column, []).append(f"Use true or false (got {_quoted(raw)}).")
    return False


def _date(raw: str, column: str, errors: Errors, what: str = "") -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    errors.setdefault(column, []).append(f"{what}Use a date as YYYY-MM-DD, e.g. 2020-12-31 (got {_quoted(raw)}).")
    return None


def _choice(raw: str, enum, column: str, errors: Errors, default=None):
    value = (raw or "").strip().upper()
    if not value:
        return default
    try:
        return enum(value)
    except ValueError:
        errors.setdefault(column, []).append(f"Use {', '.join(e.value for e in enum)} (got {_quoted(raw)}).")
        return None


def _split(raw: str) -> list[str]:
    return [p.strip() for p in (raw or "").split(";") if p.strip()]


def _merge(errors: Errors, exc: RuleViolation, column_of: dict[str, str] | None = None, prefix: str = "") -> None:
    for name, messages in (exc.errors or {"row": [exc.message]}).items():
        messages = messages if isinstance(messages, list) else [str(messages)]
        errors.setdefault((column_of or {}).get(name, name), []).extend(prefix + m for m in messages)


def _check_lengths(model, fields: dict[str, Any], errors: Errors, column_of: dict[str, str] | None = None) -> None:
    """Every text value fits its database column, so the real import cannot fail where the dry run passed."""
    for name, value in fields.items():
        column = model.__table__.c.get(name)
        limit = getattr(column.type, "length", None) if column is not None else None
        if isinstance(value, str) and limit and len(value) > limit:
            errors.setdefault((column_of or {}).get(name, name), []).append(f"At most {limit:,} characters.")


def _customer_fields(row: dict[str, str], errors: Errors) -> dict[str, Any] | None:
    fields: dict[str, Any] = {c: row.get(c, "") for c in CUSTOMER_COLUMNS
                              if c not in ("customer_ref", "tags", "active", "preferred_contact")}
    fields = {k: v for k, v in fields.items() if v != "" or k in REQUIRED}
    fields["tags"] = _split(row.get("tags", ""))
    if len(fields["tags"]) > MAX_TAGS:
        errors.setdefault("tags", []).append(f"At most {MAX_TAGS} tags.")
    fields["active"] = _bool(row.get("active", "true") or "true", "active", errors)
    contact = _choice(row.get("preferred_contact", ""), ContactMethod, "preferred_contact", errors)
    if contact is not None:
        fields["preferred_contact"] = contact
    try:
        fields = clean_customer_fields(fields)
    except RuleViolation as exc:
        _merge(errors, exc)
    _check_lengths(Customer, fields, errors)
    return None if errors else fields


def _pet_fields(row: dict[str, str], errors: Errors,
                vaccines: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    meds = []
    for item in _split(row.get("medications", "")):
        name, dose, schedule = (item.split("|") + ["", ""])[:3]
        meds.append({"name": name, "dose": dose, "schedule": schedule})
        if any(len(part.strip()) > MEDICATION_TEXT for part in (name, dose, schedule)):
            errors.setdefault("medications", []).append(
                f"{name.strip()[:40] or 'A medication'}: name, dose and schedule are at most {MEDICATION_TEXT} "
                "characters each.")
    if len(meds) > MAX_MEDICATIONS:
        errors.setdefault("medications", []).append(f"At most {MAX_MEDICATIONS} medications.")
    species = _choice(row.get("species", ""), Species, "species", errors)
    if species is None and "species" not in errors:
        errors["species"] = ["Required for a pet: DOG, CAT or OTHER."]
    fields = {
        "name": row.get("pet_name", ""), "species": species, "breed": row.get("breed", ""),
        "sex": _choice(row.get("sex", ""), Sex, "sex", errors, default=Sex.UNKNOWN) or Sex.UNKNOWN,
        "birth_date": _date(row.get("birth_date", ""), "birth_date", errors),
        **_weight(row),
        "neutered": _bool(row.get("neutered", ""), "neutered", errors), "colour": row.get("colour", ""),
        "microchip": row.get("microchip", ""), "feeding_instructions": row.get("feeding_instructions", ""),
        "allergies": row.get("allergies", ""), "behaviour_notes": row.get("behaviour_notes", ""),
        "vet_name": row.get("vet_name", ""), "vet_phone": row.get("vet_phone", ""),
        "alert_flags": [f.upper() for f in _split(row.get("alert_flags", ""))], "medications": meds,
    }
    try:
        fields = clean_pet_fields(fields)
    except RuleViolation as exc:
        _merge(errors, exc, _PET_COLUMN)
    _check_lengths(Pet, fields, errors, _PET_COLUMN)
    vaccinations = []
    for item in _split(row.get("vaccinations", "")):
        vaccine, given, expires = (item.split("|") + ["", ""])[:3]
        prefix = f"{vaccine.strip()[:40] or 'A vaccination'}: "
        found: Errors = {}
        given_on = _date(given, "vaccinations", found, prefix)
        expires_on = _date(expires, "vaccinations", found, prefix)
        if not found and (given_on is None or expires_on is None):
            found["vaccinations"] = [prefix + "give both dates (vaccine|given|expires)."]
        try:
            vaccinations.append(clean_vaccination_fields(
                {"vaccine": vaccine, "given_on": given_on, "expires_on": expires_on}, vaccines=vaccines))
        except RuleViolation as exc:
            _merge(found, exc, _PET_COLUMN, prefix)
        for column, messages in found.items():
            errors.setdefault(column, []).extend(messages)
    return None if errors else (fields, vaccinations)


def _household_key(row: dict[str, str]) -> str:
    ref = (row.get("customer_ref") or "").strip()
    if ref:
        return "ref:" + ref
    email = (row.get("email") or "").strip().lower()
    if email:
        return "email:" + email
    return "name:" + "|".join((row.get(c) or "").strip().lower() for c in ("first_name", "last_name", "phone"))


def _problems_of(line: int, errors: Errors) -> list[Problem]:
    return [Problem(line, column, " ".join(messages)) for column, messages in errors.items()]


def _cells(raw: dict, errors: Errors) -> dict[str, str]:
    """A row's cells by column, our formula guard removed; unstorable text (NUL, lone surrogates) refused."""
    row = {}
    for key, value in raw.items():
        if key is None:
            continue
        column, value = key.strip(), restore(value or "")
        if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
            errors.setdefault(column, []).append(_UNSTORABLE)
            value = ""
        row[column] = value
    return row


def import_customers(*, text: str, dry_run: bool) -> ImportReport:
    """Check every row; unless dry_run and only if no row has a problem, import all in one transaction."""
    report = ImportReport(dry_run=dry_run)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(headers) - set(COLUMNS) - set(IMPORT_ONLY_COLUMNS))
    missing = sorted(REQUIRED - set(headers))
    if unknown:
        report.problems.append(Problem(1, "header", f"Unknown columns: {', '.join(unknown)}."))
    if missing:
        report.problems.append(Problem(1, "header", f"Missing required columns: {', '.join(missing)}."))
    if report.problems:
        return report

    households: dict[str, dict[str, Any]] = {}
    emails: dict[str, int] = {}
    vaccines = known_vaccines()  # once per import, not once per row
    for index, raw in enumerate(reader, start=2):
        if index > MAX_ROWS + 1:
            report.problems.append(Problem(index, "row", f"At most {MAX_ROWS:,} rows per file."))
            break
        if None in raw:
            report.problems.append(Problem(index, "row", "More cells than columns."))
            continue
        report.rows += 1
        errors: Errors = {}
        row = _cells(raw, errors)
        key = _household_key(row)
        if key not in households:
            fields = _customer_fields(row, errors)
            households[key] = {"line": index, "fields": fields, "pets": []}
            email = fields.get("email") if fields else None
            if email:
                if email in emails:
                    errors.setdefault("email", []).append(f"Also used on line {emails[email]}.")
                emails[email] = index
        if (row.get("pet_name") or "").strip():
            pet = _pet_fields(row, errors, vaccines)
            if pet is not None:
                households[key]["pets"].append(pet)
        elif any((row.get(c) or "").strip() for c in PET_COLUMNS + IMPORT_ONLY_COLUMNS):
            errors.setdefault("pet_name", []).append("Pet details given without a pet name.")
        report.problems.extend(_problems_of(index, errors))

    if emails:
        taken = db.session.execute(select(Customer.email).where(Customer.email.in_(list(emails)))).scalars().all()
        for email in taken:
            report.problems.append(Problem(emails[email], "email", f"{email} already belongs to a customer."))
    report.customers = len(households)
    report.pets = sum(len(h["pets"]) for h in households.values())
    report.vaccinations = sum(len(v) for h in households.values() for _, v in h["pets"])
    report.problems.sort(key=lambda p: p.line)
    if dry_run or report.problems:
        return report

    try:
        for household in households.values():
            fields = dict(household["fields"])
            tags = fields.pop("tags")
            customer = Customer(id=uuid.uuid4(), **fields)
            customer.tags = [CustomerTag(tag=t) for t in tags]
            customer.search_text = search_text_for(customer, [p["name"] for p, _ in household["pets"]])
            db.session.add(customer)
            for pet_fields, vaccinations in household["pets"]:
                pet = Pet(id=uuid.uuid4(), customer_id=customer.id, **pet_fields)
                pet.vaccinations = [Vaccination(**v) for v in vaccinations]
                db.session.add(pet)
        audit.record("customers.imported", "customer", None,
                     changes={"customers": report.customers, "pets": report.pets, "vaccinations": report.vaccinations})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report
