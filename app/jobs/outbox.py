"""Outbox jobs: deliver one message (for its tenant), and the periodic sweep (no tenant)."""
import uuid

from app.jobs import job
from app.services import outbox


@job(outbox.DELIVER)
def deliver(*, message_id: str):
    """Deliver one outbox message of the job's tenant."""
    state = outbox.deliver_message(message_id=uuid.UUID(message_id))
    return state.value if state else None


@job("outbox.sweep")
def sweep():
    """Re-enqueue every due undelivered message."""
    return outbox.sweep()
