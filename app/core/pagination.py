"""Page a SELECT in two queries whatever the page size: one count, one page."""
from sqlalchemy import Select, func, literal, select

from app.core.errors import RuleViolation
from app.core.extensions import db

# Far beyond any real list; keeps OFFSET inside a 64-bit integer on every backend.
MAX_PAGE = 1_000_000


def paginate(stmt: Select, *, page: int, page_size: int, count_beyond: int | None = None) -> tuple[list, int]:
    """Return (rows on this page, total rows) for a SELECT of one entity.

    With count_beyond, the count stops that many rows past this page, so its cost follows the page
    asked for, not the table (for lists that only grow, like the audit trail): a total equal to
    `counted_up_to(...)` means "at least that many".
    """
    if page > MAX_PAGE:
        raise RuleViolation("Page out of range.", errors={"page": [f"At most {MAX_PAGE:,}."]})
    counted = stmt.order_by(None)
    if count_beyond is not None:
        counted = counted.with_only_columns(literal(1), maintain_column_froms=True).limit(counted_up_to(page, page_size, count_beyond))
    total = db.session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    rows = db.session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).scalars().all()
    return list(rows), total


def counted_up_to(page: int, page_size: int, count_beyond: int) -> int:
    """Where a capped count of this page stops (a total equal to it is a floor)."""
    return page * page_size + count_beyond
