"""Reminder jobs: the periodic fan-out (no tenant) and one tenant's due reminders."""
from app.jobs import job
from app.services import notices


@job(notices.REMINDERS)
def reminders():
    """Enqueue a reminders job for every active tenant."""
    return notices.enqueue_tenant_reminders()


@job(notices.TENANT_REMINDERS)
def tenant_reminders():
    """Queue the job's tenant's due arrival and vaccine reminders (each once, however often this runs)."""
    return notices.send_reminders()
