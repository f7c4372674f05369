"""Recording audit events; called inside the service transaction that made the change."""
from typing import Any

from flask import g, has_request_context, request

from app.core.errors import NotFound
from app.core.extensions import db
from app.core.log import SENSITIVE_KEY
from app.core.pagination import counted_up_to, paginate
from app.models import AuditEvent

# Contact details are masked in the trail: it records that they changed, not their values.
CONTACT_FIELDS = {"email", "phone", "phones", "address", "to_address", "emergency_contact"}
MASK = "***"


def _mask(field: str, value: Any) -> Any:
    if SENSITIVE_KEY.search(field) or field in CONTACT_FIELDS:
        return MASK if value not in (None, "") else value
    if hasattr(value, "value"):  # enums
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def changes_of(old: dict[str, Any], new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Field-by-field {old, new} for the values that differ, masked."""
    return {
        field: {"old": _mask(field, old.get(field)), "new": _mask(field, value)}
        for field, value in new.items()
        if old.get(field) != value
    }


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """Current values of fields on a model, for diffing after an update."""
    return {field: getattr(obj, field) for field in fields}


def actor() -> tuple[str, Any, str]:
    """(actor type, id, display name) of whoever is acting now."""
    if has_request_context():
        principal = g.get("principal")
        if principal is not None:
            kind = "api_key" if g.get("principal_kind") == "api_key" else "user"
            return kind, principal.id, principal.name
        if g.get("operator"):
            return "operator", None, "platform operator"
    return "system", None, "system"


def record(action: str, resource_type: str, resource_id: Any = None, *, changes: dict | None = None,
           actor_override: tuple[str, Any, str] | None = None) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    from app.services import webhooks  # webhooks imports audit (its own changes are audited)

    actor_type, actor_id, actor_name = actor_override or actor()
    event = AuditEvent(
        actor_type=actor_type,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        changes={k: (_mask(k, v) if not isinstance(v, dict) else v) for k, v in (changes or {}).items()},
    )
    if has_request_context():
        event.ip = request.remote_addr
        event.user_agent = (request.user_agent.string or "")[:255]
        event.request_id = g.get("request_id")
    db.session.add(event)
    webhooks.collect(action, resource_type, resource_id, event.changes)  # masked as in the trail
    return event


# The trail only grows: its count stops this many events past the page shown (see total_is_floor).
COUNT_BEYOND = 1_000


def total_is_floor(total: int, *, page: int, page_size: int) -> bool:
    """Whether list_events' total is "at least" (the count stopped) rather than exact."""
    return total >= counted_up_to(page, page_size, COUNT_BEYOND)


def list_events(*, page: int, page_size: int, action: str | None = None, resource_type: str | None = None,
                resource_id: str | None = None, actor_id=None, since=None, until=None) -> tuple[list[AuditEvent], int]:
    """The current tenant's audit trail, newest first, filtered; the total is capped (COUNT_BEYOND)."""
    stmt = db.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if resource_type:
        stmt = stmt.where(AuditEvent.resource_type == resource_type)
    if resource_id:
        stmt = stmt.where(AuditEvent.resource_id == resource_id)
    if actor_id:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditEvent.created_at >= since)
    if until:
        stmt = stmt.where(AuditEvent.created_at < until)
    return paginate(stmt, page=page, page_size=page_size, count_beyond=COUNT_BEYOND)


def get_event(*, event_id) -> AuditEvent:
    """One audit event of the current tenant (404 for any other id)."""
    # Looked up here, not with rows.one_or_404: rows records its edits through this module.
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.id == event_id)).scalar_one_or_none()
    if event is None:
        raise NotFound("Audit event not found.")
    return event
