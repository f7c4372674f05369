"""Admin pages driven through htmx in a real browser: API keys, staff roles, resort settings."""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role

pytestmark = pytest.mark.browser


def _posted(path_url: str):
    """Predicate for page.expect_response: the htmx POST to exactly this URL."""
    return lambda response: response.url == path_url and response.request.method == "POST"


def test_admin_creates_an_api_key_and_sees_its_secret_once(page, url, sign_in, client, tenant_a, tenant_b):
    sign_in(tenant_a)
    page.goto(url("/admin/api-keys", tenant_a))
    rows = page.locator("#key-rows tr")
    expect(rows).to_have_count(len(tenant_a.keys))

    page.get_by_label("Key name").fill("Booking widget")
    page.get_by_label("Role").select_option("MANAGER")
    with page.expect_response(_posted(url("/admin/api-keys", tenant_a))) as created:
        page.get_by_role("button", name="Create key").click()

    assert created.value.status == 200
    assert created.value.request.all_headers().get("x-csrftoken")  # sent by static/js/app.js
    expect(page.locator("#secret")).to_have_text(re.compile(r"^tt_[0-9a-f]{12}_\S+$"))
    secret = page.locator("#secret").inner_text().strip()
    new_row = rows.filter(has_text="Booking widget")
    expect(new_row).to_have_count(1)  # swapped in out-of-band, at the top
    expect(rows.first).to_contain_text("Booking widget")
    expect(new_row).to_contain_text("Manager")
    expect(new_row).to_contain_text(secret.split("_")[1])  # the prefix identifies it later
    expect(page.get_by_label("Key name")).to_have_value("")  # a fresh form for the next key

    page.reload()
    expect(new_row).to_have_count(1)
    expect(rows).to_have_count(len(tenant_a.keys) + 1)
    expect(page.locator("#secret")).to_have_count(0)
    assert secret not in page.content()

    me = client.get("/api/v1/me", headers={"X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert (me.json["tenant"], me.json["role"], me.json["name"]) == (tenant_a.subdomain, "MANAGER", "Booking widget")
    other = client.get("/api/v1/me", headers={"X-Tenant": tenant_b.subdomain, "Authorization": f"Bearer {secret}"})
    assert other.status_code == 401
    b_keys = client.get("/api/v1/api-keys", headers=tenant_b.headers()).json
    assert "Booking widget" not in [k["name"] for k in b_keys]


def test_admin_changes_a_staff_role_from_the_row_select_and_it_is_audited(page, url, sign_in, client,
                                                                           tenant_a, tenant_b):
    staff_id = tenant_a.users[Role.STAFF]
    sign_in(tenant_a)
    page.goto(url("/admin/users", tenant_a))
    role = page.get_by_label(f"Role of Staff {tenant_a.subdomain}")
    expect(role).to_have_value("STAFF")

    with page.expect_response(_posted(url(f"/admin/users/{staff_id}", tenant_a))) as changed:
        role.select_option("MANAGER")

    assert changed.value.status == 200
    assert changed.value.request.all_headers().get("x-csrftoken")  # sent by static/js/app.js
    expect(page.locator(f"#user-{staff_id}")).to_be_visible()  # the row was swapped back in
    page.reload()
    expect(role).to_have_value("MANAGER")

    page.goto(url("/admin/audit", tenant_a))
    changed_rows = page.locator("tr.audit-row", has_text="user.role_changed")
    expect(changed_rows).to_have_count(1)
    expect(changed_rows).to_contain_text("STAFF → MANAGER")
    expect(changed_rows).to_contain_text(f"Admin {tenant_a.subdomain}")  # who did it

    b_staff = client.get(f"/api/v1/users/{tenant_b.users[Role.STAFF]}", headers=tenant_b.headers()).json
    assert b_staff["role"] == "STAFF"
    b_audit = client.get("/api/v1/audit-events", headers=tenant_b.headers(),
                         query_string={"action": "user.role_changed"}).json
    assert b_audit == []


def test_settings_form_shows_a_field_error_keeps_typed_values_then_saves(page, url, sign_in, client,
                                                                          tenant_a, tenant_b):
    b_before = client.get("/api/v1/tenant", headers=tenant_b.headers()).json
    sign_in(tenant_a)
    page.goto(url("/admin/settings", tenant_a))
    name, phone, timezone = page.get_by_label("Business name"), page.get_by_label("Phone"), page.get_by_label("Timezone")
    save = page.get_by_role("button", name="Save settings")

    name.fill("Alpha Paws Resort & Spa")
    phone.fill("+1 303 555 0100")
    timezone.fill("Mars/Olympus")
    with page.expect_response(_posted(url("/admin/settings", tenant_a))) as rejected:
        save.click()

    assert rejected.value.status == 422
    expect(page.get_by_role("alert")).to_have_text("Please correct the highlighted fields.")
    field_error = page.locator("#f-timezone + #e-timezone.field-error")  # right after its input
    expect(field_error).to_be_visible()
    expect(timezone).to_have_attribute("aria-invalid", "true")
    expect(timezone).to_have_attribute("aria-describedby", "e-timezone")
    expect(timezone).to_have_value("Mars/Olympus")
    expect(name).to_have_value("Alpha Paws Resort & Spa")
    expect(phone).to_have_value("+1 303 555 0100")
    expect(page.locator(".field-error")).to_have_count(1)  # only the timezone is wrong

    timezone.fill("America/Denver")
    with page.expect_response(_posted(url("/admin/settings", tenant_a))) as accepted:
        save.click()

    assert accepted.value.status == 200
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.locator(".field-error")).to_have_count(0)
    page.reload()
    expect(timezone).to_have_value("America/Denver")
    expect(name).to_have_value("Alpha Paws Resort & Spa")
    expect(page.locator("header")).to_contain_text("Alpha Paws Resort & Spa")  # cached tenant was refreshed

    b_after = client.get("/api/v1/tenant", headers=tenant_b.headers()).json
    assert (b_after["name"], b_after["timezone"], b_after["phone"]) == (b_before["name"], b_before["timezone"],
                                                                        b_before["phone"])
