"""Front-desk customer and pet pages: live search, household page, inline edit, add pet, vaccinations."""
import io

from app.models import Role
from tests.conftest import hx_headers, web_login


def _customer(client, fx, **fields):
    body = {"first_name": "Jane", "last_name": "Doe", "phone": "5551234567", "email": "jane@example.com", **fields}
    return client.post("/api/v1/customers", headers=fx.headers(), json=body).json


def _pet(client, fx, customer_id, **fields):
    return client.post(f"/api/v1/customers/{customer_id}/pets", headers=fx.headers(),
                       json={"name": "Rex", "species": "DOG", **fields}).json


def test_live_search_returns_a_results_fragment_for_this_tenant_only(client, tenant_a, tenant_b):
    _customer(client, tenant_a)
    _customer(client, tenant_b, last_name="Bravo")
    web_login(client, tenant_a, Role.STAFF)
    r = client.get("/customers?q=555+123", base_url=tenant_a.base_url,
                   headers={"HX-Request": "true", "HX-Target": "customer-results"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and "<form" not in html
    assert "Doe, Jane" in html and "Bravo" not in html and "1 customer" in html
    page = client.get("/customers", base_url=tenant_a.base_url).get_data(as_text=True)
    assert 'id="customer-search"' in page and "Doe, Jane" in page


def test_search_results_show_pets_with_alert_badges(client, tenant_a):
    c = _customer(client, tenant_a)
    _pet(client, tenant_a, c["id"], name="Biscuit", alert_flags=["AGGRESSIVE"])
    web_login(client, tenant_a, Role.STAFF)
    html = client.get("/customers?q=bisc", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Biscuit" in html and "badge-aggressive" in html


def test_search_results_mark_the_pet_that_matched(client, tenant_a, tenant_b):
    c = _customer(client, tenant_a)
    _pet(client, tenant_a, c["id"], name="Biscuit")
    _pet(client, tenant_a, c["id"], name="Rex")
    other = _customer(client, tenant_b, last_name="Bravo")
    _pet(client, tenant_b, other["id"], name="Biscotti")
    web_login(client, tenant_a, Role.STAFF)
    html = client.get("/customers?q=bisc", base_url=tenant_a.base_url,
                      headers={"HX-Request": "true", "HX-Target": "customer-results"}).get_data(as_text=True)
    assert "<mark>Biscuit</mark>" in html and "<mark>Rex</mark>" not in html and "Rex" in html
    assert "Biscotti" not in html and "Bravo" not in html
    html = client.get("/customers?q=doe", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Biscuit" in html and "<mark>" not in html


def test_the_household_page_shows_contact_pets_badges_and_vaccine_status(client, tenant_a):
    c = _customer(client, tenant_a, notes="Gate code 1234")
    pet = _pet(client, tenant_a, c["id"], alert_flags=["SPECIAL_DIET"], feeding_instructions="2 cups, twice daily")
    client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"})
    web_login(client, tenant_a, Role.STAFF)
    html = client.get(f"/customers/{c['id']}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "(555) 123-4567" in html and "Gate code 1234" in html and "badge-special-diet" in html
    assert "Rabies: current" in html and "DHPP: missing" in html and "2 cups, twice daily" in html
    assert "Reservations and invoices" not in html  # nothing promised that does not exist yet


def test_the_household_page_is_404_for_another_tenant(client, tenant_a, tenant_b):
    c = _customer(client, tenant_a)
    web_login(client, tenant_b, Role.STAFF)
    assert client.get(f"/customers/{c['id']}", base_url=tenant_b.base_url).status_code == 404


def test_a_warm_household_page_reads_the_customer_from_the_cache(client, tenant_a, count_queries):
    c = _customer(client, tenant_a)
    _pet(client, tenant_a, c["id"])
    web_login(client, tenant_a, Role.STAFF)
    client.get(f"/customers/{c['id']}", base_url=tenant_a.base_url)
    with count_queries() as counter:
        assert client.get(f"/customers/{c['id']}", base_url=tenant_a.base_url).status_code == 200
    assert counter.count == 1, counter.statements  # the signed-in user only


def test_inline_contact_edit_keeps_typed_values_on_error_then_saves(client, tenant_a):
    c = _customer(client, tenant_a)
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/customers/{c['id']}")
    form = client.get(f"/customers/{c['id']}/contact/edit", base_url=tenant_a.base_url, headers=headers)
    assert 'name="phone"' in form.get_data(as_text=True)
    data = {"first_name": "Jane", "last_name": "Doe", "phone": "12", "email": "jane@example.com", "city": "Boulder",
            "preferred_contact": "SMS", "active": ["false", "true"]}
    bad = client.post(f"/customers/{c['id']}/contact", base_url=tenant_a.base_url, headers=headers, data=data)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="e-phone"' in html and 'value="Boulder"' in html and 'value="12"' in html
    good = client.post(f"/customers/{c['id']}/contact", base_url=tenant_a.base_url, headers=headers,
                       data={**data, "phone": "555.222.3333"})
    assert good.status_code == 200 and "(555) 222-3333" in good.get_data(as_text=True)
    # The page (cached before) now shows the new values.
    page = client.get(f"/customers/{c['id']}", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "(555) 222-3333" in page and "Boulder" in page


def test_clearing_an_optional_field_clears_it(client, tenant_a):
    c = _customer(client, tenant_a, alt_phone="555 000 1111")
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/customers/{c['id']}")
    client.post(f"/customers/{c['id']}/contact", base_url=tenant_a.base_url, headers=headers,
                data={"first_name": "Jane", "last_name": "Doe", "alt_phone": "", "active": ["false", "true"]})
    assert client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).json["alt_phone"] is None


def test_creating_a_customer_redirects_to_their_page(client, tenant_a):
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, "/customers/new")
    bad = client.post("/customers", base_url=tenant_a.base_url, headers=headers,
                      data={"first_name": "", "last_name": "Doe", "email": "x"})
    assert bad.status_code == 422 and 'id="e-first_name"' in bad.get_data(as_text=True)
    ok = client.post("/customers", base_url=tenant_a.base_url, headers=headers,
                     data={"first_name": "New", "last_name": "Person", "tags": "vip, late-pickup"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"].startswith("/customers/")
    detail = client.get(ok.headers["HX-Redirect"].replace("/customers/", "/api/v1/customers/"),
                        headers=tenant_a.headers()).json
    assert detail["tags"] == ["late-pickup", "vip"]


def test_adding_a_pet_from_the_household_page(client, tenant_a):
    c = _customer(client, tenant_a)
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/customers/{c['id']}/pets/new")
    bad = client.post(f"/customers/{c['id']}/pets", base_url=tenant_a.base_url, headers=headers,
                      data={"name": "Rex", "species": "DOG", "weight_lbs": "-2", "flags_present": "1",
                            "alert_flags": ["SENIOR"], "neutered": ["false", "true"]})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="e-weight_lbs"' in html and 'value="SENIOR" checked' in html
    ok = client.post(f"/customers/{c['id']}/pets", base_url=tenant_a.base_url, headers=headers,
                     data={"name": "Rex", "species": "DOG", "weight_lbs": "40", "flags_present": "1",
                           "alert_flags": ["SENIOR"], "neutered": ["false", "true"], "med_name": ["Fish oil", ""],
                           "med_dose": ["1 cap", ""], "med_schedule": ["dinner", ""]})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"].startswith("/pets/")
    pets = client.get(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers()).json
    assert pets[0]["neutered"] is True and pets[0]["alert_flags"] == ["MEDICATION", "SENIOR"]
    assert pets[0]["medications"] == [{"name": "Fish oil", "dose": "1 cap", "schedule": "dinner"}]


def test_the_vaccination_table_adds_edits_and_expires_in_place(client, tenant_a):
    c = _customer(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/pets/{pet['id']}")
    bad = client.post(f"/pets/{pet['id']}/vaccinations", base_url=tenant_a.base_url, headers=headers,
                      data={"vaccine": "Rabies", "given_on": "2026-02-01", "expires_on": "2026-01-01"})
    assert bad.status_code == 422 and 'id="e-expires_on"' in bad.get_data(as_text=True)
    ok = client.post(f"/pets/{pet['id']}/vaccinations", base_url=tenant_a.base_url, headers=headers,
                     data={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01", "verified": "true"})
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "2029-01-01" in html and "<td>Yes</td>" in html
    vaccination = client.get(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers()).json[0]
    assert vaccination["verified_by_id"] == str(tenant_a.users[Role.STAFF])
    edited = client.post(f"/pets/{pet['id']}/vaccinations/{vaccination['id']}", base_url=tenant_a.base_url,
                         headers=headers, data={"expires_on": "2028-06-01", "verified": ["false", "true"]})
    assert edited.status_code == 200 and edited.headers["HX-Retarget"] == "#vaccinations"
    assert "2028-06-01" in edited.get_data(as_text=True)
    expired = client.post(f"/pets/{pet['id']}/vaccinations/{vaccination['id']}/expire", base_url=tenant_a.base_url,
                          headers=headers)
    assert expired.status_code == 200 and "Rabies: expired" in expired.get_data(as_text=True)


def test_photo_upload_refuses_non_images_in_place(client, tenant_a, tenant_b):
    c = _customer(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/pets/{pet['id']}")
    r = client.post(f"/pets/{pet['id']}/photo", base_url=tenant_a.base_url, headers=headers,
                    data={"photo": (io.BytesIO(b"MZ\x90\x00 not an image"), "virus.png")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Upload a PNG, JPEG, GIF or WebP image." in html
    assert 'id="pet-photo"' in html and 'aria-invalid="true" aria-describedby="e-photo"' in html
    assert "<html" not in html  # the photo card only, swapped in place on the pet's page
    assert client.get(f"/pets/{pet['id']}/photo", base_url=tenant_a.base_url).status_code == 404
    assert client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_b.headers()).status_code == 404


def test_an_accepted_photo_reloads_the_pet_page(client, tenant_a, tenant_b):
    from tests.api.test_pets import PNG

    pet = _pet(client, tenant_a, _customer(client, tenant_a)["id"])
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/pets/{pet['id']}")
    r = client.post(f"/pets/{pet['id']}/photo", base_url=tenant_a.base_url, headers=headers,
                    data={"photo": (io.BytesIO(PNG), "rex.png")}, content_type="multipart/form-data")
    assert r.status_code == 204 and r.headers["HX-Redirect"] == f"/pets/{pet['id']}"
    assert client.get(f"/pets/{pet['id']}/photo", base_url=tenant_a.base_url).data == PNG
    assert client.get(f"/api/v1/pets/{pet['id']}/photo", headers=tenant_b.headers()).status_code == 404


def test_photo_refused_without_htmx_goes_back_to_the_pet_page_with_the_reason(client, tenant_a):
    c = _customer(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/pets/{pet['id']}")
    r = client.post(f"/pets/{pet['id']}/photo", base_url=tenant_a.base_url,
                    headers={"X-CSRFToken": headers["X-CSRFToken"]},
                    data={"photo": (io.BytesIO(b"MZ\x90\x00 not an image"), "virus.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/pets/{pet['id']}")
    page = client.get(r.headers["Location"], base_url=tenant_a.base_url).get_data(as_text=True)
    assert "Upload a PNG, JPEG, GIF or WebP image." in page


def test_vaccine_requirements_page_is_for_managers(client, tenant_a, tenant_b):
    web_login(client, tenant_a, Role.STAFF)
    assert client.get("/settings/vaccines", base_url=tenant_a.base_url).status_code == 403
    web_login(client, tenant_a, Role.MANAGER)
    headers = hx_headers(client, tenant_a, "/settings/vaccines")
    r = client.post("/settings/vaccines", base_url=tenant_a.base_url, headers=headers,
                    data={"species": "DOG", "category": "GROOMING", "vaccine": "Bordetella"})
    assert r.status_code == 200 and r.get_data(as_text=True).count("Bordetella") >= 2
    dup = client.post("/settings/vaccines", base_url=tenant_a.base_url, headers=headers,
                      data={"species": "DOG", "category": "GROOMING", "vaccine": "Bordetella"})
    assert dup.status_code == 422 or dup.status_code == 409
    grooming_b = [r for r in client.get("/api/v1/vaccine-requirements", headers=tenant_b.headers()).json
                  if r["category"] == "GROOMING" and r["vaccine"] == "Bordetella"]
    assert grooming_b == []


def test_the_import_page_checks_then_imports(client, tenant_a):
    from tests.services.test_customer_csv import GOOD

    web_login(client, tenant_a, Role.ADMIN)
    headers = {"X-CSRFToken": hx_headers(client, tenant_a, "/admin/import")["X-CSRFToken"]}
    check = client.post("/admin/import", base_url=tenant_a.base_url, headers=headers, content_type="multipart/form-data",
                        data={"mode": "check", "file": (io.BytesIO(GOOD.encode()), "c.csv")})
    assert check.status_code == 200 and "Checked" in check.get_data(as_text=True)
    assert client.get("/api/v1/customers", headers=tenant_a.headers()).json == []
    real = client.post("/admin/import", base_url=tenant_a.base_url, headers=headers, content_type="multipart/form-data",
                       data={"mode": "import", "file": (io.BytesIO(GOOD.encode()), "c.csv")})
    assert real.status_code == 200 and "Imported" in real.get_data(as_text=True)
    again = client.post("/admin/import", base_url=tenant_a.base_url, headers=headers, content_type="multipart/form-data",
                        data={"mode": "import", "file": (io.BytesIO(GOOD.encode()), "c.csv")})
    assert again.status_code == 422 and 'class="problem"' in again.get_data(as_text=True)
    assert len(client.get("/api/v1/customers", headers=tenant_a.headers()).json) == 2


def test_export_download_from_the_list_page_streams(client, tenant_a, tenant_b, monkeypatch):
    from app.services import customer_csv

    monkeypatch.setattr(customer_csv, "EXPORT_CHUNK_ROWS", 1)
    _customer(client, tenant_a)
    _customer(client, tenant_a, first_name="=cmd", email="two@example.com")
    _customer(client, tenant_b, last_name="Bravo")
    web_login(client, tenant_a, Role.MANAGER)
    r = client.get("/customers/export.csv", base_url=tenant_a.base_url, buffered=False)
    chunks = [chunk for chunk in r.response if chunk]
    text = b"".join(chunks).decode()
    assert r.status_code == 200 and len(chunks) == 2 and "Doe" in text and "'=cmd" in text and "Bravo" not in text


def test_a_certificate_is_attached_from_the_vaccination_table(client, tenant_a):
    c = _customer(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    v = client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                    json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"}).json
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/pets/{pet['id']}")
    url = f"/pets/{pet['id']}/vaccinations/{v['id']}/document"
    bad = client.post(url, base_url=tenant_a.base_url, headers=headers, content_type="multipart/form-data",
                      data={"document": (io.BytesIO(b"just text"), "cert.txt")})
    assert bad.status_code == 422 and 'id="e-document"' in bad.get_data(as_text=True)
    ok = client.post(url, base_url=tenant_a.base_url, headers=headers, content_type="multipart/form-data",
                     data={"document": (io.BytesIO(b"%PDF-1.4\n"), "cert.pdf")})
    assert ok.status_code == 200 and ">View</a>" in ok.get_data(as_text=True)
    assert client.get(url, base_url=tenant_a.base_url).data == b"%PDF-1.4\n"


def test_a_stale_contact_form_cannot_overwrite_someone_elses_save(client, tenant_a):
    c = _customer(client, tenant_a)
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, f"/customers/{c['id']}")
    form = client.get(f"/customers/{c['id']}/contact/edit", base_url=tenant_a.base_url, headers=headers)
    version = form.get_data(as_text=True).split('name="version" value="')[1].split('"')[0]
    etag = client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).headers["ETag"]
    client.patch(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers(**{"If-Match": etag}),
                 json={"notes": "Saved by the other clerk"})
    r = client.post(f"/customers/{c['id']}/contact", base_url=tenant_a.base_url, headers=headers,
                    data={"first_name": "Jane", "last_name": "Doe", "notes": "Mine", "version": version,
                          "active": ["false", "true"]})
    assert r.status_code == 409 and "Someone else saved a change" in r.get_data(as_text=True)
    assert client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).json["notes"] == \
        "Saved by the other clerk"


def test_a_stale_pet_form_cannot_overwrite_someone_elses_save(client, tenant_a):
    c = _customer(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    web_login(client, tenant_a, Role.STAFF)
    page = client.get(f"/pets/{pet['id']}/edit", base_url=tenant_a.base_url).get_data(as_text=True)
    version = page.split('name="version" value="')[1].split('"')[0]
    headers = hx_headers(client, tenant_a, f"/pets/{pet['id']}/edit")
    etag = client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers()).headers["ETag"]
    client.patch(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers(**{"If-Match": etag}), json={"breed": "Lab"})
    r = client.post(f"/pets/{pet['id']}", base_url=tenant_a.base_url, headers=headers,
                    data={"name": "Rex", "species": "DOG", "breed": "Poodle", "version": version})
    assert r.status_code == 409
    ok = client.post(f"/pets/{pet['id']}", base_url=tenant_a.base_url, headers=headers,
                     data={"name": "Rex", "species": "DOG", "breed": "Poodle"})
    assert ok.status_code == 204
    assert client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers()).json["breed"] == "Poodle"


def test_a_blank_first_name_and_a_bad_last_name_are_reported_at_once(client, tenant_a, tenant_b):
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, "/customers/new")
    r = client.post("/customers", base_url=tenant_a.base_url, headers=headers,
                    data={"first_name": "   ", "last_name": "", "email": "jane@example", "phone": "12"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    for name in ("first_name", "last_name", "email", "phone"):
        assert f'aria-invalid="true" aria-describedby="e-{name}"' in html and f'id="e-{name}"' in html, name
    assert "Must not be empty." in html and "Not a valid email address." in html
    assert client.get("/api/v1/customers", headers=tenant_a.headers()).json == []
    assert client.get("/api/v1/customers", headers=tenant_b.headers()).json == []


def test_a_duplicate_email_links_to_the_other_customer(client, tenant_a, tenant_b):
    jane = _customer(client, tenant_a, email="jane@example.com")
    _customer(client, tenant_b, email="jane@example.com")  # the same address in another resort is fine
    web_login(client, tenant_a, Role.STAFF)
    headers = hx_headers(client, tenant_a, "/customers/new")
    r = client.post("/customers", base_url=tenant_a.base_url, headers=headers,
                    data={"first_name": "Other", "last_name": "Person", "email": "JANE@example.com"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409
    assert f'Already used by <a href="/customers/{jane["id"]}">Jane Doe</a>.' in html
    assert f'({jane["id"]})' not in html


def test_the_contact_card_reads_naturally(client, tenant_a, tenant_b):
    sms = _customer(client, tenant_a, email="sms@example.com", preferred_contact="SMS", city="Denver", region="CO")
    full = _customer(client, tenant_a, email="full@example.com", preferred_contact="BOTH", address_line1="1 Main St",
                     city="Denver", region="CO", postal_code="80202")
    bare = _customer(client, tenant_a, email="bare@example.com")
    _customer(client, tenant_b, email="sms@example.com", city="Elsewhere")
    web_login(client, tenant_a, Role.STAFF)

    def card(c):
        html = client.get(f"/customers/{c['id']}", base_url=tenant_a.base_url).get_data(as_text=True)
        return html[html.index('id="contact"'):html.index('aria-labelledby="pets-heading"')]

    assert "<dt>Prefers</dt><dd>SMS</dd>" in card(sms) and "<dt>Address</dt><dd>Denver CO</dd>" in card(sms)
    assert "Elsewhere" not in card(sms)
    assert "<dd>Email and SMS</dd>" in card(full) and "<dd>1 Main St<br>Denver CO 80202</dd>" in card(full)
    assert "<dt>Address</dt><dd>—</dd>" in card(bare)
    form = client.get(f"/customers/{sms['id']}/contact/edit", base_url=tenant_a.base_url).get_data(as_text=True)
    assert '<option value="SMS" selected>SMS</option>' in form
