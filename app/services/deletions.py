"""Tombstones of deleted rows, listed as a change feed (written by app/models/deletions.synced)."""
from sqlalchemy import select

from app.core.pagination import paginate
from app.models import Deletion


def list_deletions(*, page: int, page_size: int, types: list[str]) -> tuple[list[Deletion], int]:
    """A page of tombstones of these types (the ones the caller may read), oldest first."""
    stmt = select(Deletion).where(Deletion.entity_type.in_(types)).order_by(Deletion.deleted_at, Deletion.id)
    return paginate(stmt, page=page, page_size=page_size)
