"""Pet and vaccination schemas."""
import marshmallow as ma

from app.models import AlertFlag, ServiceCategory, Sex, Species
from app.schemas.common import QuerySchema, StrictSchema


class VaccinationSchema(ma.Schema):
    """One vaccination record."""

    id = ma.fields.UUID(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "When the row last changed (the change feed's order)."})
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    pet_id = ma.fields.UUID(dump_only=True)
    vaccine = ma.fields.String(metadata={"example": "Rabies"})
    given_on = ma.fields.Date(metadata={"example": "2026-03-01"})
    expires_on = ma.fields.Date(metadata={"example": "2029-03-01"})
    verified_by_id = ma.fields.UUID(dump_only=True, allow_none=True)
    verified_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    has_document = ma.fields.Boolean(dump_only=True)


class VaccinationWriteSchema(StrictSchema):
    """Record or correct a vaccination; `verified: true` stamps you as having checked the certificate."""

    vaccine = ma.fields.String(validate=ma.validate.Length(1, 60), metadata={"example": "Rabies"})
    given_on = ma.fields.Date(metadata={"example": "2026-03-01"})
    expires_on = ma.fields.Date(metadata={"example": "2029-03-01"})
    verified = ma.fields.Boolean(metadata={"example": True})


class VaccinationCreateSchema(VaccinationWriteSchema):
    """A new vaccination: vaccine and both dates are required."""

    vaccine = ma.fields.String(required=True, validate=ma.validate.Length(1, 60), metadata={"example": "Rabies"})
    given_on = ma.fields.Date(required=True, metadata={"example": "2026-03-01"})
    expires_on = ma.fields.Date(required=True, metadata={"example": "2029-03-01"})


class MedicationSchema(StrictSchema):
    """A medication given at the resort."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100), metadata={"example": "Apoquel"})
    dose = ma.fields.String(load_default="", validate=ma.validate.Length(max=100), metadata={"example": "16 mg"})
    schedule = ma.fields.String(load_default="", validate=ma.validate.Length(max=100),
                                metadata={"example": "Once daily with breakfast"})


class PetSummarySchema(ma.Schema):
    """A pet as shown in lists: enough for a badge row."""

    id = ma.fields.UUID(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "When the row last changed (the change feed's order)."})
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    name = ma.fields.String(metadata={"example": "Rex"})
    species = ma.fields.Enum(Species, metadata={"example": "DOG"})
    breed = ma.fields.String(metadata={"example": "Labrador"})
    alert_flags = ma.fields.List(ma.fields.String(), metadata={"example": ["ESCAPE_RISK"]})
    active = ma.fields.Boolean()


class PetDetailSchema(PetSummarySchema):
    """A pet's full care profile and vaccinations."""

    customer_id = ma.fields.UUID(dump_only=True)
    sex = ma.fields.Enum(Sex, metadata={"example": "MALE"})
    birth_date = ma.fields.Date(allow_none=True, metadata={"example": "2020-05-17"})
    weight_kg = ma.fields.Decimal(as_string=True, allow_none=True, places=2,
                                  metadata={"example": "28.35", "description": "The stored weight, in kilograms."})
    weight_lbs = ma.fields.Decimal(as_string=True, allow_none=True, dump_only=True, metadata={
        "example": "62.5", "description": "Derived from weight_kg, to 0.1 lb (kept for older clients)."})
    neutered = ma.fields.Boolean()
    colour = ma.fields.String(metadata={"example": "Yellow"})
    microchip = ma.fields.String(metadata={"example": "985112345678901"})
    feeding_instructions = ma.fields.String(metadata={"example": "2 cups kibble, twice daily"})
    medications = ma.fields.List(ma.fields.Nested(MedicationSchema))
    allergies = ma.fields.String(metadata={"example": "Chicken"})
    behaviour_notes = ma.fields.String(metadata={"example": "Nervous around large dogs"})
    vet_name = ma.fields.String(metadata={"example": "Mile High Vet Clinic"})
    vet_phone = ma.fields.String(allow_none=True, metadata={"example": "+13035550100"})
    has_photo = ma.fields.Boolean(dump_only=True)
    vaccinations = ma.fields.List(ma.fields.Nested(VaccinationSchema))
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class PetWriteSchema(StrictSchema):
    """Create or update a pet; `customer_id` moves it to another household of this resort."""

    customer_id = ma.fields.UUID(metadata={"example": "0f8e3c4a-1b2c-4d5e-8f90-123456789abc"})
    name = ma.fields.String(validate=ma.validate.Length(1, 100), metadata={"example": "Rex"})
    species = ma.fields.Enum(Species, metadata={"example": "DOG"})
    breed = ma.fields.String(validate=ma.validate.Length(max=100))
    sex = ma.fields.Enum(Sex)
    birth_date = ma.fields.Date(allow_none=True)
    weight_kg = ma.fields.Decimal(allow_none=True, as_string=True, metadata={"example": "28.35"})
    weight_lbs = ma.fields.Decimal(allow_none=True, as_string=True, metadata={
        "example": "62.5", "description": "Instead of weight_kg: pounds, converted to kilograms (not both)."})
    neutered = ma.fields.Boolean()
    colour = ma.fields.String(validate=ma.validate.Length(max=100))
    microchip = ma.fields.String(validate=ma.validate.Length(max=40))
    feeding_instructions = ma.fields.String(validate=ma.validate.Length(max=10_000))
    medications = ma.fields.List(ma.fields.Nested(MedicationSchema), validate=ma.validate.Length(max=30))
    allergies = ma.fields.String(validate=ma.validate.Length(max=10_000))
    behaviour_notes = ma.fields.String(validate=ma.validate.Length(max=10_000))
    vet_name = ma.fields.String(validate=ma.validate.Length(max=200))
    vet_phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=40))
    alert_flags = ma.fields.List(ma.fields.Enum(AlertFlag), metadata={"example": ["ESCAPE_RISK", "SPECIAL_DIET"]})
    active = ma.fields.Boolean()


class PetCreateSchema(PetWriteSchema):
    """Add a pet to a household."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100), metadata={"example": "Rex"})
    species = ma.fields.Enum(Species, required=True, metadata={"example": "DOG"})


class VaccinationQuerySchema(QuerySchema):
    """Filter vaccination records."""

    pet_id = ma.fields.UUID(metadata={"description": "Only this pet's records."})


class PetQuerySchema(QuerySchema):
    """Filter pets."""

    q = ma.fields.String(metadata={"description": "Pet name prefix."})
    species = ma.fields.Enum(Species)
    active = ma.fields.Boolean()
    customer_id = ma.fields.UUID()


class ComplianceQuerySchema(QuerySchema):
    """Compliance for a service category over a date range (default: today)."""

    category = ma.fields.Enum(ServiceCategory, load_default=ServiceCategory.BOARDING)
    start = ma.fields.Date(metadata={"example": "2026-12-20"})
    end = ma.fields.Date(metadata={"example": "2026-12-27"})


class VaccineStatusSchema(ma.Schema):
    vaccine = ma.fields.String(metadata={"example": "Rabies"})
    status = ma.fields.String(metadata={"example": "CURRENT"})
    expires_on = ma.fields.Date(allow_none=True)


class ComplianceSchema(ma.Schema):
    """Per-vaccine and overall compliance."""

    category = ma.fields.Enum(ServiceCategory)
    start = ma.fields.Date()
    end = ma.fields.Date()
    status = ma.fields.String(metadata={"example": "EXPIRING_SOON"})
    ok = ma.fields.Boolean(metadata={"description": "False when anything required is missing or expired."})
    vaccines = ma.fields.List(ma.fields.Nested(VaccineStatusSchema))


class VaccineRequirementSchema(ma.Schema):
    """A required vaccine for a species and service category."""

    id = ma.fields.UUID(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True, metadata={"description": "When the row last changed (the change feed's order)."})
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Row version; the ETag is \"<id>-<version>\"."})
    species = ma.fields.Enum(Species, required=True, metadata={"example": "DOG"})
    category = ma.fields.Enum(ServiceCategory, required=True, metadata={"example": "BOARDING"})
    vaccine = ma.fields.String(required=True, validate=ma.validate.Length(1, 60), metadata={"example": "Bordetella"})


class VaccineRequirementCreateSchema(VaccineRequirementSchema, StrictSchema):
    """Require a vaccine."""
