"""Page a SELECT in two queries whatever the page size: one count, one page (by number or by keyset cursor).

A list view's change-feed request (`updated_since`, `sort=updated_at`, `cursor`; parsed in app/api/paging.py)
is handed to `paginate` through `feed_scope`, so every service list gets it without code of its own.
"""
import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, and_, func, literal, or_, select, tuple_
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app.core.errors import RuleViolation
from app.core.extensions import db

# Far beyond any real list; keeps OFFSET inside a 64-bit integer on every backend.
MAX_PAGE = 1_000_000
# How deep a page number may start: an OFFSET reads every row before the page, so page 4,000 of a large
# resort's reservations cost what 4,000 pages do. Deeper, a list is walked with its keyset `cursor`,
# which costs the same on every page (the API says so in the 422 and in its description of lists).
MAX_DEPTH = 10_000


@dataclass
class Feed:
    """What a list request asks of the change feed, and (after paginate) where the next page starts."""

    updated_since: datetime | None = None
    by_updated: bool = False  # sort=updated_at: ascending (updated_at, id)
    after: list | None = None  # the keyset a cursor carries: the last row of the previous page
    after_sort: str | None = None  # the ORDER BY that keyset belongs to
    sort_key: str = ""  # this list's ORDER BY, as `updated_at,id` or `-created_at,id`
    horizon: datetime | None = None  # rows changed after this are held back (the late-commit lag)
    next_key: list | None = field(default=None, init=False)

    @property
    def is_feed(self) -> bool:
        """Whether rows are read as a change feed (filtered or sorted by updated_at), so the lag applies."""
        return self.by_updated or self.updated_since is not None


_feed: ContextVar[Feed | None] = ContextVar("tailtown_feed", default=None)


@contextmanager
def feed_scope(feed: Feed | None) -> Iterator[Feed | None]:
    """Let `paginate` calls inside apply this feed request (one list view's)."""
    token = _feed.set(feed)
    try:
        yield feed
    finally:
        _feed.reset(token)


def paginate(stmt: Select, *, page: int, page_size: int, count_beyond: int | None = None,
             count_in_order: bool = True) -> tuple[list, int]:
    """Return (rows on this page, total rows) for a SELECT of one entity.

    With count_beyond, the count stops that many rows past this page, so its cost follows the page
    asked for, not the table (for lists that only grow, like the audit trail): a total equal to
    `counted_up_to(...)` means "at least that many". It counts in the page's order unless
    count_in_order is False (for a SELECT whose order is a sort, not an index).
    """
    if page > MAX_PAGE:
        raise RuleViolation("Page out of range.", errors={"page": [f"At most {MAX_PAGE:,}."]})
    feed = _feed.get()
    if (page - 1) * page_size > MAX_DEPTH and (feed is None or feed.after is None):
        raise RuleViolation("Page too deep.", errors={"page": [
            f"Page numbers reach {MAX_DEPTH:,} rows into a list; to go further, follow next_cursor (`cursor`)."]})
    keys: list = []
    if feed is not None:
        stmt, keys = _apply_feed(stmt, feed)
    # A capped count keeps the page's order (by default): it then walks the index the page does and stops at
    # the cap. Without it PostgreSQL, taking the rows a date range matches to be spread evenly over the
    # table, expects a sequential scan to reach the cap early, and reads a large resort's whole history.
    counted = stmt if count_beyond is not None and count_in_order else stmt.order_by(None)
    if count_beyond is not None:
        counted = counted.with_only_columns(literal(1), maintain_column_froms=True).limit(
            counted_up_to(page, page_size, count_beyond))
    total = db.session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    if feed is not None and feed.after is not None:
        if feed.after_sort != feed.sort_key:
            raise RuleViolation("This cursor belongs to another order.", errors={"cursor": ["Not a cursor of this list."]})
        stmt = stmt.where(_after(keys, feed.after))
        offset = 0
    else:
        offset = (page - 1) * page_size
    # One row more than the page says whether a next page exists, in the same query.
    if feed is None:
        rows = list(db.session.execute(stmt.limit(page_size + 1).offset(offset)).scalars().all())
        return rows[:page_size], total
    # The keyset values ride along as extra columns: the SELECT may be of ids alone (a list that
    # pages on an index, then loads its rows), which have no attributes to read them from.
    found = db.session.execute(stmt.add_columns(*(column for column, _ in keys))
                               .limit(page_size + 1).offset(offset)).all()
    more, found = len(found) > page_size, found[:page_size]
    if more and found:
        feed.next_key = [_plain(value) for value in found[-1][1:]]
    return [row[0] for row in found], total


def counted_up_to(page: int, page_size: int, count_beyond: int) -> int:
    """Where a capped count of this page stops (a total equal to it is a floor)."""
    return page * page_size + count_beyond


def _apply_feed(stmt: Select, feed: Feed) -> tuple[Select, list]:
    """The feed's filters and order on stmt, and the keyset columns ((column, descending) pairs) of that order."""
    entity = stmt.column_descriptions[0]["entity"]
    changed = getattr(entity, "updated_at", None)
    if changed is None:
        raise RuleViolation("This list has no change feed.", errors={"updated_since": ["Not supported by this list."]})
    if feed.updated_since is not None:
        stmt = stmt.where(changed >= feed.updated_since)
    if feed.is_feed and feed.horizon is not None:
        stmt = stmt.where(changed <= feed.horizon)
    if feed.by_updated:
        stmt = stmt.order_by(None).order_by(changed, entity.id)
    keys = [_term(clause) for clause in stmt._order_by_clauses]
    if not any(column.key == "id" for column, _ in keys):
        keys.append((entity.id.expression, False))  # a unique last key: no row is ever skipped or repeated
        stmt = stmt.order_by(entity.id)
    feed.sort_key = ",".join(("-" if desc else "") + column.key for column, desc in keys)
    return stmt, keys


def _term(clause) -> tuple:
    """(column, descending) of one ORDER BY term; only plain columns can carry a keyset."""
    descending = False
    if isinstance(clause, UnaryExpression) and clause.modifier in (operators.desc_op, operators.asc_op):
        descending = clause.modifier is operators.desc_op
        clause = clause.element
    if getattr(clause, "table", None) is None or clause.nullable:
        raise TypeError(f"ORDER BY {clause} cannot carry a cursor: order lists by non-null columns")
    return clause, descending


def _after(keys: list, values: list):
    """Rows strictly after values in the order keys describe (a row-value comparison when all ascend)."""
    if len(values) != len(keys):
        raise ValueError("cursor does not fit this order")
    values = [_typed(column, value) for (column, _), value in zip(keys, values, strict=True)]
    if not any(desc for _, desc in keys):
        # Typed binds: each value is stored as its column stores it (SQLite keeps datetimes and UUIDs as text).
        return tuple_(*(column for column, _ in keys)) > tuple_(*(literal(v, column.type)
                                                                  for (column, _), v in zip(keys, values, strict=True)))
    clauses = []
    for i, (column, desc) in enumerate(keys):
        equal = [keys[j][0] == values[j] for j in range(i)]
        clauses.append(and_(*equal, column < values[i] if desc else column > values[i]))
    return or_(*clauses)


def _plain(value):
    """A keyset value as JSON (typed back by its column in `_typed`)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return getattr(value, "value", value)


def _typed(column, value):
    """A JSON keyset value as the Python type of its column."""
    kind = getattr(column.type, "impl_instance", column.type).python_type  # a TypeDecorator says `object`
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind in (uuid.UUID, Decimal) or issubclass(kind, enum.Enum):
        return kind(value)
    return value
