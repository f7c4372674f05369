"""Page a SELECT in two queries whatever the page size: one count, one page."""
from sqlalchemy import Select, func, select

from app.core.errors import RuleViolation
from app.core.extensions import db

# Far beyond any real list; keeps OFFSET inside a 64-bit integer on every backend.
MAX_PAGE = 1_000_000


def paginate(stmt: Select, *, page: int, page_size: int) -> tuple[list, int]:
    """Return (rows on this page, total rows) for a SELECT of one entity."""
    if page > MAX_PAGE:
        raise RuleViolation("Page out of range.", errors={"page": [f"At most {MAX_PAGE:,}."]})
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).scalars().all()
    return list(rows), total
