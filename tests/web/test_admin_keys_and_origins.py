"""The API keys page (scopes, expiry, own rate limit, edit in place) and the settings page's allowed origins."""
from app.models import Role
from tests.conftest import hx_headers, web_login

WIDGET = ["availability:read", "catalog:read", "customers:write", "pets:write", "reservations:write"]


def _signed_in(client, fx, role=Role.ADMIN, path="/admin/api-keys"):
    web_login(client, fx, role)
    return hx_headers(client, fx, path)


def _secret(html: str) -> str:
    return html.split('<code id="secret">')[1].split("</code>")[0]


def test_a_widget_key_made_on_the_page_has_its_scopes_expiry_and_limit(client, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a)
    r = client.post("/admin/api-keys", base_url=tenant_a.base_url, headers=headers, data={
        "name": "Widget", "role": "STAFF", "scopes": ["", *WIDGET], "expires_on": "2030-06-30", "rate_limit": "40"})
    assert r.status_code == 200, r.get_data(as_text=True)
    html = r.get_data(as_text=True)
    auth = {"X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {_secret(html)}"}
    me = client.get("/api/v1/me", headers=auth).json
    assert me["scopes"] == sorted(WIDGET) and me["rate_limit"] == "40 per 15 minutes"
    assert me["expires_at"].startswith("2030-07-01T00:00:00")  # the end of June 30 in the resort's UTC
    assert client.get("/api/v1/customers", headers=auth).status_code == 403
    assert "<code>reservations:write</code>" in html  # the new row shows them
    page = client.get("/admin/api-keys", base_url=tenant_b.base_url).get_data(as_text=True)
    assert "Widget" not in page  # not signed in at B: the sign-in page, nothing of A's


def test_a_key_without_a_ticked_scope_is_a_422_naming_scopes(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = client.post("/admin/api-keys", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Nothing", "role": "STAFF", "scopes": [""], "expires_on": "someday"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "expires_on" in html and 'value="Nothing"' in html
    r = client.post("/admin/api-keys", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Nothing", "role": "STAFF", "scopes": [""]})
    assert r.status_code == 422 and 'id="new-scopes-error"' in r.get_data(as_text=True)
    assert [k["name"] for k in client.get("/api/v1/api-keys", headers=tenant_a.headers()).json if k["name"] == "Nothing"] == []


def test_editing_a_keys_scopes_on_the_page_applies_on_its_next_request(client, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a)
    key_id = tenant_a.key_ids[Role.STAFF]
    assert client.get("/api/v1/customers", headers=tenant_a.headers(Role.STAFF)).status_code == 200  # cached now
    form = client.get(f"/admin/api-keys/{key_id}/edit", base_url=tenant_a.base_url, headers=headers)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and 'name="version" value="1"' in html and "<html" not in html
    r = client.post(f"/admin/api-keys/{key_id}", base_url=tenant_a.base_url, headers=headers, data={
        "version": "1", "scopes": ["", "pets:read"], "expires_on": "", "expires_shown": "", "rate_limit": ""})
    assert r.status_code == 200 and "<code>pets:read</code>" in r.get_data(as_text=True)
    denied = client.get("/api/v1/customers", headers=tenant_a.headers(Role.STAFF))
    assert denied.status_code == 403 and denied.json["required_scope"] == "customers:read"
    assert client.get("/api/v1/customers", headers=tenant_b.headers(Role.STAFF)).status_code == 200
    stale = client.post(f"/admin/api-keys/{key_id}", base_url=tenant_a.base_url, headers=headers,
                        data={"version": "1", "scopes": ["", "*"]})
    assert stale.status_code == 409, stale.get_data(as_text=True)
    other = client.get(f"/admin/api-keys/{tenant_b.key_ids[Role.STAFF]}/edit", base_url=tenant_a.base_url,
                       headers=headers)
    assert other.status_code == 404


def test_allowed_origins_are_set_one_per_line_on_the_settings_page(client, tenant_a, tenant_b):
    headers = _signed_in(client, tenant_a, path="/admin/settings")
    bad = client.post("/admin/settings", base_url=tenant_a.base_url, headers=headers,
                      data={"cors_origins": "https://www.alpha.example\nhttp://insecure.example"})
    assert bad.status_code == 422 and "http://insecure.example" in bad.get_data(as_text=True)
    assert 'aria-invalid="true" aria-describedby="e-cors_origins"' in bad.get_data(as_text=True)
    ok = client.post("/admin/settings", base_url=tenant_a.base_url, headers=headers,
                     data={"cors_origins": "https://WWW.alpha.example/\n\nhttps://book.alpha.example:8443\n"})
    assert ok.status_code == 200 and "Settings saved" in ok.get_data(as_text=True)
    assert client.get("/api/v1/tenant", headers=tenant_a.headers()).json["cors_origins"] == [
        "https://www.alpha.example", "https://book.alpha.example:8443"]
    assert client.get("/api/v1/tenant", headers=tenant_b.headers()).json["cors_origins"] == []
    preflight = client.options("/api/v1/availability", base_url=tenant_a.base_url, headers={
        "Origin": "https://www.alpha.example", "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://www.alpha.example"
