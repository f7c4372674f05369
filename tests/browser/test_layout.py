"""Every page fits phones and tablets: no page is wider than the viewport at 390, 768, 1024 and 1366 px.

GET pages are discovered from the URL map (so a new page is measured without editing this file) and
filled with real ids of seeded data; wide things (tables) must scroll inside their own box.
"""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.api.test_isolation import ID_FACTORIES

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1024, 1366)
# GET routes that are not HTML pages (files, images, downloads), or that a person never opens on its own.
NOT_PAGES = {"customer_pages.export", "pet_pages.photo", "pet_pages.vaccination_document", "static",
             "health.healthz", "health.readyz", "admin.key_row", "admin.edit_key",
             "webhook_pages.row", "webhook_pages.edit"}  # the last four: a table row
SIGNED_OUT = {"auth.login", "auth.forgot_password", "auth.reset_password", "home.index"}


def page_paths(app, values: dict) -> dict[str, str]:
    """endpoint → path of every GET web page, with each id argument filled from values."""
    paths = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static/")) or rule.endpoint in NOT_PAGES:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<[^>]*:?{arg}>", str(values[arg]), path)
        paths[rule.endpoint] = path
    return paths


def _seed(client, fx) -> dict:
    """A household with a long email, a pet with vaccinations, a catalog row of each kind and 40 kennels."""
    ids = {arg: factory(client, fx) for arg, factory in ID_FACTORIES.items()}
    client.patch(f"/api/v1/customers/{ids['customer_id']}", headers=fx.headers(), json={
        "email": "a.very.long.address.for.the.front.desk@example-pet-resort.com", "address_line1": "1200 Larimer St",
        "city": "Denver", "region": "CO", "postal_code": "80202", "notes": "Prefers afternoon pickup. " * 8})
    client.post("/api/v1/kennels/bulk", headers=fx.headers(), json={
        "prefix": "B", "start": 1, "end": 40, "type": "SUITE", "size": "L", "location": "Barn B"})
    return ids


# The innermost elements sticking out past the right edge, to say what to fix.
CULPRITS = """(width) => Array.from(document.querySelectorAll('body *'))
  .filter(el => el.getBoundingClientRect().right > width + 1
          && !Array.from(el.children).some(c => c.getBoundingClientRect().right > width + 1))
  .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))"""


def _overflows(page) -> list[str]:
    """Widths at which the document is wider than the viewport, as 'width: scrollWidth [culprits]'."""
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            found.append(f"{width}: {scroll} {page.evaluate(CULPRITS, width)}")
    # On a desktop a table fits its box too (no Remove button clipped behind a scroll bar).
    clipped = page.evaluate("Array.from(document.querySelectorAll('.table-scroll'))"
                            ".filter(el => el.scrollWidth > el.clientWidth + 1).length")
    if clipped:
        found.append(f"{width}: {clipped} table(s) scroll")
    return found


def test_every_get_page_is_discovered_and_has_ids(app):
    paths = page_paths(app, {arg: "x" for arg in ID_FACTORIES})
    assert {"customer_pages.show", "pet_pages.show", "kennel_pages.board", "catalog.services",
            "admin.audit_log", "home.index"} <= set(paths)


def test_every_page_fits_every_width(app, page, url, sign_in, client, tenant_a, tenant_b):
    ids = _seed(client, tenant_a)
    _seed(client, tenant_b)
    paths = page_paths(app, ids)
    failures = []
    for endpoint in sorted(SIGNED_OUT & set(paths)):
        page.goto(url(paths[endpoint], tenant_a))
        failures += [f"{endpoint} (signed out) {o}" for o in _overflows(page)]
    page.goto(url("/"))
    failures += [f"landing page {o}" for o in _overflows(page)]
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(tenant_a, Role.ADMIN)
    checked = 0
    for endpoint, path in sorted(paths.items()):
        if endpoint in SIGNED_OUT - {"home.index"}:
            continue
        response = page.goto(url(path, tenant_a))
        assert response.status < 400, f"{endpoint} {path} -> {response.status}"
        assert tenant_b.name not in page.content()
        checked += 1
        failures += [f"{endpoint} {o}" for o in _overflows(page)]
    assert checked >= 20
    assert not failures, failures


def test_the_nav_collapses_on_a_phone_and_opens_with_the_menu_button(page, url, sign_in, tenant_a):
    sign_in(tenant_a, Role.ADMIN)
    page.set_viewport_size({"width": 390, "height": 800})
    customers = page.locator("#site-menu").get_by_role("link", name="Customers")
    expect(customers).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(customers).to_be_visible()
    page.locator("#site-menu summary", has_text="Manage").click()
    expect(page.locator("#site-menu").get_by_role("link", name="Vaccine rules")).to_be_visible()
    page.locator("#site-menu summary", has_text="Manage").click()  # closed again, so it does not cover Admin
    page.locator("#site-menu summary", has_text="Admin").click()
    expect(page.get_by_role("link", name="Audit")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 800})
    expect(menu).to_be_hidden()
    expect(customers).to_be_visible()
