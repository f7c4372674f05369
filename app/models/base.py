"""Shared column types and mixins for every model."""
import enum
import uuid
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import DateTime, Enum, ForeignKey, Integer, TypeDecorator, Uuid, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now, the only clock models use."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime; use an aware UTC datetime")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    """A portable VARCHAR + CHECK enum (no native PostgreSQL type to migrate)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=24,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
        name=enum_cls.__name__.lower(),
    )


class UUIDPrimaryKey:
    """A random UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamps:
    """Created/updated timestamps, set by the server."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class TenantScoped:
    """Rows owned by one tenant; app/tenancy.py scopes every query and stamps every insert."""

    # Tables with another index or unique constraint led by tenant_id set this False: that one serves
    # `WHERE tenant_id = ?` too, and a second index would only slow every write (tests/test_indexes.py).
    tenant_id_index: ClassVar[bool] = True

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=False,
                             index=cls.tenant_id_index)


class Versioned:
    """An integer row version: every ORM UPDATE or DELETE of the row says `WHERE version = :v` and bumps it.

    ETags are made from it and If-Match is enforced by that WHERE (app/services/rows.expect_version).
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}
