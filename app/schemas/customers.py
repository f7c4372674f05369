"""Customer schemas: list items, detail (with pets), create and update bodies."""
import marshmallow as ma

from app.models import ContactMethod, Species
from app.schemas.common import QuerySchema, StrictSchema
from app.schemas.pets import PetDetailSchema, PetSummarySchema
from app.services.contact import normalize_email, normalize_phone


class CustomerBaseSchema(ma.Schema):
    """Fields shared by every customer representation."""

    id = ma.fields.UUID(dump_only=True)
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    first_name = ma.fields.String(metadata={"example": "Jane"})
    last_name = ma.fields.String(metadata={"example": "Doe"})
    email = ma.fields.String(allow_none=True, metadata={"example": "jane@example.com"})
    phone = ma.fields.String(allow_none=True, metadata={"example": "+15551234567"})
    alt_phone = ma.fields.String(allow_none=True, metadata={"example": None})
    preferred_contact = ma.fields.Enum(ContactMethod, metadata={"example": "SMS"})
    active = ma.fields.Boolean(metadata={"example": True})
    tags = ma.fields.List(ma.fields.String(), attribute="tag_names", metadata={"example": ["vip"]})
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class CustomerListItemSchema(CustomerBaseSchema):
    """A customer in a list, with pet summaries (name, species, badges)."""

    pets = ma.fields.List(ma.fields.Nested(PetSummarySchema))
    matched_pets = ma.fields.List(ma.fields.UUID(), attribute="matched_pet_ids", dump_only=True, metadata={
        "description": "With `q`: the ids of the pets whose name the search words matched.", "example": []})


class CustomerDetailSchema(CustomerBaseSchema):
    """A customer with everything the front desk needs: contact, emergency contact, notes, pets."""

    address_line1 = ma.fields.String(metadata={"example": "12 Elm St"})
    address_line2 = ma.fields.String()
    city = ma.fields.String(metadata={"example": "Denver"})
    region = ma.fields.String(metadata={"example": "CO"})
    postal_code = ma.fields.String(metadata={"example": "80202"})
    emergency_name = ma.fields.String(metadata={"example": "John Doe"})
    emergency_phone = ma.fields.String(allow_none=True, metadata={"example": "+15559876543"})
    emergency_relationship = ma.fields.String(metadata={"example": "Spouse"})
    notes = ma.fields.String(metadata={"example": "Prefers afternoon pickup."})
    pets = ma.fields.List(ma.fields.Nested(PetDetailSchema))


TEXT = {"validate": ma.validate.Length(max=200)}


def not_blank(value: str) -> None:
    """A name of only spaces is refused here too, so it is reported with every other field at once."""
    if value and not value.strip():
        raise ma.ValidationError("Must not be empty.")


NAME = [ma.validate.Length(1, 100), not_blank]


def _checked_with(normalize, limit: int):
    """A validator that runs the service's own normaliser, so a bad email or phone is reported with the rest."""
    def validate(value: str | None) -> None:
        if value and len(value) <= limit:
            try:
                normalize(value)
            except ValueError as exc:
                raise ma.ValidationError(str(exc)) from None
    return [ma.validate.Length(max=limit), validate]


class CustomerWriteSchema(StrictSchema):
    """Create or update a customer; phones in any format, stored as E.164."""

    first_name = ma.fields.String(validate=NAME, metadata={"example": "Jane"})
    last_name = ma.fields.String(validate=NAME, metadata={"example": "Doe"})
    email = ma.fields.String(allow_none=True, validate=_checked_with(normalize_email, 254),
                             metadata={"example": "Jane@Example.com"})
    phone = ma.fields.String(allow_none=True, validate=_checked_with(normalize_phone, 40),
                             metadata={"example": "(555) 123-4567"})
    alt_phone = ma.fields.String(allow_none=True, validate=_checked_with(normalize_phone, 40))
    address_line1 = ma.fields.String(**TEXT)
    address_line2 = ma.fields.String(**TEXT)
    city = ma.fields.String(validate=ma.validate.Length(max=100))
    region = ma.fields.String(validate=ma.validate.Length(max=100))
    postal_code = ma.fields.String(validate=ma.validate.Length(max=20))
    emergency_name = ma.fields.String(**TEXT)
    emergency_phone = ma.fields.String(allow_none=True, validate=_checked_with(normalize_phone, 40))
    emergency_relationship = ma.fields.String(validate=ma.validate.Length(max=100))
    preferred_contact = ma.fields.Enum(ContactMethod, metadata={"example": "SMS"})
    notes = ma.fields.String(validate=ma.validate.Length(max=10_000))
    tags = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 40)), validate=ma.validate.Length(max=20),
                          metadata={"example": ["vip"]})
    active = ma.fields.Boolean()


class CustomerCreateSchema(CustomerWriteSchema):
    """Create a customer: first and last name are required."""

    first_name = ma.fields.String(required=True, validate=NAME, metadata={"example": "Jane"})
    last_name = ma.fields.String(required=True, validate=NAME, metadata={"example": "Doe"})


class CustomerQuerySchema(QuerySchema):
    """Search, filter and sort customers."""

    q = ma.fields.String(metadata={"description": "Name words (any order, prefix; accents, umlaut spellings "
                                                  "and punctuation forgiven: mueller finds Müller), email, "
                                                  "phone digits in any format, or pet name.", "example": "jan do"})
    active = ma.fields.Boolean()
    tag = ma.fields.String()
    species = ma.fields.Enum(Species, metadata={"description": "Has a pet of this species."})
    has_expired_vaccinations = ma.fields.Boolean(metadata={
        "description": "Has a pet with a vaccine whose latest record (the one expiring last) expired before today; "
                       "an expired record a newer one replaces does not count."})
    sort = ma.fields.String(load_default="name", validate=ma.validate.OneOf(["name", "-name", "created_at",
                                                                            "-created_at", "updated_at"]),
                            metadata={"description": "`updated_at`: oldest change first, a change-feed request."})
