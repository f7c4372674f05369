"""Tenant isolation across every page with an id in its URL, discovered from the URL map: tenant B's
signed-in admin gets 404 for tenant A's ids, on every method, exactly as for ids that do not exist."""
import re
import uuid

from app.models import Role
from tests.api.test_isolation import ID_FACTORIES, NOT_IDS
from tests.conftest import hx_headers, web_login


def _page_rules(app):
    return [r for r in app.url_map.iter_rules()
            if not r.rule.startswith(("/api/", "/static/")) and r.arguments]


def _fill(rule, values):
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<[^>]*:?{arg}>", str(value), path)
    return path


def test_every_page_id_parameter_has_a_factory(app):
    missing = {arg for rule in _page_rules(app) for arg in rule.arguments} - set(ID_FACTORIES)
    assert not missing, f"add tenant-A factories for {missing} to ID_FACTORIES in tests/api/test_isolation.py"


def test_another_tenants_ids_in_page_urls_are_404(app, client, tenant_a, tenant_b):
    a_ids = {}
    for rule in _page_rules(app):
        for arg in rule.arguments:
            a_ids.setdefault(arg, ID_FACTORIES[arg](client, tenant_a))
    web_login(client, tenant_b, Role.ADMIN)
    headers = hx_headers(client, tenant_b)
    checked, failures = 0, []
    for rule in _page_rules(app):
        if rule.arguments <= NOT_IDS:
            continue  # named per tenant, not by id: B's own row answers (tests/web/test_notices.py)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            crossed = client.open(_fill(rule, {a: a_ids[a] for a in rule.arguments}), method=method,
                                  base_url=tenant_b.base_url, headers=headers, data={"name": "x"})
            missing = client.open(_fill(rule, {a: uuid.uuid4() for a in rule.arguments}), method=method,
                                  base_url=tenant_b.base_url, headers=headers, data={"name": "x"})
            checked += 1
            if crossed.status_code != 404 and crossed.status_code != missing.status_code:
                failures.append(f"{method} {rule.rule} -> {crossed.status_code} (nonexistent: {missing.status_code})")
            elif crossed.status_code < 400:
                failures.append(f"{method} {rule.rule} -> {crossed.status_code}")
    assert checked >= 10
    assert not failures, failures
    # Nothing of A's changed hands: A's staff key still works and A's customer is still A's.
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).status_code == 200
    assert client.get(f"/api/v1/customers/{a_ids.get('customer_id')}", headers=tenant_a.headers()).status_code == 200


def test_pages_never_show_another_tenants_rows(app, client, tenant_a, tenant_b):
    """A has rows of every scoped model; none of them shows on any of B's pages (lists, boards, exports)."""
    from tests.api.test_isolation import _every_id_of
    from tests.factories import give_every_scoped_model_rows

    give_every_scoped_model_rows(app, tenant_a)
    a_ids = set().union(*_every_id_of(app, tenant_a).values())
    pages = [r for r in app.url_map.iter_rules()
             if not r.rule.startswith(("/api/", "/static/")) and not r.arguments and "GET" in r.methods]
    web_login(client, tenant_b, Role.ADMIN)
    checked = 0
    for rule in pages:
        r = client.get(rule.rule, base_url=tenant_b.base_url)
        if r.status_code != 200:
            continue
        body = r.get_data(as_text=True)
        checked += 1
        leaked = [i for i in a_ids if i in body] + [w for w in ("Rowdy", "Maker", tenant_a.email(Role.STAFF)) if w in body]
        assert not leaked, f"{rule.rule} leaked {leaked}"
    assert checked >= 5
