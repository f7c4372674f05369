"""Admin pages: users, API keys, audit trail and settings, with htmx fragments and 422 forms."""
from app.models import Role
from app.web import admin
from tests.conftest import hx_headers, web_login


def _signed_in(client, fx, role=Role.ADMIN):
    web_login(client, fx, role)
    return hx_headers(client, fx)


def test_staff_and_managers_get_403_on_admin_pages(client, tenant_a):
    web_login(client, tenant_a, Role.MANAGER)
    r = client.get("/admin/users", base_url=tenant_a.base_url)
    assert r.status_code == 403 and r.mimetype == "text/html" and "ADMIN role" in r.get_data(as_text=True)


def test_the_users_page_lists_only_this_tenants_staff(client, tenant_a, tenant_b):
    web_login(client, tenant_a)
    html = client.get("/admin/users", base_url=tenant_a.base_url).get_data(as_text=True)
    assert tenant_a.email(Role.STAFF) in html and tenant_b.email(Role.STAFF) not in html


def test_inviting_with_bad_input_returns_a_422_fragment_keeping_what_was_typed(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/admin/users", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Jo Typed", "email": "not-an-email", "role": "STAFF"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "<html" not in html
    assert 'id="e-email"' in html and 'value="Jo Typed"' in html and 'value="not-an-email"' in html


def test_inviting_a_user_adds_them(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/admin/users", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Jo", "email": "jo@alpha.example", "role": "MANAGER"})
    assert r.status_code == 200 and "Invited Jo" in r.get_data(as_text=True)
    users = client.get("/api/v1/users", headers=tenant_a.headers()).json
    assert {"jo@alpha.example": "MANAGER"}.items() <= {u["email"]: u["role"] for u in users}.items()


def test_changing_a_role_swaps_the_row(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    staff = tenant_a.users[Role.STAFF]
    r = client.post(f"/admin/users/{staff}", base_url=tenant_a.base_url, headers=headers, data={"role": "MANAGER"})
    assert r.status_code == 200 and f'id="user-{staff}"' in r.get_data(as_text=True)
    assert client.get(f"/api/v1/users/{staff}", headers=tenant_a.headers()).json["role"] == "MANAGER"


def test_demoting_the_last_admin_shows_why_in_the_row(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post(f"/admin/users/{tenant_a.users[Role.ADMIN]}", base_url=tenant_a.base_url, headers=headers,
                    data={"role": "STAFF"})
    assert r.status_code == 422 and "last active admin" in r.get_data(as_text=True)


def test_an_admin_cannot_touch_another_tenants_user(client, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_b)
    r = client.post(f"/admin/users/{tenant_a.users[Role.STAFF]}", base_url=tenant_b.base_url, headers=headers,
                    data={"role": "ADMIN"})
    assert r.status_code == 404
    assert client.get(f"/api/v1/users/{tenant_a.users[Role.STAFF]}", headers=tenant_a.headers()).json["role"] == "STAFF"


def test_a_new_key_is_shown_once_and_works(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/admin/api-keys", base_url=tenant_a.base_url, headers=headers, data={"name": "Widget", "role": "STAFF"})
    html = r.get_data(as_text=True)
    secret = html.split('<code id="secret">')[1].split("</code>")[0]
    assert secret.startswith("tt_")
    assert secret not in client.get("/admin/api-keys", base_url=tenant_a.base_url).get_data(as_text=True)
    me = client.get("/api/v1/me", headers={"X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json["name"] == "Widget"


def test_revoking_a_key_from_the_page(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    key = tenant_a.key_ids[Role.STAFF]
    r = client.post(f"/admin/api-keys/{key}/revoke", base_url=tenant_a.base_url, headers=headers)
    assert r.status_code == 200 and "Revoked" in r.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=tenant_a.headers(Role.STAFF)).status_code == 401


def test_the_audit_page_filters_in_place(client, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a)
    full = client.get("/admin/audit", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "auth.login" in full and "api_key.created" in full
    fragment = client.get("/admin/audit?action=auth.login", base_url=tenant_a.base_url,
                          headers={**headers, "HX-Target": "audit-results"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "auth.login" in html and "api_key.created" not in html
    assert "Admin bravo-barks" not in full


def test_the_audit_page_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    _signed_in(client, tenant_a)
    with count_queries() as few:
        client.get("/admin/audit", base_url=tenant_a.base_url)
    for i in range(5):
        client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": f"k{i}"})
    with count_queries() as many:
        client.get("/admin/audit", base_url=tenant_a.base_url)
    assert few.count == many.count


def test_settings_form_keeps_input_and_names_the_bad_field(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/admin/settings", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Alpha Resort", "timezone": "Mars/Olympus", "currency": "USD", "tax_rate": "0.08",
                          "vaccine_warning_days": "30"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="e-timezone"' in html and 'value="Alpha Resort"' in html
    ok = client.post("/admin/settings", base_url=tenant_a.base_url, headers=headers,
                     data={"name": "Alpha Resort", "timezone": "America/Denver", "currency": "USD",
                           "tax_rate": "0.08", "vaccine_warning_days": "30"})
    assert ok.status_code == 200 and "Settings saved." in ok.get_data(as_text=True)
    assert client.get("/api/v1/tenant", headers=tenant_a.headers()).json["timezone"] == "America/Denver"


def test_audit_times_are_in_the_resorts_timezone_and_rows_link_to_their_pages(client, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a)
    assert client.post("/admin/settings", base_url=tenant_a.base_url, headers=headers,
                       data={"timezone": "Asia/Kolkata"}).status_code == 200
    customer = client.post("/api/v1/customers", headers=tenant_a.headers(),
                           json={"first_name": "Jane", "last_name": "Doe"}).json
    other = client.post("/api/v1/customers", headers=tenant_b.headers(),
                        json={"first_name": "Bob", "last_name": "Bravo"}).json
    html = client.get("/admin/audit", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "When (Asia/Kolkata)" in html and " IST</time>" in html  # UTC+5:30 has no chance of matching UTC
    created = client.get("/api/v1/audit-events?action=customer.created", headers=tenant_a.headers()).json[0]
    utc = created["created_at"][:16].replace("T", " ")
    assert utc not in html  # shown in local time, not UTC
    assert f'<a href="/customers/{customer["id"]}">' in html
    assert f'href="/admin/users#user-{tenant_a.users[Role.ADMIN]}"' in html  # the admin who changed the settings
    assert '<a href="/admin/settings">' in html
    assert other["id"] not in html


def test_the_audit_page_says_at_least_when_the_count_stopped(client, tenant_a, tenant_b, monkeypatch):
    from app.services import audit

    monkeypatch.setattr(audit, "COUNT_BEYOND", 1)
    monkeypatch.setattr(admin, "AUDIT_PAGE_SIZE", 2)
    for i in range(5):
        client.post("/api/v1/api-keys", headers=tenant_a.headers(), json={"name": f"alpha-audited-key-{i}"})
    web_login(client, tenant_a)
    html = client.get("/admin/audit", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "At least 3 events" in html and "Older" in html and "alpha-audited-key-4" in html
    web_login(client, tenant_b)
    html = client.get("/admin/audit", base_url=tenant_b.base_url).get_data(as_text=True)
    assert "alpha-audited-key" not in html  # a name no CSRF token or id can contain by chance
