"""/api/v1/message-templates: each resort's wording (ETag / If-Match, preview, reset), staff emails through the same
templates (admins only, `{link}` kept and never in the subject); nothing crosses between two tenants."""
import email

import pytest

from app.core.extensions import db
from app.models import OutboxMessage, Role
from app.tenancy import unscoped
from tests.services.test_mail import smtp  # noqa: F401  (fixture)

BASE = "/api/v1/message-templates"
CONFIRMATION = f"{BASE}/booking_confirmation/EMAIL"
INVITATION = f"{BASE}/invitation/EMAIL"


def _messages(app, fx):
    with app.app_context(), unscoped():
        rows = db.session.execute(db.select(OutboxMessage).where(OutboxMessage.tenant_id == fx.id)).scalars().all()
        db.session.expunge_all()
    return rows


def test_the_list_names_every_kind_and_channel_with_staff_emails_on_email_only(client, tenant_a):
    r = client.get(BASE, headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 200
    ids = {t["id"] for t in r.get_json()}
    assert {"booking_confirmation.EMAIL", "booking_confirmation.SMS", "invitation.EMAIL",
            "password_reset.EMAIL"} <= ids and "invitation.SMS" not in ids
    invitation = next(t for t in r.get_json() if t["id"] == "invitation.EMAIL")
    assert invitation["editable_by"] == "ADMIN" and invitation["required"] == ["link"] and invitation["version"] == 0
    assert client.get(BASE, headers=tenant_a.headers(Role.STAFF)).status_code == 403


def test_a_put_with_the_default_etag_creates_the_resorts_wording_and_a_stale_one_is_412(client, tenant_a, tenant_b):
    read = client.get(CONFIRMATION, headers=tenant_a.headers(Role.MANAGER))
    assert read.status_code == 200 and read.headers["ETag"] == '"booking_confirmation.EMAIL-0"'
    assert read.get_json()["custom"] is False
    body = {"subject": "See you, {first_name}", "body": "Alpha wording {total}"}
    assert client.put(CONFIRMATION, headers=tenant_a.headers(Role.MANAGER), json=body).status_code == 428
    saved = client.put(CONFIRMATION, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": read.headers["ETag"]}),
                       json=body)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["custom"] is True and saved.headers["ETag"] == '"booking_confirmation.EMAIL-1"'
    stale = client.put(CONFIRMATION, headers=tenant_a.headers(Role.MANAGER, **{"If-Match": read.headers["ETag"]}),
                       json={"body": "Lost update"})
    assert stale.status_code == 412
    edited = client.put(CONFIRMATION, headers=tenant_a.headers(**{"If-Match": saved.headers["ETag"]}),
                        json={"subject": "S", "body": "Second {total}"})
    assert edited.status_code == 200 and edited.get_json()["version"] == 2
    assert client.get(CONFIRMATION, headers=tenant_a.headers()).get_json()["body"] == "Second {total}"
    # Tenant B still has the default, at version 0, and A's ETag does not reach it.
    b = client.get(CONFIRMATION, headers=tenant_b.headers())
    assert b.get_json()["custom"] is False and b.headers["ETag"] == '"booking_confirmation.EMAIL-0"'
    crossed = client.put(CONFIRMATION, headers=tenant_b.headers(**{"If-Match": edited.headers["ETag"]}),
                         json={"body": "B {total}"})
    assert crossed.status_code == 412
    assert client.get(CONFIRMATION, headers=tenant_b.headers()).get_json()["custom"] is False


def test_delete_goes_back_to_the_default(client, tenant_a):
    first = client.put(CONFIRMATION, headers=tenant_a.headers(**{"If-Match": '"booking_confirmation.EMAIL-0"'}),
                       json={"subject": "S", "body": "Mine"})
    reset = client.delete(CONFIRMATION, headers=tenant_a.headers(**{"If-Match": first.headers["ETag"]}))
    assert reset.status_code == 200 and reset.get_json()["custom"] is False and reset.get_json()["version"] == 0
    assert client.get(CONFIRMATION, headers=tenant_a.headers()).headers["ETag"] == '"booking_confirmation.EMAIL-0"'


@pytest.mark.parametrize(("body", "field", "named"), [
    ({"subject": "S", "body": "Hello {nope}"}, "body", "{nope}"),
    ({"subject": "S", "body": "{customer.__class__}"}, "body", "{customer.__class__}"),
    ({"subject": "{total:>9999}", "body": "ok"}, "subject", "{total}"),
])
def test_unknown_or_unsafe_placeholders_are_a_422_naming_the_field(client, tenant_a, body, field, named):
    for method, path in (("PUT", CONFIRMATION), ("POST", f"{CONFIRMATION}/preview")):
        r = client.open(path, method=method, json=body,
                        headers=tenant_a.headers(**{"If-Match": '"booking_confirmation.EMAIL-0"'}))
        assert r.status_code == 422 and list(r.get_json()["errors"]) == [field], r.get_json()
        assert named in r.get_json()["errors"][field][0]
    assert client.get(CONFIRMATION, headers=tenant_a.headers()).get_json()["custom"] is False


def test_the_preview_renders_a_sample_booking_and_saves_nothing(client, tenant_a):
    r = client.post(f"{CONFIRMATION}/preview", headers=tenant_a.headers(Role.MANAGER),
                    json={"subject": "Hi {first_name}", "body": "Total {total} for {pet_names}"})
    assert r.status_code == 200 and r.get_json() == {"subject": "Hi Ann", "body": "Total $285.00 for Rex and Bella"}
    assert client.get(CONFIRMATION, headers=tenant_a.headers()).get_json()["custom"] is False
    missing = client.post(f"{CONFIRMATION}/preview", headers=tenant_a.headers(), json={"subject": "x"})
    assert missing.status_code == 422 and "body" in missing.get_json()["errors"]


def test_unknown_kinds_and_channels_are_404(client, tenant_a):
    assert client.get(f"{BASE}/nope/EMAIL", headers=tenant_a.headers()).status_code == 404
    assert client.get(f"{BASE}/booking_confirmation/FAX", headers=tenant_a.headers()).status_code == 404
    r = client.get(f"{BASE}/invitation/SMS", headers=tenant_a.headers())
    assert r.status_code == 404 and "EMAIL only" in str(r.get_json())


def test_staff_emails_are_edited_by_admins_only_and_must_keep_their_link_in_the_body(client, tenant_a):
    tag = {"If-Match": '"invitation.EMAIL-0"'}
    manager = client.put(INVITATION, headers=tenant_a.headers(Role.MANAGER, **tag),
                         json={"subject": "Join us", "body": "Click {link}"})
    assert manager.status_code == 403 and "admin" in manager.get_json()["message"]
    no_link = client.put(INVITATION, headers=tenant_a.headers(**tag), json={"subject": "Join", "body": "Welcome!"})
    assert no_link.status_code == 422 and "{link}" in no_link.get_json()["errors"]["body"][0]
    in_subject = client.put(INVITATION, headers=tenant_a.headers(**tag), json={"subject": "Go {link}", "body": "{link}"})
    assert in_subject.status_code == 422 and "only appear in the body" in in_subject.get_json()["errors"]["subject"][0]
    assert client.get(INVITATION, headers=tenant_a.headers()).get_json()["custom"] is False


def test_an_invitation_uses_the_resorts_own_wording_and_its_token_is_masked_in_storage(app, client, tenant_a, tenant_b,
                                                                                      smtp):  # noqa: F811
    wording = {"subject": "Welcome to {resort_name}", "body": "Hi {user_name}, join {resort_name}: {link} "
                                                              "(valid for {valid_for})"}
    saved = client.put(INVITATION, headers=tenant_a.headers(**{"If-Match": '"invitation.EMAIL-0"'}), json=wording)
    assert saved.status_code == 200, saved.get_json()
    for fx, address in ((tenant_a, "sam@alpha.example"), (tenant_b, "sam@bravo.example")):
        r = client.post("/api/v1/users", headers=fx.headers(), json={"email": address, "name": "Sam Rivera"})
        assert r.status_code == 201
    by_recipient = {rcpt[0]: email.message_from_string(content) for rcpt, content in smtp.messages}
    a, b = by_recipient["sam@alpha.example"], by_recipient["sam@bravo.example"]
    a_text = a.get_payload(decode=True).decode()
    assert a["Subject"] == f"Welcome to {tenant_a.name}"
    assert f"Hi Sam Rivera, join {tenant_a.name}: http://{tenant_a.subdomain}.localhost/reset-password?token=" in a_text
    assert "(valid for one hour)" in a_text
    assert b["Subject"] == "Set your Tailtown password" and "Hi Sam Rivera, join" not in b.get_payload(decode=True).decode()
    token = a_text.split("token=")[1].split()[0]
    (row,) = _messages(app, tenant_a)
    assert token not in row.body and token not in row.subject and row.secret is None


def test_a_template_stored_without_its_link_still_sends_a_working_link(app, client, tenant_a, smtp):  # noqa: F811
    """A row that no longer checks (written around the service) falls back to the default, never a link-less mail."""
    from app.models import Channel, MessageTemplate

    with app.app_context(), unscoped():
        db.session.add(MessageTemplate(tenant_id=tenant_a.id, kind="invitation", channel=Channel.EMAIL,
                                       subject="Hi", body="No link here"))
        db.session.commit()
    client.post("/api/v1/users", headers=tenant_a.headers(), json={"email": "x@alpha.example", "name": "X"})
    ((_, content),) = smtp.messages
    assert "reset-password?token=" in email.message_from_string(content).get_payload(decode=True).decode()


def test_the_templates_api_is_documented_with_examples_and_errors(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    one = paths["/api/v1/message-templates/{kind}/{channel}"]
    assert {"403", "404", "412", "422"} <= set(one["put"]["responses"])
    assert "example" in one["put"]["requestBody"]["content"]["application/json"]
    assert "example" in one["get"]["responses"]["200"]["content"]["application/json"]
    assert {"403", "404", "422"} <= set(paths["/api/v1/message-templates/{kind}/{channel}/preview"]["post"]["responses"])
    retry = paths["/api/v1/outbox-messages/{message_id}/retry"]["post"]
    assert {"403", "404", "409", "422"} <= set(retry["responses"])
