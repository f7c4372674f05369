"""Pets, their vaccinations, and the tenant's vaccine requirements."""
import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.extensions import db
from app.core.weights import kg_to_lb
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, enum_column
from app.models.customers import Customer


class Species(enum.StrEnum):
    DOG = "DOG"
    CAT = "CAT"
    OTHER = "OTHER"


class Sex(enum.StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNKNOWN = "UNKNOWN"


class ServiceCategory(enum.StrEnum):
    BOARDING = "BOARDING"
    DAYCARE = "DAYCARE"
    GROOMING = "GROOMING"
    TRAINING = "TRAINING"


class AlertFlag(enum.StrEnum):
    """Badges shown on every list and card that shows the pet."""

    AGGRESSIVE = "AGGRESSIVE"
    ESCAPE_RISK = "ESCAPE_RISK"
    MEDICATION = "MEDICATION"
    SPECIAL_DIET = "SPECIAL_DIET"
    SENIOR = "SENIOR"
    ANXIOUS = "ANXIOUS"
    ALLERGIES = "ALLERGIES"
    NO_GROUP_PLAY = "NO_GROUP_PLAY"
    BITE_HISTORY = "BITE_HISTORY"


class Pet(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A pet of one household, with its care profile."""

    __tablename__ = "pets"
    tenant_id_index = False  # led by tenant_id: the unique constraint
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                             ondelete="CASCADE"),
        # Kilograms; the bound is the old 1000 lb limit (migrations/versions/f3b8c2d1a9e4_weights_in_kilograms.py).
        CheckConstraint("weight_kg IS NULL OR (weight_kg > 0 AND weight_kg < 453.59237)", name="weight_range"),
        Index("ix_pets_tenant_customer", "tenant_id", "customer_id"),
        Index("ix_pets_tenant_name", "tenant_id", "name"),  # the list by name, and name-prefix search
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    species: Mapped[Species] = mapped_column(enum_column(Species), nullable=False)
    breed: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex), default=Sex.UNKNOWN, nullable=False)
    birth_date: Mapped[date | None] = mapped_column(Date)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))  # shown in the tenant's weight_unit
    neutered: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    colour: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    microchip: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    feeding_instructions: Mapped[str] = mapped_column(Text, default="", nullable=False)
    medications: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # [{name, dose, schedule}]
    allergies: Mapped[str] = mapped_column(Text, default="", nullable=False)
    behaviour_notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    vet_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    vet_phone: Mapped[str | None] = mapped_column(String(20))
    alert_flags: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    photo_key: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    owner: Mapped[Customer] = relationship(back_populates="pets", lazy="raise")

    @property
    def has_photo(self) -> bool:
        return bool(self.photo_key)

    @property
    def weight_lbs(self) -> Decimal | None:
        """The stored weight in pounds, to 0.1 lb (derived; for API compatibility)."""
        return kg_to_lb(self.weight_kg)

    vaccinations: Mapped[list["Vaccination"]] = relationship(back_populates="pet", cascade="all, delete-orphan",
                                                             order_by="Vaccination.vaccine", lazy="raise")


class Vaccination(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """One vaccine given to a pet; valid through expires_on (inclusive)."""

    __tablename__ = "vaccinations"
    tenant_id_index = False  # led by tenant_id: the indexes below
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "pet_id"], ["pets.tenant_id", "pets.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "verified_by_id"], ["users.tenant_id", "users.id"]),
        CheckConstraint("expires_on > given_on", name="expires_after_given"),
        Index("ix_vaccinations_tenant_pet", "tenant_id", "pet_id"),
        Index("ix_vaccinations_tenant_expires", "tenant_id", "expires_on"),
    )

    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    vaccine: Mapped[str] = mapped_column(String(60), nullable=False)
    given_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    document_key: Mapped[str | None] = mapped_column(String(200))

    pet: Mapped[Pet] = relationship(back_populates="vaccinations", lazy="raise")

    @property
    def has_document(self) -> bool:
        return bool(self.document_key)


class VaccineRequirement(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """A vaccine a species must have for a service category (drives compliance)."""

    __tablename__ = "vaccine_requirements"
    tenant_id_index = False  # led by tenant_id: the unique constraint
    __table_args__ = (UniqueConstraint("tenant_id", "species", "category", "vaccine"),)

    species: Mapped[Species] = mapped_column(enum_column(Species), nullable=False)
    category: Mapped[ServiceCategory] = mapped_column(enum_column(ServiceCategory), nullable=False)
    vaccine: Mapped[str] = mapped_column(String(60), nullable=False)
