"""Pets and their vaccinations; every write refreshes the owner's search words and cached lookup."""
import uuid
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import weights
from app.core.errors import NotFound, RuleViolation
from app.core.extensions import db
from app.core.pagination import paginate
from app.core.storage import SNIFF_BYTES, TooLarge, sniff_document, sniff_image, storage
from app.models import AlertFlag, Pet, Species, Vaccination
from app.models.base import utcnow
from app.services import audit
from app.services.compliance import known_vaccines, tenant_today
from app.services.contact import fold, normalize_phone
from app.services.customers import forget_customer, load_customer, refresh_search_text, refuse_if_history
from app.services.rows import expect_version, refuse_stale
from app.tenancy import current_tenant

LONG_TEXT = ("feeding_instructions", "allergies", "behaviour_notes")
TEXT_LIMIT = 10_000
WEIGHT_FIELDS = ("weight_kg", "weight_lbs")  # kilograms are stored; pounds are converted on the way in
PET_FIELDS = ["name", "species", "breed", "sex", "birth_date", "weight_kg", "neutered", "colour", "microchip",
              "feeding_instructions", "medications", "allergies", "behaviour_notes", "vet_name", "vet_phone",
              "alert_flags", "active", "customer_id"]


def _clean_weight(out: dict[str, Any], errors: dict[str, list[str]], current: Pet | None) -> None:
    """Turn weight_kg or weight_lbs (either, never both) into the stored weight_kg.

    A pound figure equal to the one shown for the stored weight keeps the stored kilograms, so
    saving a form (or PUTting back what was read) without touching the weight never drifts it.
    """
    given = [f for f in WEIGHT_FIELDS if f in out]
    if len(given) > 1:
        for f in given:
            errors[f] = ["Send weight_kg or weight_lbs, not both."]
        return
    if not given:
        return
    field = given[0]
    raw = out.pop(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        out["weight_kg"] = None
        return
    unit = weights.UNIT_OF_FIELD[field]
    kg, problem = weights.parse_kg(raw, unit)
    if problem:
        errors[field] = [problem]
    elif current is not None and current.weight_kg is not None and \
            weights.in_unit(current.weight_kg, unit) == Decimal(str(raw).strip()):
        out["weight_kg"] = current.weight_kg
    else:
        out["weight_kg"] = kg


def clean_pet_fields(fields: dict[str, Any], current: Pet | None = None) -> dict[str, Any]:
    """Check a pet's fields (against the stored pet when editing); errors name every bad field at once."""
    errors: dict[str, list[str]] = {}
    out = dict(fields)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            errors["name"] = ["Must not be empty."]
    if out.get("birth_date") and out["birth_date"] > tenant_today():
        errors["birth_date"] = ["Cannot be in the future."]
    _clean_weight(out, errors, current)
    for field in LONG_TEXT:
        if len(out.get(field) or "") > TEXT_LIMIT:
            errors[field] = [f"At most {TEXT_LIMIT:,} characters."]
    if "vet_phone" in out:
        try:
            out["vet_phone"] = normalize_phone(out["vet_phone"])
        except ValueError as exc:
            errors["vet_phone"] = [str(exc)]
    if "alert_flags" in out:
        try:
            out["alert_flags"] = sorted({AlertFlag(f).value for f in out["alert_flags"] or []})
        except ValueError:
            errors["alert_flags"] = [f"Use only: {', '.join(f.value for f in AlertFlag)}."]
    if "medications" in out:
        meds = []
        for i, med in enumerate(out["medications"] or []):
            name = (med.get("name") or "").strip()
            if not name:
                errors.setdefault("medications", []).append(f"Medication {i + 1} needs a name.")
            meds.append({"name": name, "dose": (med.get("dose") or "").strip(),
                         "schedule": (med.get("schedule") or "").strip()})
        out["medications"] = meds
        # A pet on medication always carries the badge, so no card can hide it.
        if meds and "alert_flags" in out and not errors.get("alert_flags"):
            out["alert_flags"] = sorted(set(out["alert_flags"]) | {AlertFlag.MEDICATION.value})
    if "species" in out and out["species"] is not None:
        out["species"] = Species(out["species"])
    if errors:
        raise RuleViolation("Please correct the highlighted fields.", errors=errors)
    return out


def get_pet(*, pet_id: uuid.UUID, with_vaccinations: bool = False) -> Pet:
    """One pet of the current tenant."""
    stmt = select(Pet).where(Pet.id == pet_id).options(selectinload(Pet.owner))
    if with_vaccinations:
        stmt = stmt.options(selectinload(Pet.vaccinations))
    pet = db.session.execute(stmt).scalar_one_or_none()
    if pet is None:
        raise NotFound("Pet not found.")
    return pet


def create_pet(*, customer_id: uuid.UUID, **fields) -> Pet:
    """Add a pet to a household of this tenant (another tenant's customer is simply not found)."""
    owner = load_customer(customer_id)
    fields.setdefault("alert_flags", [])
    fields.setdefault("medications", [])
    fields = clean_pet_fields(fields)
    pet = Pet(customer_id=owner.id, **fields)
    db.session.add(pet)
    db.session.flush()
    refresh_search_text(owner)
    audit.record("pet.created", "pet", pet.id, changes={"name": pet.name, "customer_id": str(owner.id)})
    forget_customer(owner.id)
    db.session.commit()
    return pet


@refuse_stale
def update_pet(*, pet_id: uuid.UUID, expected_version: int | None = None, **fields) -> Pet:
    """Edit a pet's profile, flags or owner within this tenant (refused if its version is no longer expected_version)."""
    pet = get_pet(pet_id=pet_id)
    expect_version(pet, expected_version)
    if "alert_flags" not in fields and "medications" in fields:
        fields["alert_flags"] = pet.alert_flags
    fields = clean_pet_fields(fields, current=pet)
    old_owner = pet.customer_id
    if "customer_id" in fields and fields["customer_id"] != old_owner:
        fields["customer_id"] = load_customer(fields["customer_id"]).id  # 404 for another tenant's customer
    old = audit.snapshot(pet, list(fields))
    for field, value in fields.items():
        setattr(pet, field, value)
    db.session.flush()
    for owner_id in {old_owner, pet.customer_id}:
        refresh_search_text(load_customer(owner_id))
    changes = audit.changes_of(old, fields)
    if changes:
        audit.record("pet.updated", "pet", pet.id, changes=changes)
    for owner_id in {old_owner, pet.customer_id}:
        forget_customer(owner_id)
    db.session.commit()
    return pet


@refuse_stale
def delete_pet(*, pet_id: uuid.UUID, expected_version: int | None = None) -> None:
    """Delete a pet (with its vaccinations); pets that bookings refer to are deactivated instead."""
    pet = get_pet(pet_id=pet_id)
    if expected_version is not None:
        expect_version(pet, expected_version)
    owner_id = pet.customer_id
    refuse_if_history(owner_id, "pet")
    audit.record("pet.deleted", "pet", pet.id, changes={"name": pet.name})
    db.session.delete(pet)
    db.session.flush()
    refresh_search_text(load_customer(owner_id))
    forget_customer(owner_id)
    db.session.commit()


def list_pets(*, page: int, page_size: int, species: Species | None = None, active: bool | None = None,
              customer_id: uuid.UUID | None = None, q: str | None = None) -> tuple[list[Pet], int]:
    """A page of pets, filtered, with owners loaded."""
    stmt = select(Pet).order_by(Pet.name, Pet.id).options(selectinload(Pet.owner))
    if species:
        stmt = stmt.where(Pet.species == species)
    if active is not None:
        stmt = stmt.where(Pet.active == active)
    if customer_id:
        stmt = stmt.where(Pet.customer_id == customer_id)
    if q:
        stmt = stmt.where(Pet.name.ilike(f"{fold(q)}%"))
    return paginate(stmt, page=page, page_size=page_size)


def list_vaccinations(*, page: int, page_size: int, pet_id: uuid.UUID | None = None) -> tuple[list[Vaccination], int]:
    """A page of the tenant's vaccination records (every pet's), oldest record first."""
    stmt = select(Vaccination).order_by(Vaccination.created_at, Vaccination.id)
    if pet_id:
        stmt = stmt.where(Vaccination.pet_id == pet_id)
    return paginate(stmt, page=page, page_size=page_size)


def _max_bytes(setting: str) -> int:
    from flask import current_app

    return current_app.config[setting]


def _too_large(field: str, label: str, limit: int) -> RuleViolation:
    return RuleViolation(f"{label} too large.", errors={field: [f"At most {limit // (1024 * 1024)} MB."]})


def set_photo(*, pet_id: uuid.UUID, stream: BinaryIO) -> Pet:
    """Store a pet photo, streamed to storage, after checking it really is an image of sensible size."""
    limit = _max_bytes("MAX_PHOTO_BYTES")
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise RuleViolation("No photo sent.", errors={"photo": ["Send an image file."]})
    mime = sniff_image(head)
    if mime is None:
        raise RuleViolation("Not an image.", errors={"photo": ["Upload a PNG, JPEG, GIF or WebP image."]})
    pet = get_pet(pet_id=pet_id)
    old_key = pet.photo_key
    try:
        pet.photo_key = storage().save_stream(tenant_id=current_tenant().id, head=head, stream=stream,
                                              suffix="." + mime.split("/")[1], max_bytes=limit)
    except TooLarge:
        raise _too_large("photo", "Photo", limit) from None
    audit.record("pet.photo_changed", "pet", pet.id)
    forget_customer(pet.customer_id)
    db.session.commit()
    if old_key:
        storage().delete(old_key)
    return pet


def read_photo(*, pet_id: uuid.UUID) -> tuple[bytes, str]:
    """The pet's photo bytes and MIME type."""
    pet = get_pet(pet_id=pet_id)
    if not pet.photo_key:
        raise NotFound("This pet has no photo.")
    data = storage().read(pet.photo_key)
    return data, sniff_image(data) or "application/octet-stream"


# --- vaccinations ---------------------------------------------------------------------------------


def clean_vaccination_fields(fields: dict[str, Any], current: Vaccination | None = None,
                             vaccines: list[str] | None = None) -> dict[str, Any]:
    """Check a vaccination against the tenant's vaccine list (pass `vaccines` to reuse one already read)."""
    errors: dict[str, list[str]] = {}
    out = dict(fields)
    if "vaccine" in out:
        names = {v.casefold(): v for v in (known_vaccines() if vaccines is None else vaccines)}
        canonical = names.get((out["vaccine"] or "").strip().casefold())
        if canonical is None:
            errors["vaccine"] = [f"Unknown vaccine; use one of: {', '.join(names.values())}."]
        out["vaccine"] = canonical
    given = out.get("given_on", current.given_on if current else None)
    expires = out.get("expires_on", current.expires_on if current else None)
    if given and given > tenant_today():
        errors["given_on"] = ["Cannot be in the future."]
    if given and expires and expires <= given:
        errors["expires_on"] = ["Must be after the date given."]
    if errors:
        raise RuleViolation("Please correct the highlighted fields.", errors=errors)
    return out


def add_vaccination(*, pet_id: uuid.UUID, vaccine: str, given_on: date, expires_on: date,
                    verified: bool = False, verified_by_id: uuid.UUID | None = None) -> Vaccination:
    """Record a vaccination; `verified` stamps who checked the certificate and when."""
    pet = get_pet(pet_id=pet_id)
    fields = clean_vaccination_fields({"vaccine": vaccine, "given_on": given_on, "expires_on": expires_on})
    record = Vaccination(pet_id=pet.id, **fields)
    if verified:
        record.verified_by_id, record.verified_at = verified_by_id, utcnow()
    db.session.add(record)
    db.session.flush()
    audit.record("vaccination.created", "vaccination", record.id,
                 changes={"pet_id": str(pet.id), "vaccine": record.vaccine, "expires_on": str(record.expires_on)})
    forget_customer(pet.customer_id)
    db.session.commit()
    return record


def get_vaccination(*, pet_id: uuid.UUID, vaccination_id: uuid.UUID) -> Vaccination:
    """One vaccination of one pet."""
    record = db.session.execute(select(Vaccination).where(Vaccination.id == vaccination_id,
                                                          Vaccination.pet_id == pet_id)).scalar_one_or_none()
    if record is None:
        raise NotFound("Vaccination not found.")
    return record


def update_vaccination(*, pet_id: uuid.UUID, vaccination_id: uuid.UUID, verified: bool | None = None,
                       verified_by_id: uuid.UUID | None = None, **fields) -> Vaccination:
    """Correct a vaccination's dates or vaccine, or mark it verified."""
    record = get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    fields = clean_vaccination_fields(fields, record)
    old = audit.snapshot(record, list(fields))
    for field, value in fields.items():
        setattr(record, field, value)
    if verified is not None:
        record.verified_by_id, record.verified_at = (verified_by_id, utcnow()) if verified else (None, None)
    changes = audit.changes_of(old, fields)
    if verified is not None:
        changes["verified"] = verified
    audit.record("vaccination.updated", "vaccination", record.id, changes=changes)
    owner_id = get_pet(pet_id=pet_id).customer_id
    forget_customer(owner_id)
    db.session.commit()
    return record


def expire_vaccination(*, pet_id: uuid.UUID, vaccination_id: uuid.UUID) -> Vaccination:
    """Mark a vaccination as no longer valid from today (kept for the record, not deleted)."""
    record = get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    yesterday = date.fromordinal(tenant_today().toordinal() - 1)
    new_expiry = max(yesterday, date.fromordinal(record.given_on.toordinal() + 1))
    return update_vaccination(pet_id=pet_id, vaccination_id=vaccination_id, expires_on=new_expiry)


def delete_vaccination(*, pet_id: uuid.UUID, vaccination_id: uuid.UUID) -> None:
    """Remove a vaccination entered by mistake."""
    record = get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    owner_id = get_pet(pet_id=pet_id).customer_id
    audit.record("vaccination.deleted", "vaccination", record.id, changes={"vaccine": record.vaccine})
    db.session.delete(record)
    forget_customer(owner_id)
    db.session.commit()


def set_vaccination_document(*, pet_id: uuid.UUID, vaccination_id: uuid.UUID, stream: BinaryIO) -> Vaccination:
    """Attach the vet's certificate (PDF or image, at most 10 MB by default), streamed to storage."""
    limit = _max_bytes("MAX_DOCUMENT_BYTES")
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise RuleViolation("No document sent.", errors={"document": ["Send a PDF or image file."]})
    mime = sniff_document(head)
    if mime is None:
        raise RuleViolation("Not a PDF or image.", errors={"document": ["Upload a PDF, PNG, JPEG, GIF or WebP file."]})
    record = get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    old_key = record.document_key
    suffix = ".pdf" if mime == "application/pdf" else "." + mime.split("/")[1]
    try:
        record.document_key = storage().save_stream(tenant_id=current_tenant().id, head=head, stream=stream,
                                                    suffix=suffix, max_bytes=limit)
    except TooLarge:
        raise _too_large("document", "Document", limit) from None
    audit.record("vaccination.document_attached", "vaccination", record.id)
    owner_id = get_pet(pet_id=pet_id).customer_id
    forget_customer(owner_id)
    db.session.commit()
    if old_key:
        storage().delete(old_key)
    return record


def read_vaccination_document(*, pet_id: uuid.UUID, vaccination_id: uuid.UUID) -> tuple[bytes, str]:
    """The certificate's bytes and MIME type."""
    record = get_vaccination(pet_id=pet_id, vaccination_id=vaccination_id)
    if not record.document_key:
        raise NotFound("This vaccination has no document.")
    data = storage().read(record.document_key)
    return data, sniff_document(data) or "application/octet-stream"


def pet_records(pet: Pet) -> list[tuple[str, date, date]]:
    """(vaccine, given_on, expires_on) for compliance."""
    return [(v.vaccine, v.given_on, v.expires_on) for v in pet.vaccinations]
