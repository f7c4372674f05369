"""Plain-data copies of rows, for the cache: picklable, detached, values in their Python types.

The service decides what a cached detail holds; the API's schemas dump these copies exactly as they
dump the rows (tests/services/test_plain.py holds the two side by side).
"""
from typing import Any

CUSTOMER_FIELDS = ("id", "version", "first_name", "last_name", "email", "phone", "alt_phone", "preferred_contact", "active",
                   "tag_names", "created_at", "updated_at", "address_line1", "address_line2", "city", "region",
                   "postal_code", "emergency_name", "emergency_phone", "emergency_relationship", "notes")
PET_FIELDS = ("id", "version", "name", "species", "breed", "alert_flags", "active", "customer_id", "sex", "birth_date",
              "weight_kg", "weight_lbs", "neutered", "colour", "microchip", "feeding_instructions", "allergies", "behaviour_notes",
              "vet_name", "vet_phone", "has_photo", "created_at", "updated_at")
MEDICATION_FIELDS = ("name", "dose", "schedule")
VACCINATION_FIELDS = ("id", "version", "pet_id", "vaccine", "given_on", "expires_on", "verified_by_id", "verified_at",
                      "has_document", "updated_at")


def _copy(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of obj; lists copied so the cached value shares nothing with the session."""
    plain = {}
    for name in fields:
        value = getattr(obj, name)
        plain[name] = list(value) if isinstance(value, list) else value
    return plain


def pet_plain(pet) -> dict[str, Any]:
    """A pet's care profile with its medications and vaccinations."""
    plain = _copy(pet, PET_FIELDS)
    plain["medications"] = [{name: med.get(name) for name in MEDICATION_FIELDS} for med in pet.medications]
    plain["vaccinations"] = [_copy(v, VACCINATION_FIELDS) for v in pet.vaccinations]
    return plain


def customer_plain(customer) -> dict[str, Any]:
    """A customer with tags, contact details, notes and every pet (tags, pets and vaccinations loaded)."""
    plain = _copy(customer, CUSTOMER_FIELDS)
    plain["pets"] = [pet_plain(p) for p in customer.pets]
    return plain
