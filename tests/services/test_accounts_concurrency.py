"""Two admins demoting each other at the same moment: exactly one demotion wins."""
import threading

import pytest

from app.core.errors import RuleViolation
from app.core.extensions import db
from app.models import Role, Tenant
from app.services import accounts
from app.tenancy import tenant_context, unscoped


@pytest.mark.postgres
def test_concurrent_demotions_never_leave_a_tenant_without_an_admin(app, tenant_a):
    with app.app_context(), unscoped():
        tenant = db.session.get(Tenant, tenant_a.id)
    with app.app_context(), tenant_context(tenant):
        accounts.update_user(user_id=tenant_a.users[Role.MANAGER], role=Role.ADMIN)  # now two admins
    admins = [tenant_a.users[Role.ADMIN], tenant_a.users[Role.MANAGER]]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(user_id):
        with app.app_context(), tenant_context(tenant):
            barrier.wait()
            try:
                accounts.update_user(user_id=user_id, role=Role.STAFF)
                outcomes.append("demoted")
            except RuleViolation:
                outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=(u,)) for u in admins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["demoted", "refused"]
    with app.app_context(), tenant_context(tenant):
        assert sum(u.role == Role.ADMIN and u.active for u in accounts.list_users()) == 1
