"""The landing page on the bare domain: a way in to every resort in development, plain guidance in production."""
from app.models import TenantStatus


def _pause(app, subdomain):
    from app.services import tenants

    with app.app_context(), app.test_request_context():
        tenants.change_tenant(subdomain=subdomain, status=TenantStatus.PAUSED)


def test_in_development_the_landing_page_lists_active_resorts_with_sign_in_links(app, client, tenant_a, tenant_b):
    _pause(app, tenant_b.subdomain)
    html = client.get("/", base_url="http://localhost").get_data(as_text=True)
    assert f'<a href="http://{tenant_a.subdomain}.localhost/login">Sign in to {tenant_a.name}</a>' in html
    assert tenant_b.name not in html  # paused: nobody can sign in there


def test_links_use_the_public_port_or_else_the_port_the_page_came_on(app, client, tenant_a, monkeypatch):
    html = client.get("/", base_url="http://localhost:5077").get_data(as_text=True)
    assert f"http://{tenant_a.subdomain}.localhost:5077/login" in html
    monkeypatch.setitem(app.config, "PUBLIC_PORT", "5000")
    html = client.get("/", base_url="http://localhost:5077").get_data(as_text=True)
    assert f"http://{tenant_a.subdomain}.localhost:5000/login" in html


def test_in_production_the_landing_page_lists_no_resort_but_says_how_to_reach_one(app, client, tenant_a, tenant_b,
                                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "LANDING_LISTS_RESORTS", False)
    monkeypatch.setitem(app.config, "BASE_DOMAIN", "tailtown.example")
    r = client.get("/", base_url="https://tailtown.example")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "https://your-resort.tailtown.example" in html
    assert tenant_a.name not in html and tenant_b.name not in html and tenant_a.subdomain not in html


def test_login_on_the_bare_domain_goes_to_the_landing_page_not_a_404(client, tenant_a):
    for method in ("GET", "POST"):
        r = client.open("/login", method=method, base_url="http://localhost", data={"email": "x@example.com"})
        assert r.status_code in (302, 400) and r.status_code != 404, method
    r = client.get("/login", base_url="http://localhost")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/login", base_url=tenant_a.base_url).status_code == 200
    assert client.get("/login", base_url="http://nosuch.localhost").status_code == 404  # an unknown resort still is
    assert client.get("/customers", base_url="http://localhost").status_code == 404
