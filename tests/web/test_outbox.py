"""The Outbox page: managers and admins see their own resort's messages, with clickable links in development."""
import re

from app.models import Role
from tests.conftest import csrf_from, hx_headers, web_login


def _invite(client, fx, address):
    r = client.post("/api/v1/users", headers=fx.headers(), json={"email": address, "name": "New"})
    assert r.status_code == 201


def test_the_outbox_page_lists_only_this_resorts_messages_with_state_and_attempts(client, tenant_a, tenant_b):
    _invite(client, tenant_a, "ann@alpha.example")
    _invite(client, tenant_b, "bob@bravo.example")
    web_login(client, tenant_a, Role.MANAGER)
    page = client.get("/admin/outbox", base_url=tenant_a.base_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ann@alpha.example" in html and "Set your Tailtown password" in html and "Sent" in html
    assert "bob@bravo.example" not in html and "bravo" not in html
    assert 'id="outbox-stats"' in html and "Undelivered: <strong>0</strong>" in html


def test_staff_cannot_open_the_outbox(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    assert client.get("/admin/outbox", base_url=tenant_a.base_url).status_code == 403


def test_an_invitation_can_be_finished_from_the_outbox_link_with_no_mail_server(app, client, tenant_a):
    _invite(client, tenant_a, "new@alpha.example")
    web_login(client, tenant_a, Role.ADMIN)
    html = client.get("/admin/outbox", base_url=tenant_a.base_url).get_data(as_text=True)
    link = re.search(r'<a href="http://alpha-paws\.localhost(/reset-password\?token=[^"]+)"', html).group(1)
    newcomer = app.test_client()
    form = newcomer.get(link, base_url=tenant_a.base_url)
    done = newcomer.post(link, base_url=tenant_a.base_url, data={
        "password": "a-brand-new-password", "csrf_token": csrf_from(form.get_data(as_text=True))})
    assert done.status_code == 302


def test_outside_development_the_page_never_shows_a_live_token(app, client, tenant_a):
    _invite(client, tenant_a, "new@alpha.example")
    web_login(client, tenant_a, Role.ADMIN)
    app.config["OUTBOX_SHOWS_LINKS"] = False
    try:
        html = client.get("/admin/outbox", base_url=tenant_a.base_url).get_data(as_text=True)
    finally:
        app.config["OUTBOX_SHOWS_LINKS"] = True
    assert "[link hidden]" in html and not re.search(r"token=[\w-]{20,}", html)


def test_the_outbox_page_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    web_login(client, tenant_a, Role.ADMIN)
    _invite(client, tenant_a, "one@alpha.example")
    with count_queries() as few:
        client.get("/admin/outbox", base_url=tenant_a.base_url)
    for i in range(5):
        _invite(client, tenant_a, f"n{i}@alpha.example")
    with count_queries() as many:
        client.get("/admin/outbox", base_url=tenant_a.base_url)
    assert few.count == many.count


def test_a_manager_retries_a_dead_letter_from_the_page_and_another_resort_cannot(app, client, tenant_a, tenant_b):
    from tests.api.test_outbox import smtp_down

    with smtp_down(app):
        _invite(client, tenant_a, "ann@alpha.example")
    (dead,) = client.get("/api/v1/outbox-messages?state=DEAD", headers=tenant_a.headers()).get_json()
    web_login(client, tenant_a, Role.MANAGER)
    page = client.get("/admin/outbox", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f'hx-post="/admin/outbox/{dead["id"]}/retry"' in page and "Dead letters (gave up): <strong>1</strong>" in page
    headers = hx_headers(client, tenant_a, "/admin/outbox")
    done = client.post(f"/admin/outbox/{dead['id']}/retry", base_url=tenant_a.base_url, headers=headers)
    row = done.get_data(as_text=True)
    assert done.status_code == 200 and f'id="message-{dead["id"]}"' in row and "Pending" in row and "Retry" not in row
    # Delivered right after the commit (no mail server: the development outbox), and audited.
    (sent,) = client.get("/api/v1/outbox-messages", headers=tenant_a.headers()).get_json()
    assert sent["state"] == "SENT" and sent["attempts"] == 1
    events = client.get("/api/v1/audit-events?action=outbox_message.retried", headers=tenant_a.headers()).get_json()
    assert [e["resource_id"] for e in events] == [dead["id"]]
    again = client.post(f"/admin/outbox/{dead['id']}/retry", base_url=tenant_a.base_url, headers=headers)
    assert again.status_code == 409 and "Only a dead letter can be retried" in again.get_data(as_text=True)

    other = app.test_client()
    web_login(other, tenant_b, Role.ADMIN)
    crossed = other.post(f"/admin/outbox/{dead['id']}/retry", base_url=tenant_b.base_url,
                         headers=hx_headers(other, tenant_b, "/admin/outbox"))
    assert crossed.status_code == 404


def test_staff_cannot_retry_from_the_page(app, client, tenant_a):
    from tests.api.test_outbox import smtp_down

    with smtp_down(app):
        _invite(client, tenant_a, "ann@alpha.example")
    (dead,) = client.get("/api/v1/outbox-messages?state=DEAD", headers=tenant_a.headers()).get_json()
    web_login(client, tenant_a, Role.STAFF)
    r = client.post(f"/admin/outbox/{dead['id']}/retry", base_url=tenant_a.base_url, headers=hx_headers(client, tenant_a))
    assert r.status_code == 403


def test_a_link_ending_a_sentence_is_clickable_without_its_full_stop():
    from app.web.admin import linkify

    html = str(linkify("Open http://a.localhost/reset-password?token=ab-c_d. Or (http://b.localhost/x)"))
    assert '<a href="http://a.localhost/reset-password?token=ab-c_d">' in html
    assert '<a href="http://b.localhost/x">' in html
