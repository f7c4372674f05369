"""Kennel inventory: runs, suites, cat condos, play yards and grooming tables."""
import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, enum_column


class KennelType(enum.StrEnum):
    RUN = "RUN"
    SUITE = "SUITE"
    LUXURY_SUITE = "LUXURY_SUITE"
    CAT_CONDO = "CAT_CONDO"
    PLAY_YARD = "PLAY_YARD"
    GROOMING_TABLE = "GROOMING_TABLE"


class KennelSize(enum.StrEnum):
    S = "S"
    M = "M"
    L = "L"
    XL = "XL"


class KennelStatus(enum.StrEnum):
    IN_SERVICE = "IN_SERVICE"
    CLEANING = "CLEANING"
    MAINTENANCE = "MAINTENANCE"


class Kennel(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """One bookable space; pets of one household may share it up to its capacity."""

    __tablename__ = "kennels"
    tenant_id_index = False  # led by tenant_id: the unique constraints
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "id"),  # target of composite foreign keys (reservations)
        UniqueConstraint("tenant_id", "id", "capacity"),  # kennel_nights copies the capacity it checks against
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("min_weight_kg IS NULL OR min_weight_kg >= 0", name="min_weight_not_negative"),
        CheckConstraint("max_weight_kg IS NULL OR max_weight_kg > 0", name="max_weight_positive"),
        CheckConstraint("min_weight_kg IS NULL OR max_weight_kg IS NULL OR max_weight_kg >= min_weight_kg",
                        name="weight_range"),
        Index("ix_kennels_tenant_sort", "tenant_id", "sort_order", "code"),
    )

    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    type: Mapped[KennelType] = mapped_column(enum_column(KennelType), nullable=False)
    size: Mapped[KennelSize] = mapped_column(enum_column(KennelSize), nullable=False)
    min_weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    max_weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    capacity: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    location: Mapped[str] = mapped_column(String(120), default="", nullable=False)
    status: Mapped[KennelStatus] = mapped_column(enum_column(KennelStatus), default=KennelStatus.IN_SERVICE,
                                                 nullable=False)
    status_note: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
