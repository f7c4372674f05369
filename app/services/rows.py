"""Helpers services share: lookups by id, listing, unique names, audited edits, soft removal."""
import functools
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import Conflict, NotFound, StaleVersion
from app.core.extensions import db
from app.core.pagination import paginate
from app.services import audit


def one_or_404(model, row_id, message: str):
    """The current tenant's row of model with this id; NotFound for any other (another tenant's too)."""
    row = db.session.execute(db.select(model).where(model.id == row_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(message)
    return row


def expect_version(row, expected: int | None) -> None:
    """Make the coming UPDATE (or DELETE) of row say `WHERE version = expected`: the database decides, not a read.

    The row is written at commit even when only related rows changed (tags, links), so every
    accepted edit moves the version and is checked.
    """
    if expected is not None:
        set_committed_value(row, "version", expected)
    db.session.info.setdefault(_VERSIONED, []).append((row, row.version))


_VERSIONED = "tailtown_versioned_rows"


@event.listens_for(Session, "before_commit")
def _write_versioned_rows(session: Session) -> None:
    """Touch each versioned row not written yet, at commit (not earlier: row locks keep their order)."""
    from app.models.base import utcnow

    for row, version in session.info.pop(_VERSIONED, ()):
        state = inspect(row)
        if not (state.deleted or state.was_deleted or state.detached) and row.version == version:
            row.updated_at = utcnow()


@event.listens_for(Session, "after_rollback")
def _forget_versioned_rows(session: Session) -> None:
    session.info.pop(_VERSIONED, None)


def refuse_stale(func: Callable) -> Callable:
    """Decorate a versioned write: a version that moved on (the UPDATE matched no row) becomes StaleVersion."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise StaleVersion() from None

    return wrapper


def values(items: Iterable | None) -> list[str]:
    """Enum members or strings as a sorted list of unique plain strings (stored as JSON)."""
    return sorted({str(getattr(i, "value", i)) for i in items or ()})


def run_list(stmt, *, page: int | None, page_size: int | None) -> tuple[list, int]:
    """One page of a SELECT (a count and a page query), or every row when page is None."""
    if page is None:
        rows = list(db.session.execute(stmt).scalars())
        return rows, len(rows)
    return paginate(stmt, page=page, page_size=page_size or 50)


def flush_unique(field: str, message: str, *, checks: dict[str, tuple[str, str]] | None = None) -> None:
    """Flush; a unique-constraint failure becomes a 409 naming the field.

    checks maps other constraint names to (field, message) 409s, e.g. a capacity that bookings still use.
    """
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        text = str(exc.orig).lower()
        for constraint, (other_field, other_message) in (checks or {}).items():
            if constraint in text:
                raise Conflict(other_message, errors={other_field: [other_message]}) from None
        if "unique" in text or "duplicate" in text:
            raise Conflict(message, errors={field: ["Already in use."]}) from None
        raise


def apply_changes(row: Any, fields: dict, action: str, resource: str) -> None:
    """Set fields on a row and audit what actually changed."""
    old = audit.snapshot(row, list(fields))
    for name, value in fields.items():
        setattr(row, name, value)
    changes = audit.changes_of(old, fields)
    if changes:
        audit.record(action, resource, row.id, changes=changes)


def remove_or_deactivate(row: Any, *, resource: str, label: str, reload: Callable[[], Any]) -> Any | None:
    """Delete a row nothing refers to; when the database refuses (something refers to it), deactivate it.

    Returns None when the row was deleted and the (now inactive) row when it was kept.
    """
    row_id = row.id
    try:
        db.session.delete(row)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        row = reload()
        if row.active:
            row.active = False
            audit.record(f"{resource}.deactivated", resource, row.id, changes={"active": {"old": True, "new": False}})
        db.session.commit()
        return row
    audit.record(f"{resource}.deleted", resource, row_id, changes={"name": label})
    db.session.commit()
    return None


# One lock for every write that holds places or money on SQLite (a single writer anyway): a cancel or
# check-out that settles its invoice nests a money write inside a booking write, and one re-entrant
# lock cannot be taken in two orders.
_sqlite_writes = threading.RLock()


@contextmanager
def sqlite_serialized():
    """Serialise booking and money writes on SQLite (PostgreSQL uses row locks instead)."""
    if db.engine.dialect.name == "sqlite":
        with _sqlite_writes:
            yield
    else:
        yield

