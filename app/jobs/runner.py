"""What runs every job, in a worker or inline: the tenant's context, one transaction, a logged job id."""
import uuid

from loguru import logger
from rq import get_current_job

from app.core.extensions import db
from app.jobs import JOBS
from app.models import Tenant
from app.tenancy import TenantInfo, tenant_context


def run(name: str, tenant_id: str | None, kwargs: dict, *, job_id: str | None = None):
    """Run job `name` for tenant_id (None: with no tenant), commit, and log both ids on every line."""
    current = get_current_job()
    job_id = current.id if current is not None else job_id or f"inline-{uuid.uuid4().hex[:12]}"
    func = JOBS[name]
    with logger.contextualize(tenant=tenant_id or "-", job_id=job_id, request_id=f"job:{job_id}"):
        logger.info("job {} started", name)
        try:
            db.session.rollback()  # inline: start clean after the request's own work
            if tenant_id is None:
                result = func(**kwargs)
            else:
                tenant = db.session.get(Tenant, uuid.UUID(tenant_id))
                if tenant is None:
                    logger.warning("job {} skipped: its tenant no longer exists", name)
                    return None
                with tenant_context(TenantInfo.of(tenant)):
                    result = func(**kwargs)
                    db.session.commit()  # inside the tenant: committed rows reload under their own tenant
            db.session.commit()
        except Exception:
            db.session.rollback()
            logger.exception("job {} failed", name)
            raise
        logger.info("job {} done", name)
        return result
