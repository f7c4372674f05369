"""Customers, pets and vaccinations to and from CSV: one row per pet, in one documented format.

Columns (header row required, any order; only first_name and last_name are required):

    customer_ref, first_name, last_name, email, phone, alt_phone, address_line1, address_line2,
    city, region, postal_code, emergency_name, emergency_phone, emergency_relationship,
    preferred_contact, notes, tags, active,
    pet_name, species, breed, sex, birth_date, weight_lbs, neutered, colour, microchip,
    feeding_instructions, allergies, behaviour_notes, vet_name, vet_phone, alert_flags,
    medications, vaccinations

- Rows with the same `customer_ref` (else the same email, else the same name and phone) are one
  household; its details are taken from its first row. A household without pets has one row with
  the pet columns empty.
- Lists use `;` between items: `tags` (`vip;late-pickup`), `alert_flags` (`ESCAPE_RISK;SENIOR`),
  `medications` (`Apoquel|16 mg|daily; Fish oil||with dinner`: name|dose|schedule),
  `vaccinations` (`Rabies|2026-01-05|2029-01-05; DHPP|2026-01-05|2027-01-05`: vaccine|given|expires).
- Dates are YYYY-MM-DD; booleans are true/false (also yes/no, 1/0); weight is in pounds.

A dry run reports every problem with its line number and imports nothing; a real run imports
everything in one transaction, or nothing at all if any row has a problem.
"""
import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.models import Customer, CustomerTag, Pet, Sex, Species, Vaccination
from app.services import audit
from app.services.customers import clean_customer_fields, search_text_for
from app.services.pets import clean_pet_fields, clean_vaccination_fields

CUSTOMER_COLUMNS = ["customer_ref", "first_name", "last_name", "email", "phone", "alt_phone", "address_line1",
                    "address_line2", "city", "region", "postal_code", "emergency_name", "emergency_phone",
                    "emergency_relationship", "preferred_contact", "notes", "tags", "active"]
PET_COLUMNS = ["pet_name", "species", "breed", "sex", "birth_date", "weight_lbs", "neutered", "colour", "microchip",
               "feeding_instructions", "allergies", "behaviour_notes", "vet_name", "vet_phone", "alert_flags",
               "medications", "vaccinations"]
COLUMNS = CUSTOMER_COLUMNS + PET_COLUMNS
REQUIRED = {"first_name", "last_name"}
MAX_ROWS = 100_000
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
        "weight_lbs": str(p.weight_lbs) if p.weight_lbs is not None else "", "neutered": str(p.neutered).lower(),
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


def export_csv() -> str:
    """The tenant's customers and pets as one CSV document."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in export_rows():
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


# --- import ---------------------------------------------------------------------------------------


def _bool(raw: str, name: str) -> bool:
    value = (raw or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}: use true or false.")


def _date(raw: str) -> date | None:
    raw = (raw or "").strip()
    return date.fromisoformat(raw) if raw else None


def _split(raw: str) -> list[str]:
    return [p.strip() for p in (raw or "").split(";") if p.strip()]


def _customer_fields(row: dict[str, str]) -> dict[str, Any]:
    fields = {c: row.get(c, "") for c in CUSTOMER_COLUMNS if c not in ("customer_ref", "tags", "active")}
    fields = {k: v for k, v in fields.items() if v != "" or k in REQUIRED}
    fields["tags"] = _split(row.get("tags", ""))
    fields["active"] = _bool(row.get("active", "true") or "true", "active")
    if "preferred_contact" in fields:
        fields["preferred_contact"] = fields["preferred_contact"].upper()
    return clean_customer_fields(fields)


def _pet_fields(row: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    meds = []
    for item in _split(row.get("medications", "")):
        name, dose, schedule = (item.split("|") + ["", ""])[:3]
        meds.append({"name": name, "dose": dose, "schedule": schedule})
    fields = {
        "name": row.get("pet_name", ""), "species": (row.get("species") or "").strip().upper() or None,
        "breed": row.get("breed", ""), "sex": (row.get("sex") or "UNKNOWN").strip().upper(),
        "birth_date": _date(row.get("birth_date", "")), "weight_lbs": (row.get("weight_lbs") or "").strip() or None,
        "neutered": _bool(row.get("neutered", ""), "neutered"), "colour": row.get("colour", ""),
        "microchip": row.get("microchip", ""), "feeding_instructions": row.get("feeding_instructions", ""),
        "allergies": row.get("allergies", ""), "behaviour_notes": row.get("behaviour_notes", ""),
        "vet_name": row.get("vet_name", ""), "vet_phone": row.get("vet_phone", ""),
        "alert_flags": [f.upper() for f in _split(row.get("alert_flags", ""))], "medications": meds,
    }
    if fields["species"] is None:
        raise RuleViolation("Species required.", errors={"species": ["Required for a pet: DOG, CAT or OTHER."]})
    try:
        Species(fields["species"])
    except ValueError:
        raise RuleViolation("Bad species.", errors={"species": ["Use DOG, CAT or OTHER."]}) from None
    try:
        fields["sex"] = Sex(fields["sex"])
    except ValueError:
        raise RuleViolation("Bad sex.", errors={"sex": ["Use MALE, FEMALE or UNKNOWN."]}) from None
    pet = clean_pet_fields(fields)
    vaccinations = []
    for item in _split(row.get("vaccinations", "")):
        vaccine, given, expires = (item.split("|") + ["", ""])[:3]
        vaccinations.append(clean_vaccination_fields({"vaccine": vaccine, "given_on": _date(given),
                                                "expires_on": _date(expires)}))
        if not vaccinations[-1]["given_on"] or not vaccinations[-1]["expires_on"]:
            raise RuleViolation("Dates required.", errors={"vaccinations": [f"{vaccine}: give both dates."]})
    return pet, vaccinations


def _household_key(row: dict[str, str]) -> str:
    ref = (row.get("customer_ref") or "").strip()
    if ref:
        return "ref:" + ref
    email = (row.get("email") or "").strip().lower()
    if email:
        return "email:" + email
    return "name:" + "|".join((row.get(c) or "").strip().lower() for c in ("first_name", "last_name", "phone"))


def _problems_of(line: int, exc: Exception) -> list[Problem]:
    if isinstance(exc, RuleViolation) and exc.errors:
        return [Problem(line, f, "; ".join(m) if isinstance(m, list) else str(m)) for f, m in exc.errors.items()]
    return [Problem(line, "row", str(exc))]


def import_customers(*, text: str, dry_run: bool) -> ImportReport:
    """Check every row; unless dry_run and only if no row has a problem, import all in one transaction."""
    report = ImportReport(dry_run=dry_run)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(headers) - set(COLUMNS))
    missing = sorted(REQUIRED - set(headers))
    if unknown:
        report.problems.append(Problem(1, "header", f"Unknown columns: {', '.join(unknown)}."))
    if missing:
        report.problems.append(Problem(1, "header", f"Missing required columns: {', '.join(missing)}."))
    if report.problems:
        return report

    households: dict[str, dict[str, Any]] = {}
    emails: dict[str, int] = {}
    for index, raw in enumerate(reader, start=2):
        if index > MAX_ROWS + 1:
            report.problems.append(Problem(index, "row", f"At most {MAX_ROWS:,} rows per file."))
            break
        row = {(k or "").strip(): (v or "") for k, v in raw.items() if k is not None}
        if None in raw:
            report.problems.append(Problem(index, "row", "More cells than columns."))
            continue
        report.rows += 1
        key = _household_key(row)
        if key not in households:
            try:
                fields = _customer_fields(row)
            except (RuleViolation, ValueError) as exc:
                report.problems.extend(_problems_of(index, exc))
                fields = None
            households[key] = {"line": index, "fields": fields, "pets": []}
            email = fields.get("email") if fields else None
            if email:
                if email in emails:
                    report.problems.append(Problem(index, "email", f"Also used on line {emails[email]}."))
                emails[email] = index
        if (row.get("pet_name") or "").strip():
            try:
                households[key]["pets"].append(_pet_fields(row))
            except (RuleViolation, ValueError) as exc:
                report.problems.extend(_problems_of(index, exc))
        elif any((row.get(c) or "").strip() for c in PET_COLUMNS):
            report.problems.append(Problem(index, "pet_name", "Pet details given without a pet name."))

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
