"""The Webhooks admin page: two tenants, admins only, the secret shown once, stale edits refused, the delivery log."""
import re
import uuid

import pytest

from app.models import Role
from tests.api.test_webhooks import Receiver, _verify
from tests.conftest import hx_headers, web_login

PAGE = "/admin/webhooks"


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.server.shutdown()
    made.server.server_close()


def _signed_in(client, fx, role=Role.ADMIN):
    web_login(client, fx, role)
    return hx_headers(client, fx, PAGE if role == Role.ADMIN else "/")


def _api_endpoint(client, fx, url, events=("customer.created",)) -> dict:
    r = client.post("/api/v1/webhook-endpoints", headers=fx.headers(), json={"url": url, "event_types": list(events)})
    assert r.status_code == 201, r.json
    return r.json


def _create(client, fx, headers, url, events=("customer.created",), **more):
    return client.post(PAGE, base_url=fx.base_url, headers=headers,
                       data={"url": url, "event_types": ["", *events], **more})


def _secret(html: str) -> str:
    return html.split('<code id="secret">')[1].split("</code>")[0]


def _customer(client, fx):
    r = client.post("/api/v1/customers", headers=fx.headers(), json={"first_name": "Ann", "last_name": "Smith"})
    assert r.status_code == 201, r.json


def test_the_list_shows_only_this_resorts_endpoints_with_events_state_failures_and_last_delivery(
        client, tenant_a, tenant_b, receiver):
    _api_endpoint(client, tenant_a, receiver.url + "/a")
    _api_endpoint(client, tenant_b, receiver.url + "/b-only", events=("*",))
    _customer(client, tenant_a)
    receiver.statuses = [503]
    _customer(client, tenant_a)
    _signed_in(client, tenant_a)
    html = client.get(PAGE, base_url=tenant_a.base_url).get_data(as_text=True)
    assert receiver.url + "/a" in html and "/b-only" not in html
    assert "<code>customer.created</code>" in html and "Active" in html
    row = html.split('<tr id="webhook-')[1]
    assert "HTTP 503" in row and "<td>1</td>" in row  # the last attempt failed: one failure in a row
    assert "whsec_" not in html  # never a secret on the list


@pytest.mark.parametrize("role", [Role.STAFF, Role.MANAGER])
def test_staff_and_managers_get_403_on_every_webhook_page(client, tenant_a, role, receiver):
    endpoint = _api_endpoint(client, tenant_a, receiver.url)
    headers = _signed_in(client, tenant_a, role)
    base = f"{PAGE}/{endpoint['id']}"
    assert client.get(PAGE, base_url=tenant_a.base_url).status_code == 403
    assert client.get(f"{base}/deliveries", base_url=tenant_a.base_url).status_code == 403
    assert client.get(f"{base}/edit", base_url=tenant_a.base_url, headers=headers).status_code == 403
    for path in (PAGE, base, f"{base}/ping", f"{base}/rotate-secret", f"{base}/delete"):
        assert client.post(path, base_url=tenant_a.base_url, headers=headers,
                           data={"url": "http://127.0.0.1:9/x", "event_types": ["*"]}).status_code == 403, path
    assert receiver.requests == []
    assert len(client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers()).json) == 1
    assert "Webhooks" not in client.get("/", base_url=tenant_a.base_url).get_data(as_text=True)


def test_a_new_endpoints_secret_is_shown_once_and_signs_its_deliveries(client, tenant_a, tenant_b, receiver):
    headers = _signed_in(client, tenant_a)
    r = _create(client, tenant_a, headers, receiver.url, description="Accounting sync")
    assert r.status_code == 200, r.get_data(as_text=True)
    html = r.get_data(as_text=True)
    secret = _secret(html)
    assert secret.startswith("whsec_") and "shown once" in html and "Accounting sync" in html
    [endpoint] = client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers()).json
    assert endpoint["event_types"] == ["customer.created"] and endpoint["active"] is True
    page = client.get(PAGE, base_url=tenant_a.base_url).get_data(as_text=True)
    assert secret not in page and receiver.url in page
    assert secret not in client.get(f"{PAGE}/{endpoint['id']}/edit", base_url=tenant_a.base_url,
                                    headers=headers).get_data(as_text=True)
    _customer(client, tenant_a)
    _, sent, body = receiver.requests[0]
    assert _verify(secret, sent, body)
    assert client.get("/api/v1/webhook-endpoints", headers=tenant_b.headers()).json == []


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops_signing(client, tenant_a, receiver):
    headers = _signed_in(client, tenant_a)
    old = _secret(_create(client, tenant_a, headers, receiver.url).get_data(as_text=True))
    [endpoint] = client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers()).json
    r = client.post(f"{PAGE}/{endpoint['id']}/rotate-secret", base_url=tenant_a.base_url, headers=headers)
    assert r.status_code == 200
    new = _secret(r.get_data(as_text=True))
    assert new != old and 'hx-swap-oob="true"' in r.get_data(as_text=True)
    assert new not in client.get(PAGE, base_url=tenant_a.base_url).get_data(as_text=True)
    ping = client.post(f"{PAGE}/{endpoint['id']}/ping", base_url=tenant_a.base_url, headers=headers)
    assert ping.status_code == 200 and "Ping sent" in ping.get_data(as_text=True)
    _, sent, body = receiver.requests[-1]
    assert receiver.events()[-1]["type"] == "webhook.ping"
    assert _verify(new, sent, body) and not _verify(old, sent, body)


def test_bad_input_is_a_422_naming_the_field_and_creates_nothing(client, tenant_a):
    headers = _signed_in(client, tenant_a)
    r = _create(client, tenant_a, headers, "ftp://files.example.com/x")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="new-url-error"' in html and 'value="ftp://files.example.com/x"' in html
    none = client.post(PAGE, base_url=tenant_a.base_url, headers=headers,
                       data={"url": "http://127.0.0.1:9/hooks", "event_types": [""]})
    assert none.status_code == 422 and 'id="new-event_types-error"' in none.get_data(as_text=True)
    unknown = _create(client, tenant_a, headers, "http://127.0.0.1:9/hooks", events=("customer.exploded",))
    assert unknown.status_code == 422 and "event_types" in unknown.get_data(as_text=True)
    assert client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers()).json == []


def test_an_edit_saves_url_events_and_active_and_back_on_clears_the_failures(client, tenant_a, receiver):
    endpoint = _api_endpoint(client, tenant_a, receiver.url)
    headers = _signed_in(client, tenant_a)
    form = client.get(f"{PAGE}/{endpoint['id']}/edit", base_url=tenant_a.base_url, headers=headers)
    assert form.status_code == 200 and 'name="version" value="1"' in form.get_data(as_text=True)
    r = client.post(f"{PAGE}/{endpoint['id']}", base_url=tenant_a.base_url, headers=headers, data={
        "version": "1", "url": receiver.url + "/v2", "description": "", "event_types": ["", "pet.created", "pet.updated"],
        "active": ["false"]})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "/v2" in r.get_data(as_text=True) and "<strong>Off</strong>" in r.get_data(as_text=True)
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=tenant_a.headers()).json
    assert (shown["url"], shown["event_types"], shown["active"], shown["version"]) == (
        receiver.url + "/v2", ["pet.created", "pet.updated"], False, 2)
    on = client.post(f"{PAGE}/{endpoint['id']}", base_url=tenant_a.base_url, headers=headers,
                     data={"version": "2", "active": ["false", "true"]})
    assert on.status_code == 200 and "Active" in on.get_data(as_text=True)


def test_a_form_opened_before_someone_elses_save_is_refused_with_a_conflict(client, tenant_a, receiver):
    endpoint = _api_endpoint(client, tenant_a, receiver.url)
    headers = _signed_in(client, tenant_a)
    stale_form = client.get(f"{PAGE}/{endpoint['id']}/edit", base_url=tenant_a.base_url, headers=headers)
    assert 'name="version" value="1"' in stale_form.get_data(as_text=True)
    first = client.post(f"{PAGE}/{endpoint['id']}", base_url=tenant_a.base_url, headers=headers,
                        data={"version": "1", "url": receiver.url + "/first"})
    assert first.status_code == 200
    late = client.post(f"{PAGE}/{endpoint['id']}", base_url=tenant_a.base_url, headers=headers,
                       data={"version": "1", "url": receiver.url + "/second", "event_types": ["", "*"]})
    html = late.get_data(as_text=True)
    assert late.status_code == 409 and "Someone else saved a change" in html and 'role="alert"' in html
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=tenant_a.headers()).json
    assert shown["url"] == receiver.url + "/first" and shown["event_types"] == ["customer.created"]


def test_another_resorts_endpoints_and_deliveries_are_404_from_every_page_and_form(client, tenant_a, tenant_b, receiver):
    theirs = _api_endpoint(client, tenant_b, receiver.url + "/bravo-only")
    delivery = client.post(f"/api/v1/webhook-endpoints/{theirs['id']}/ping", headers=tenant_b.headers()).json
    sent = len(receiver.requests)
    headers = _signed_in(client, tenant_a)
    base = f"{PAGE}/{theirs['id']}"
    for path in (f"{base}/row", f"{base}/edit", f"{base}/deliveries"):
        assert client.get(path, base_url=tenant_a.base_url, headers=headers).status_code == 404, path
    form = {"version": "1", "url": receiver.url + "/stolen", "event_types": ["", "*"], "active": "false"}
    for path in (base, f"{base}/ping", f"{base}/rotate-secret", f"{base}/delete",
                 f"{PAGE}/deliveries/{delivery['id']}/redeliver"):
        assert client.post(path, base_url=tenant_a.base_url, headers=headers, data=form).status_code == 404, path
    assert "/bravo-only" not in client.get(PAGE, base_url=tenant_a.base_url).get_data(as_text=True)
    shown = client.get(f"/api/v1/webhook-endpoints/{theirs['id']}", headers=tenant_b.headers()).json
    assert (shown["url"], shown["active"], shown["version"]) == (receiver.url + "/bravo-only", True, 1)
    assert len(receiver.requests) == sent  # no ping, no redelivery crossed over


def test_posts_without_a_csrf_token_are_refused(client, tenant_a, receiver):
    endpoint = _api_endpoint(client, tenant_a, receiver.url)
    _signed_in(client, tenant_a)
    for path in (PAGE, f"{PAGE}/{endpoint['id']}", f"{PAGE}/{endpoint['id']}/ping", f"{PAGE}/{endpoint['id']}/delete"):
        r = client.post(path, base_url=tenant_a.base_url, headers={"HX-Request": "true"},
                        data={"url": receiver.url, "event_types": ["*"], "version": "1"})
        assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True), path
    assert len(client.get("/api/v1/webhook-endpoints", headers=tenant_a.headers()).json) == 1
    assert receiver.requests == []


def test_delete_removes_the_row_and_the_endpoint(client, tenant_a, tenant_b, receiver):
    endpoint = _api_endpoint(client, tenant_a, receiver.url)
    other = _api_endpoint(client, tenant_b, receiver.url)
    headers = _signed_in(client, tenant_a)
    r = client.post(f"{PAGE}/{endpoint['id']}/delete", base_url=tenant_a.base_url, headers=headers)
    assert r.status_code == 200 and r.get_data(as_text=True) == ""
    assert client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=tenant_a.headers()).status_code == 404
    assert client.get(f"/api/v1/webhook-endpoints/{other['id']}", headers=tenant_b.headers()).status_code == 200


def test_the_delivery_log_pages_attempts_with_codes_and_errors_and_redelivers(client, tenant_a, receiver, monkeypatch):
    from app.web import webhooks as pages

    monkeypatch.setattr(pages, "DELIVERIES_PAGE_SIZE", 2)
    endpoint = _api_endpoint(client, tenant_a, receiver.url)
    headers = _signed_in(client, tenant_a)
    receiver.statuses = [500]
    _customer(client, tenant_a)  # oldest: failed once (500), waiting for its retry
    for _ in range(2):
        client.post(f"{PAGE}/{endpoint['id']}/ping", base_url=tenant_a.base_url, headers=headers)
    log = f"{PAGE}/{endpoint['id']}/deliveries"
    first = client.get(log, base_url=tenant_a.base_url).get_data(as_text=True)
    assert first.count('id="delivery-') == 2 and "webhook.ping" in first and "HTTP 200" in first
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = client.get(f"{log}?page=2", base_url=tenant_a.base_url).get_data(as_text=True)
    assert second.count('id="delivery-') == 1 and "customer.created" in second and "HTTP 500" in second
    delivery_id = re.search(r'id="delivery-([0-9a-f-]{36})"', second).group(1)
    before = len(receiver.requests)
    r = client.post(f"{PAGE}/deliveries/{delivery_id}/redeliver", base_url=tenant_a.base_url, headers=headers)
    assert r.status_code == 200 and f'id="delivery-{delivery_id}"' in r.get_data(as_text=True)
    assert len(receiver.requests) == before + 1
    assert receiver.events()[-1]["id"] == receiver.events()[0]["id"]  # the same event, again
    again = client.get(f"{log}?page=2", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "HTTP 500" in again and "HTTP 200" in again and "Sent" in again
    assert client.get(f"{PAGE}/{uuid.uuid4()}/deliveries", base_url=tenant_a.base_url).status_code == 404


def test_the_list_page_is_a_constant_number_of_queries(client, tenant_a, receiver, count_queries):
    _api_endpoint(client, tenant_a, receiver.url)
    _customer(client, tenant_a)
    _signed_in(client, tenant_a)
    with count_queries() as few:
        assert client.get(PAGE, base_url=tenant_a.base_url).status_code == 200
    for i in range(5):
        _api_endpoint(client, tenant_a, f"{receiver.url}/{i}", events=("*",))
    _customer(client, tenant_a)
    with count_queries() as many:
        html = client.get(PAGE, base_url=tenant_a.base_url).get_data(as_text=True)
    assert html.count('<tr id="webhook-') == 6 and html.count("HTTP 200") == 6
    assert few.count == many.count


def test_the_endpoint_list_is_paged(client, tenant_a, tenant_b, receiver, monkeypatch):
    from app.web import webhooks as pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    _api_endpoint(client, tenant_a, receiver.url + "/first")
    _api_endpoint(client, tenant_a, receiver.url + "/second")
    _api_endpoint(client, tenant_b, receiver.url + "/bravo")
    _signed_in(client, tenant_a)
    one = client.get(PAGE, base_url=tenant_a.base_url).get_data(as_text=True)
    two = client.get(f"{PAGE}?page=2", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "/first" in one and "/second" not in one and "Page 1 of 2" in one
    assert "/second" in two and "/first" not in two and "/bravo" not in one + two
