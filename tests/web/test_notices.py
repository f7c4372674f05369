"""Message pages: templates edited with a live preview per resort, the Vaccines page with reminders, and the
public unsubscribe link and STOP webhook; nothing crosses between two tenants."""
import re
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.core.extensions import db
from app.models import Customer, MessageTemplate, OutboxMessage, Role
from app.services import customers, optout, pets
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context, unscoped
from tests.conftest import csrf_from, hx_headers, web_login

EDIT = "/admin/templates/booking_confirmation/EMAIL"


def _household(app, fx, *, expiring=(5,), phone="+15555550100"):
    """A household with a pet whose vaccines expire in `expiring` days; returns (customer id, pet id)."""
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        tag = uuid.uuid4().hex[:6]
        c = customers.create_customer(first_name="Ann", last_name=f"Of {fx.name}", phone=phone,
                                      email=f"ann-{tag}@{fx.subdomain}.example")
        pet = pets.create_pet(customer_id=c.id, name=f"Rex {fx.subdomain} {tag}", species="DOG")
        for vaccine, days in zip(("Rabies", "Bordetella"), expiring, strict=False):
            pets.add_vaccination(pet_id=pet.id, vaccine=vaccine, given_on=date(2024, 1, 1),
                                 expires_on=tenant_today() + timedelta(days=days))
        return c.id, pet.id


def _form(page: str) -> dict:
    """The editor's hidden fields: the CSRF token and the version the form was opened at."""
    return {"csrf_token": csrf_from(page), "version": re.search(r'name="version" value="(\d+)"', page).group(1)}


def _rows(app, model):
    with app.app_context(), unscoped():
        rows = db.session.execute(select(model)).scalars().all()
        db.session.expunge_all()
    return rows


def test_a_manager_edits_a_template_with_a_live_preview_and_it_stays_in_their_resort(app, client, tenant_a, tenant_b):
    web_login(client, tenant_a, Role.MANAGER)
    page = client.get(EDIT, base_url=tenant_a.base_url).get_data(as_text=True)
    assert "{pet_names}" in page and "Rex and Bella" in page  # the default, previewed with the sample booking
    headers = hx_headers(client, tenant_a, EDIT)
    preview = client.post(f"{EDIT}/preview", base_url=tenant_a.base_url, headers=headers,
                          data={"subject": "Hi {first_name}", "body": "Total {total} for {pet_names}"})
    assert preview.status_code == 200 and "Total $285.00 for Rex and Bella" in preview.get_data(as_text=True)
    saved = client.post(EDIT, base_url=tenant_a.base_url, data={
        **_form(page), "subject": "Hi {first_name}", "body": "Alpha wording {total}"})
    assert saved.status_code == 200
    (row,) = _rows(app, MessageTemplate)
    assert row.tenant_id == tenant_a.id and row.body == "Alpha wording {total}"

    other = app.test_client()
    web_login(other, tenant_b, Role.MANAGER)
    b_page = other.get(EDIT, base_url=tenant_b.base_url).get_data(as_text=True)
    assert "Alpha wording" not in b_page and "Your booking at {resort_name} is confirmed" in b_page
    listing = other.get("/admin/templates", base_url=tenant_b.base_url).get_data(as_text=True)
    assert "Your own" not in listing
    other.post(EDIT, base_url=tenant_b.base_url, data={**_form(b_page), "subject": "B",
                                                      "body": "Bravo wording"})
    bodies = {r.tenant_id: r.body for r in _rows(app, MessageTemplate)}
    assert bodies == {tenant_a.id: "Alpha wording {total}", tenant_b.id: "Bravo wording"}


@pytest.mark.parametrize("body", ["Hello {nope} and {worse}", "{customer.__class__.__init__}"])
def test_unknown_placeholders_are_a_422_naming_them_in_the_preview_and_on_save(app, client, tenant_a, body):
    web_login(client, tenant_a, Role.MANAGER)
    page = client.get(EDIT, base_url=tenant_a.base_url).get_data(as_text=True)
    preview = client.post(f"{EDIT}/preview", base_url=tenant_a.base_url, headers=hx_headers(client, tenant_a, EDIT),
                          data={"subject": "S", "body": body})
    saved = client.post(EDIT, base_url=tenant_a.base_url, data={**_form(page), "subject": "S",
                                                                "body": body})
    assert preview.status_code == 422 and saved.status_code == 422
    named = ["{nope}", "{worse}"] if "nope" in body else ["{customer.__class__.__init__}"]
    for response in (preview, saved):
        html = response.get_data(as_text=True)
        assert all(n in html for n in named) and "object at 0x" not in html
    assert _rows(app, MessageTemplate) == []


def test_staff_cannot_edit_templates(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    assert client.get(EDIT, base_url=tenant_a.base_url).status_code == 403
    assert client.get("/admin/templates", base_url=tenant_a.base_url).status_code == 403


def test_the_vaccines_page_lists_only_this_resorts_pets_and_reminds_a_household(app, client, tenant_a, tenant_b):
    _, a_pet = _household(app, tenant_a, expiring=(-3, 10))
    _household(app, tenant_a, expiring=(200,))  # outside the window
    _, b_pet = _household(app, tenant_b)
    web_login(client, tenant_a, Role.STAFF)
    html = client.get("/vaccines", base_url=tenant_a.base_url).get_data(as_text=True)
    assert f'id="pet-{a_pet}"' in html and "Rabies expired" in html and "Bordetella expires" in html
    assert "bravo" not in html and html.count('id="pet-') == 1
    headers = hx_headers(client, tenant_a, "/vaccines")
    done = client.post(f"/vaccines/{a_pet}/remind", base_url=tenant_a.base_url, headers=headers)
    assert done.status_code == 200 and "Reminder queued (2 vaccines)" in done.get_data(as_text=True)
    crossed = client.post(f"/vaccines/{b_pet}/remind", base_url=tenant_a.base_url, headers=headers)
    assert crossed.status_code == 404
    sent = _rows(app, OutboxMessage)
    assert len(sent) == 2 and {m.tenant_id for m in sent} == {tenant_a.id}
    assert all(m.kind == "vaccine_reminder" and m.recipient.endswith("@alpha-paws.example") for m in sent)


def test_the_vaccines_page_refuses_a_bad_window_naming_the_field(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    assert client.get("/vaccines?from=2026-02-01&to=2026-01-01", base_url=tenant_a.base_url).status_code == 422
    bad = client.get("/vaccines?from=soon", base_url=tenant_a.base_url)
    assert bad.status_code == 422 and "Use a date like" in bad.get_data(as_text=True)


def test_the_vaccines_page_is_a_constant_number_of_queries(app, client, tenant_a, count_queries):
    web_login(client, tenant_a, Role.STAFF)
    _household(app, tenant_a, expiring=(3,))
    client.get("/vaccines", base_url=tenant_a.base_url)
    with count_queries() as few:
        client.get("/vaccines", base_url=tenant_a.base_url)
    for n in range(4):
        _household(app, tenant_a, expiring=(n, n + 1), phone=None)
    with count_queries() as many:
        html = client.get("/vaccines", base_url=tenant_a.base_url).get_data(as_text=True)
    assert html.count('id="pet-') == 5
    assert few.count == many.count


def _unsubscribe_link(app, fx, customer_id):
    with app.test_request_context(base_url=fx.base_url), tenant_context(lookup_tenant(fx.subdomain)):
        return re.sub(r"^https?://[^/]+", "", optout.unsubscribe_url(customer_id))


def _opted_out(app):
    return {c.id: c.email_opt_out_at is not None for c in _rows(app, Customer)}


def test_the_unsubscribe_link_opts_out_with_no_sign_in_after_a_confirming_post(app, tenant_a, tenant_b):
    a_customer, _ = _household(app, tenant_a)
    b_customer, _ = _household(app, tenant_b)
    link = _unsubscribe_link(app, tenant_a, a_customer)
    visitor = app.test_client()
    page = visitor.get(link, base_url=tenant_a.base_url)
    assert page.status_code == 200 and _opted_out(app)[a_customer] is False  # a mail scanner's GET changes nothing
    done = visitor.post(link, base_url=tenant_a.base_url, data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert _opted_out(app) == {a_customer: True, b_customer: False}


def test_a_token_of_tenant_a_cannot_opt_out_anyone_at_tenant_b(app, tenant_a, tenant_b):
    a_customer, _ = _household(app, tenant_a)
    b_customer, _ = _household(app, tenant_b)
    visitor = app.test_client()
    b_page = visitor.get("/login", base_url=tenant_b.base_url).get_data(as_text=True)
    for link in (_unsubscribe_link(app, tenant_a, a_customer), _unsubscribe_link(app, tenant_a, b_customer)):
        assert visitor.get(link, base_url=tenant_b.base_url).status_code == 404
        assert visitor.post(link, base_url=tenant_b.base_url, data={"csrf_token": csrf_from(b_page)}).status_code == 404
    forged = _unsubscribe_link(app, tenant_b, b_customer)[:-4] + "AAAA"
    assert visitor.get(forged, base_url=tenant_b.base_url).status_code == 404
    assert _opted_out(app) == {a_customer: False, b_customer: False}


def test_stop_on_the_sms_webhook_opts_out_that_resorts_household_only(app, tenant_a, tenant_b):
    a_customer, _ = _household(app, tenant_a)
    b_customer, _ = _household(app, tenant_b)  # the same number, another resort
    hook, body = "/webhooks/sms/inbound", {"from": "+1 (555) 555-0100", "body": "STOP"}
    visitor = app.test_client()
    assert visitor.post(hook, base_url=tenant_a.base_url, json=body).status_code == 404  # no secret configured: off
    app.config["SMS_WEBHOOK_SECRET"] = "hook-secret"
    try:
        assert visitor.post(hook, base_url=tenant_a.base_url, json=body,
                            headers={"X-Webhook-Secret": "wrong"}).status_code == 403
        ok = visitor.post(hook, base_url=tenant_a.base_url, json=body, headers={"X-Webhook-Secret": "hook-secret"})
        missing = visitor.post(hook, base_url=tenant_a.base_url, json={"body": "STOP"},
                               headers={"X-Webhook-Secret": "hook-secret"})
    finally:
        app.config["SMS_WEBHOOK_SECRET"] = None
    assert ok.status_code == 200 and ok.get_json() == {"action": "stop"} and missing.status_code == 422
    stopped = {c.id: c.sms_opt_out_at is not None for c in _rows(app, Customer)}
    assert stopped == {a_customer: True, b_customer: False}


def test_staff_emails_are_listed_with_their_preview_and_only_admins_save_them(app, client, tenant_a, tenant_b):
    invitation = "/admin/templates/invitation/EMAIL"
    web_login(client, tenant_a, Role.MANAGER)
    listing = client.get("/admin/templates", base_url=tenant_a.base_url).get_data(as_text=True)
    assert 'id="template-invitation-EMAIL"' in listing and 'id="template-invitation-SMS"' not in listing
    assert "admins edit this one" in listing
    page = client.get(invitation, base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Only an admin may change this wording." in page and "reset-password?token=sample-token" in page
    refused = client.post(invitation, base_url=tenant_a.base_url, data={
        **_form(page), "subject": "Join", "body": "Come {link}"})
    assert refused.status_code == 403 and _rows(app, MessageTemplate) == []
    assert client.get("/admin/templates/invitation/SMS", base_url=tenant_a.base_url).status_code == 404

    admin = app.test_client()
    web_login(admin, tenant_a, Role.ADMIN)
    page = admin.get(invitation, base_url=tenant_a.base_url).get_data(as_text=True)
    no_link = admin.post(invitation, base_url=tenant_a.base_url, data={
        **_form(page), "subject": "Join", "body": "Welcome aboard"})
    assert no_link.status_code == 422 and "{link}" in no_link.get_data(as_text=True)
    saved = admin.post(invitation, base_url=tenant_a.base_url, data={
        **_form(page), "subject": "Join {resort_name}", "body": "Welcome aboard: {link}"})
    assert saved.status_code == 200
    (row,) = _rows(app, MessageTemplate)
    assert row.tenant_id == tenant_a.id and row.kind == "invitation"


def test_a_template_form_opened_before_anothers_save_is_refused_and_keeps_the_draft(app, client, tenant_a, tenant_b):
    web_login(client, tenant_a, Role.MANAGER)
    other = app.test_client()
    web_login(other, tenant_a, Role.MANAGER)
    mine = client.get(EDIT, base_url=tenant_a.base_url).get_data(as_text=True)
    theirs = other.get(EDIT, base_url=tenant_a.base_url).get_data(as_text=True)
    assert other.post(EDIT, base_url=tenant_a.base_url, data={
        **_form(theirs), "subject": "Theirs", "body": "Their wording {total}"}).status_code == 200
    stale = client.post(EDIT, base_url=tenant_a.base_url, data={
        **_form(mine), "subject": "Mine", "body": "My wording {total}"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Someone else saved" in html and "My wording {total}" in html
    (row,) = _rows(app, MessageTemplate)
    assert row.body == "Their wording {total}"
    reset = client.post(EDIT, base_url=tenant_a.base_url, data={**_form(mine), "reset": "1"})
    assert reset.status_code == 409 and _rows(app, MessageTemplate)[0].body == "Their wording {total}"
    fresh = client.get(EDIT, base_url=tenant_a.base_url).get_data(as_text=True)
    assert client.post(EDIT, base_url=tenant_a.base_url, data={
        **_form(fresh), "subject": "Mine", "body": "My wording {total}"}).status_code == 200
    assert _rows(app, MessageTemplate)[0].body == "My wording {total}"
    # A form with no version is never an unchecked overwrite; tenant B's first save is its own row.
    no_version = client.post(EDIT, base_url=tenant_a.base_url, data={"csrf_token": csrf_from(fresh),
                                                                     "subject": "X", "body": "Unchecked {total}"})
    assert no_version.status_code == 409
    b_client = app.test_client()
    web_login(b_client, tenant_b, Role.MANAGER)
    b_page = b_client.get(EDIT, base_url=tenant_b.base_url).get_data(as_text=True)
    assert 'name="version" value="0"' in b_page
    assert b_client.post(EDIT, base_url=tenant_b.base_url, data={
        **_form(b_page), "subject": "B", "body": "Bravo {total}"}).status_code == 200
