"""Kennel inventory: managers create and edit kennels; staff flip their status on the board."""
import uuid
from decimal import Decimal

from app.core.errors import Conflict, RuleViolation
from app.core.extensions import db
from app.models import Kennel, KennelSize, KennelStatus, KennelType
from app.models.base import utcnow
from app.services import audit
from app.services.rows import (
    apply_changes,
    expect_version,
    flush_unique,
    one_or_404,
    refuse_stale,
    remove_or_deactivate,
    run_list,
)

KENNEL_FIELDS = ["code", "name", "type", "size", "min_weight_kg", "max_weight_kg", "capacity", "location",
                 "sort_order", "active"]
MAX_BULK = 200


def list_kennels(*, type: KennelType | None = None, size: KennelSize | None = None,  # noqa: A002
                 status: KennelStatus | None = None, location: str | None = None, active: bool | None = None,
                 q: str | None = None, page: int | None = None, page_size: int | None = None) -> tuple[list, int]:
    """The current tenant's kennels in board order (sort order, then code), filtered."""
    stmt = db.select(Kennel).order_by(Kennel.sort_order, Kennel.code, Kennel.id)
    if type is not None:
        stmt = stmt.where(Kennel.type == type)
    if size is not None:
        stmt = stmt.where(Kennel.size == size)
    if status is not None:
        stmt = stmt.where(Kennel.status == status)
    if location:
        stmt = stmt.where(Kennel.location == location)
    if active is not None:
        stmt = stmt.where(Kennel.active.is_(active))
    if q:
        stmt = stmt.where(Kennel.code.icontains(q, autoescape=True) | Kennel.name.icontains(q, autoescape=True))
    return run_list(stmt, page=page, page_size=page_size)


def get_kennel(*, kennel_id: uuid.UUID) -> Kennel:
    """One kennel of the current tenant."""
    return one_or_404(Kennel, kennel_id, "Kennel not found.")


def _check_kennel(f: dict) -> dict:
    """Validate a kennel's complete field set; codes are stored upper-case."""
    errors: dict[str, list[str]] = {}
    f["code"] = (f.get("code") or "").strip().upper()
    if not f["code"]:
        errors["code"] = ["Must not be empty."]
    f["name"] = (f.get("name") or "").strip()
    f["location"] = (f.get("location") or "").strip()
    if not isinstance(f.get("capacity"), int) or f["capacity"] < 1:
        errors["capacity"] = ["Must be at least 1."]
    low, high = f.get("min_weight_kg"), f.get("max_weight_kg")
    if low is not None and Decimal(low) < 0:
        errors["min_weight_kg"] = ["Must be 0 or more."]
    if high is not None and Decimal(high) <= 0:
        errors["max_weight_kg"] = ["Must be more than 0."]
    if low is not None and high is not None and Decimal(high) < Decimal(low):
        errors["max_weight_kg"] = ["Must be at least the minimum weight."]
    f["type"], f["size"] = KennelType(f["type"]), KennelSize(f["size"])
    if errors:
        raise RuleViolation("Invalid kennel.", errors=errors)
    return f


def _defaults(fields: dict) -> dict:
    return {"name": "", "min_weight_kg": None, "max_weight_kg": None, "capacity": 1, "location": "",
            "sort_order": 0, "active": True, **fields}


def create_kennel(**fields) -> Kennel:
    """Add one kennel; its code is unique in the resort."""
    f = _check_kennel(_defaults(fields))
    kennel = Kennel(**{k: f[k] for k in KENNEL_FIELDS}, status=KennelStatus.IN_SERVICE)
    db.session.add(kennel)
    flush_unique("code", f"A kennel with code {f['code']!r} already exists.")
    audit.record("kennel.created", "kennel", kennel.id, changes={"code": kennel.code, "type": kennel.type.value})
    db.session.commit()
    return kennel


def bulk_codes(*, prefix: str, start: int, end: int, digits: int | None = None) -> list[str]:
    """Codes for a numbered run: prefix A, 1 to 20 -> A01 .. A20 (zero-padded to the width of end, at least 2)."""
    width = digits or max(2, len(str(end)))
    return [f"{prefix.strip().upper()}{n:0{width}d}" for n in range(start, end + 1)]


def create_kennels_bulk(*, prefix: str, start: int, end: int, digits: int | None = None, **fields) -> list[Kennel]:
    """Create a numbered run of identical kennels, all or none (409 naming codes already taken)."""
    if end < start:
        raise RuleViolation("The range ends before it starts.", errors={"end": ["Must be at least the start number."]})
    if end - start + 1 > MAX_BULK:
        raise RuleViolation("Too many kennels at once.", errors={"end": [f"At most {MAX_BULK} kennels per run."]})
    codes = bulk_codes(prefix=prefix, start=start, end=end, digits=digits)
    if digits and any(len(str(n)) > digits for n in (start, end)):
        raise RuleViolation("Numbers do not fit the width.", errors={"digits": [f"{end} needs more than {digits}."]})
    template = _check_kennel(_defaults({"code": codes[0], **fields}))
    taken = list(db.session.execute(db.select(Kennel.code).where(Kennel.code.in_(codes))).scalars())
    if taken:
        raise Conflict("Some codes are already used.",
                       errors={"prefix": [f"Already used: {', '.join(sorted(taken))}."]})
    kennels = []
    for number, code in zip(range(start, end + 1), codes, strict=True):
        kennel = Kennel(**{**{k: template[k] for k in KENNEL_FIELDS}, "code": code, "sort_order": number,
                           "name": template["name"] or ""}, status=KennelStatus.IN_SERVICE)
        db.session.add(kennel)
        kennels.append(kennel)
    flush_unique("prefix", "Some codes are already used.")
    for kennel in kennels:
        audit.record("kennel.created", "kennel", kennel.id, changes={"code": kennel.code, "type": kennel.type.value,
                                                                    "bulk": f"{codes[0]}..{codes[-1]}"})
    db.session.commit()
    return kennels


@refuse_stale
def update_kennel(*, kennel_id: uuid.UUID, expected_version: int | None = None, **fields) -> Kennel:
    """Change a kennel's code, type, size, capacity, location, order or active flag."""
    kennel = get_kennel(kennel_id=kennel_id)
    expect_version(kennel, expected_version)
    merged = _check_kennel({**audit.snapshot(kennel, KENNEL_FIELDS), **fields})
    apply_changes(kennel, {k: merged[k] for k in KENNEL_FIELDS}, "kennel.updated", "kennel")
    flush_unique("code", f"A kennel with code {merged['code']!r} already exists.", checks={
        "slot_within_capacity": ("capacity", "Bookings already use more places than that on some nights; "
                                             "move them first.")})
    db.session.commit()
    return kennel


def change_kennel_status(*, kennel_id: uuid.UUID, status: KennelStatus, note: str = "") -> Kennel:
    """Flip a kennel to in service, cleaning or maintenance, with an optional note (staff may)."""
    kennel = get_kennel(kennel_id=kennel_id)
    status, note = KennelStatus(status), (note or "").strip()
    if len(note) > 500:
        raise RuleViolation("Note too long.", errors={"note": ["At most 500 characters."]})
    if kennel.status == status and kennel.status_note == note:
        return kennel
    changes = audit.changes_of({"status": kennel.status, "note": kennel.status_note}, {"status": status, "note": note})
    kennel.status, kennel.status_note, kennel.status_changed_at = status, note, utcnow()
    audit.record("kennel.status_changed", "kennel", kennel.id, changes=changes)
    db.session.commit()
    return kennel


def delete_kennel(*, kennel_id: uuid.UUID) -> Kennel | None:
    """Delete a kennel nothing refers to, else deactivate it (None when deleted)."""
    kennel = get_kennel(kennel_id=kennel_id)
    return remove_or_deactivate(kennel, resource="kennel", label=kennel.code,
                                reload=lambda: get_kennel(kennel_id=kennel_id))
