"""Tombstones: a row for every hard delete of a synced table, so a change feed can tell clients what went."""
import uuid
from datetime import datetime

from sqlalchemy import Index, String, Uuid, event, insert
from sqlalchemy.orm import Mapped, Session, mapped_column, synonym

from app.core.extensions import db
from app.models.base import TenantScoped, UTCDateTime, UUIDPrimaryKey, utcnow


class Deletion(UUIDPrimaryKey, TenantScoped, db.Model):
    """One deleted row (its type as the API names the list, and its id); append-only."""

    __tablename__ = "deletions"
    tenant_id_index = False  # led by tenant_id: the feed index below
    __table_args__ = (
        Index("ix_deletions_tenant_updated", "tenant_id", "deleted_at", "id"),
        Index("ix_deletions_tenant_type_updated", "tenant_id", "entity_type", "deleted_at", "id"),
    )

    entity_type: Mapped[str] = mapped_column(String(32), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The change feed orders and filters every list by `updated_at`; a tombstone changes once, when written.
    updated_at = synonym("deleted_at")


# Synced tables by name -> the type their tombstones name (the list's URL word). Filled by `synced`.
TOMBSTONE_TYPES: dict[str, str] = {}


def synced(model: type, entity_type: str) -> None:
    """Make model's table a change feed: the (tenant_id, updated_at, id) index its keyset pages read, and
    a Deletion written in the same flush (so the same transaction) as every ORM delete of its rows."""
    TOMBSTONE_TYPES[model.__tablename__] = entity_type
    table = model.__table__
    Index(f"ix_{table.name}_tenant_updated", table.c.tenant_id, table.c.updated_at, table.c.id)

    @event.listens_for(model, "after_delete")
    def _write_tombstone(mapper, connection, target) -> None:
        # after_delete runs per row inside the flush, also for rows a cascade found only then; the insert
        # goes on the flush's own connection, so a rollback takes the tombstone with the delete.
        connection.execute(insert(Deletion.__table__).values(
            id=uuid.uuid4(), tenant_id=target.tenant_id, entity_type=entity_type, entity_id=target.id,
            deleted_at=utcnow()))


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_deletes(state) -> None:
    """A bulk `delete(Model)` skips after_delete, so it would leave no tombstone: delete row by row instead.

    Test cleanup that must wipe rows no client will ever sync says so: `execution_options(without_tombstones=True)`.
    """
    if state.is_delete and not state.execution_options.get("without_tombstones"):
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in TOMBSTONE_TYPES:
            raise TypeError(f"bulk DELETE on {table.name} leaves no tombstone: use session.delete(row)")
