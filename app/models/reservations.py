"""Reservations: a household's booking of one service for one or more pets, and the nights it holds.

Occupancy lives in its own tables so the database, not Python, keeps kennels from being overbooked:

- `kennel_nights`: one row per pet per night in a kennel. `slot` runs from 1 to the kennel's
  capacity and (kennel, night, slot) is the primary key, so no more rows than places can exist
  for a night. `capacity` is copied from the kennel through a composite foreign key with
  ON UPDATE CASCADE, so the CHECK `slot <= capacity` holds even when a manager lowers a
  kennel's capacity (the update is refused while bookings use the places). On PostgreSQL an
  exclusion constraint (btree_gist) refuses two households on one kennel-night; on SQLite a
  trigger does (SQLite runs one writer at a time, so a trigger's check cannot race). Both live in
  the migration: Alembic's comparison does not model them.
- `service_days`: the same for a service's daily capacity (daycare places, grooming slots).

Only live bookings (PENDING, CONFIRMED, CHECKED_IN) hold rows: check-out, cancellation and
no-show release them, so history never blocks a later capacity change.
"""
import enum
import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from app.core.extensions import db
from app.models.base import TenantScoped, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned, enum_column


class ReservationStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CHECKED_IN = "CHECKED_IN"
    CHECKED_OUT = "CHECKED_OUT"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


LIVE_STATUSES = (ReservationStatus.PENDING, ReservationStatus.CONFIRMED, ReservationStatus.CHECKED_IN)


class ReservationSource(enum.StrEnum):
    WEB = "WEB"
    API = "API"


class Reservation(UUIDPrimaryKey, TenantScoped, Timestamps, Versioned, db.Model):
    """One booking: a household, a service, dates, pets (each with a kennel when needed) and the price sold."""

    __tablename__ = "reservations"
    tenant_id_index = False  # led by tenant_id: the constraints and indexes below
    __table_args__ = (
        UniqueConstraint("tenant_id", "id"),
        UniqueConstraint("tenant_id", "id", "customer_id"),  # target of the occupancy tables' household key
        UniqueConstraint("tenant_id", "confirmation_code"),
        # RESTRICT: a household, service or kennel that bookings refer to is deactivated, never deleted.
        ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"]),
        ForeignKeyConstraint(["tenant_id", "service_id"], ["services.tenant_id", "services.id"]),
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        CheckConstraint("total_cents >= 0 AND deposit_cents >= 0 AND deposit_cents <= total_cents",
                        name="money_in_range"),
        # "Which stays touch first..last" is `end_date >= first AND start_date <= last`. Each index carries
        # the other date, so either scan checks both in the index and visits only the stays that touch:
        # by departure for the boards and date-range lists (the booked future), by arrival for a page
        # sorted by arrival. (A GiST daterange index cannot be used: under row-level security only
        # leakproof operators become index conditions, and range overlap is not one.)
        Index("ix_reservations_tenant_start", "tenant_id", "start_date", "end_date"),
        Index("ix_reservations_tenant_end", "tenant_id", "end_date", "start_date"),
        # The list's sort order: a page, first or deep, is read from the index (ids only), never a sort of history.
        Index("ix_reservations_tenant_list", "tenant_id", "start_date", "created_at", "id"),
        Index("ix_reservations_tenant_customer", "tenant_id", "customer_id", "start_date"),
        Index("ix_reservations_tenant_status", "tenant_id", "status", "start_date"),
        Index("ix_reservations_tenant_service", "tenant_id", "service_id", "start_date"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    status: Mapped[ReservationStatus] = mapped_column(enum_column(ReservationStatus),
                                                      default=ReservationStatus.PENDING, nullable=False)
    source: Mapped[ReservationSource] = mapped_column(enum_column(ReservationSource),
                                                      default=ReservationSource.WEB, nullable=False)
    confirmation_code: Mapped[str] = mapped_column(String(12), nullable=False)
    # Tenant-local dates; boarding holds the nights [start_date, end_date), daycare the days
    # start_date..end_date, an appointment its one date (end_date == start_date).
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    arrival_time: Mapped[time | None] = mapped_column(Time)
    departure_time: Mapped[time | None] = mapped_column(Time)
    notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # The price it was sold at: the quote engine's breakdown, kept when the catalog changes later.
    quote: Mapped[dict] = mapped_column(JSON, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    total_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    vaccine_override_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    vaccine_override_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)

    created_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_out_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    cancel_reason: Mapped[str] = mapped_column(Text, default="", nullable=False)
    no_show_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_show_by: Mapped[str] = mapped_column(String(200), default="", nullable=False)

    # Check-in and check-out records.
    belongings: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # ["Blue blanket", ...]
    stay_medications: Mapped[list] = mapped_column(JSON, default=list, nullable=False)  # [{pet_id, name, dose, schedule}]
    feeding_confirmed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    check_in_notes: Mapped[str] = mapped_column(Text, default="", nullable=False)
    belongings_returned: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    check_out_notes: Mapped[str] = mapped_column(Text, default="", nullable=False)

    customer: Mapped["Customer"] = relationship(  # noqa: F821
        primaryjoin="foreign(Reservation.customer_id) == Customer.id", viewonly=True, lazy="raise")
    service: Mapped["Service"] = relationship(  # noqa: F821
        primaryjoin="foreign(Reservation.service_id) == Service.id", viewonly=True, lazy="raise")
    pets: Mapped[list["ReservationPet"]] = relationship(
        primaryjoin=lambda: Reservation.id == foreign(ReservationPet.reservation_id),
        cascade="all, delete-orphan", order_by=lambda: ReservationPet.position, lazy="selectin")
    addons: Mapped[list["ReservationAddOn"]] = relationship(
        primaryjoin=lambda: Reservation.id == foreign(ReservationAddOn.reservation_id),
        cascade="all, delete-orphan", order_by=lambda: ReservationAddOn.position, lazy="selectin")


class ReservationPet(TenantScoped, db.Model):
    """A pet on a reservation and the kennel it sleeps in (the latest one, after a move)."""

    __tablename__ = "reservation_pets"
    tenant_id_index = False  # led by tenant_id: the indexes below
    __table_args__ = (
        UniqueConstraint("tenant_id", "reservation_id", "pet_id"),  # target of the occupancy tables
        ForeignKeyConstraint(["tenant_id", "reservation_id"], ["reservations.tenant_id", "reservations.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "pet_id"], ["pets.tenant_id", "pets.id"]),
        ForeignKeyConstraint(["tenant_id", "kennel_id"], ["kennels.tenant_id", "kennels.id"]),
        Index("ix_reservation_pets_tenant_pet", "tenant_id", "pet_id"),
        Index("ix_reservation_pets_tenant_kennel", "tenant_id", "kennel_id"),
    )

    reservation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kennel_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    pet: Mapped["Pet"] = relationship(  # noqa: F821
        primaryjoin="foreign(ReservationPet.pet_id) == Pet.id", viewonly=True, lazy="raise")
    kennel: Mapped["Kennel | None"] = relationship(  # noqa: F821
        primaryjoin="foreign(ReservationPet.kennel_id) == Kennel.id", viewonly=True, lazy="raise")


class ReservationAddOn(TenantScoped, db.Model):
    """An add-on booked with a reservation (its price is in the reservation's quote snapshot)."""

    __tablename__ = "reservation_addons"
    tenant_id_index = False  # led by tenant_id: the index below
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "reservation_id"], ["reservations.tenant_id", "reservations.id"],
                             ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "addon_id"], ["addons.tenant_id", "addons.id"]),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        Index("ix_reservation_addons_tenant_addon", "tenant_id", "addon_id"),
    )

    reservation_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    addon_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    addon: Mapped["AddOn"] = relationship(  # noqa: F821
        primaryjoin="foreign(ReservationAddOn.addon_id) == AddOn.id", viewonly=True, lazy="raise")


class KennelNight(TenantScoped, db.Model):
    """One place in one kennel on one night, held by one pet of a live reservation (see the module docstring)."""

    __tablename__ = "kennel_nights"
    tenant_id_index = False  # led by tenant_id: the primary key
    __table_args__ = (
        UniqueConstraint("tenant_id", "reservation_id", "pet_id", "night"),  # a pet sleeps in one place a night
        ForeignKeyConstraint(["tenant_id", "kennel_id", "capacity"],
                             ["kennels.tenant_id", "kennels.id", "kennels.capacity"], onupdate="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "reservation_id", "pet_id"],
                             ["reservation_pets.tenant_id", "reservation_pets.reservation_id",
                              "reservation_pets.pet_id"], ondelete="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "reservation_id", "customer_id"],
                             ["reservations.tenant_id", "reservations.id", "reservations.customer_id"],
                             ondelete="CASCADE"),
        CheckConstraint("slot >= 1 AND slot <= capacity", name="slot_within_capacity"),
        Index("ix_kennel_nights_tenant_night", "tenant_id", "night", "kennel_id"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True)
    kennel_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    night: Mapped[date] = mapped_column(Date, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer, nullable=False)
    reservation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)


class ServiceDay(TenantScoped, db.Model):
    """One of a service's daily places (daycare, grooming slots) on one day, held by one pet of a live booking."""

    __tablename__ = "service_days"
    tenant_id_index = False  # led by tenant_id: the primary key
    __table_args__ = (
        UniqueConstraint("tenant_id", "reservation_id", "pet_id", "day"),
        ForeignKeyConstraint(["tenant_id", "service_id", "capacity"],
                             ["services.tenant_id", "services.id", "services.daily_capacity"], onupdate="CASCADE"),
        ForeignKeyConstraint(["tenant_id", "reservation_id", "pet_id"],
                             ["reservation_pets.tenant_id", "reservation_pets.reservation_id",
                              "reservation_pets.pet_id"], ondelete="CASCADE"),
        CheckConstraint("slot >= 1 AND slot <= capacity", name="slot_within_capacity"),
    )

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    capacity: Mapped[int | None] = mapped_column(Integer)  # NULL once the service has no daily limit
    reservation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    pet_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
