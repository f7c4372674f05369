"""An admin wires up a webhook in a real browser: adds an endpoint, copies its secret (shown once), pings a
receiver on loopback and finds the signed delivery in the endpoint's log. The other resort sees none of it."""
import re

import pytest
from playwright.sync_api import expect

from app.models import Role
from tests.api.test_webhooks import Receiver, _verify

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.server.shutdown()
    made.server.server_close()


def test_an_admin_adds_an_endpoint_sees_its_secret_once_pings_it_and_reads_the_log(
        page, url, sign_in, main_pages, client, tenant_a, tenant_b, receiver):
    sign_in(tenant_a, Role.ADMIN)
    page.locator("#site-menu summary", has_text="Admin").click()
    page.locator("#site-menu").get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    main_pages["webhooks"] = page.url
    expect(page.locator("#webhook-rows")).to_contain_text("No endpoints yet.")

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description (optional)").fill("Accounting sync")
    expect(page.get_by_label("Every event (*)")).to_be_checked()
    with page.expect_response(lambda r: r.url == url("/admin/webhooks", tenant_a) and r.request.method == "POST") as made:
        page.get_by_role("button", name="Add endpoint").click()
    assert made.value.status == 200
    expect(page.locator("#secret")).to_have_text(re.compile(r"^whsec_\S{20,}$"))
    secret = page.locator("#secret").inner_text().strip()
    row = page.locator("#webhook-rows tr").filter(has_text=receiver.url)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("none yet")
    expect(page.locator("#webhook-rows")).not_to_contain_text("No endpoints yet.")

    page.reload()  # shown once: never again
    expect(row).to_have_count(1)
    expect(page.locator("#secret")).to_have_count(0)
    assert secret not in page.content()

    row.get_by_role("button", name=re.compile("^Send ping")).click()
    expect(page.locator("#webhook-rows tr").filter(has_text=receiver.url)).to_contain_text("Ping sent.")
    row.get_by_role("link", name=re.compile("^Deliveries")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(receiver.url)
    main_pages["deliveries"] = page.url
    delivery = page.locator("#deliveries tbody tr").filter(has_text="webhook.ping")
    expect(delivery).to_have_count(1)
    expect(delivery).to_contain_text("HTTP 200")
    expect(delivery).to_contain_text("Sent")

    assert len(receiver.requests) == 1
    _, headers, body = receiver.requests[0]
    assert _verify(secret, headers, body)
    event = receiver.events()[0]
    assert event["type"] == "webhook.ping" and event["tenant"] == tenant_a.subdomain
    assert client.get("/api/v1/webhook-endpoints", headers=tenant_b.headers()).json == []
