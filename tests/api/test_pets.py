"""Pets API: care profiles, bad input, moving households, photos, vaccinations, compliance, requirements."""
import struct
import zlib
from datetime import UTC, date, datetime, timedelta

from app.models import Role

PNG = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0) + \
    struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)))


def _household(client, fx, last="Doe"):
    c = client.post("/api/v1/customers", headers=fx.headers(), json={"first_name": "Jo", "last_name": last}).json
    pet = client.post(f"/api/v1/customers/{c['id']}/pets", headers=fx.headers(),
                      json={"name": "Rex", "species": "DOG", "breed": "Lab", "weight_lbs": "62.5",
                            "alert_flags": ["ESCAPE_RISK"], "medications": [{"name": "Apoquel", "dose": "16 mg"}]})
    assert pet.status_code == 201, pet.json
    return c, pet.json


def _etag(client, fx, path):
    return client.get(path, headers=fx.headers()).headers["ETag"]


def test_a_pet_keeps_its_care_profile_and_a_medication_badge(client, tenant_a):
    _, pet = _household(client, tenant_a)
    assert (pet["weight_kg"], pet["weight_lbs"]) == ("28.35", "62.5") and pet["medications"][0]["name"] == "Apoquel"
    assert pet["alert_flags"] == ["ESCAPE_RISK", "MEDICATION"]


def test_bad_pet_input_names_each_field(client, tenant_a):
    c, _ = _household(client, tenant_a)
    future = (date.today() + timedelta(days=30)).isoformat()
    r = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                    json={"name": "X", "species": "DRAGON", "alert_flags": ["GRUMPY"]})
    assert r.status_code == 422 and {"species", "alert_flags"} <= set(r.json["errors"])
    r = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                    json={"name": "X", "species": "DOG", "behaviour_notes": "x" * 10_001})
    assert r.status_code == 422 and "behaviour_notes" in r.json["errors"]
    r = client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(),
                    json={"name": "X", "species": "DOG", "birth_date": future, "weight_lbs": "-3"})
    assert r.status_code == 422 and {"birth_date", "weight_lbs"} <= set(r.json["errors"])
    assert len(client.get(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers()).json) == 1


def test_a_pet_moves_between_households_of_one_tenant_only(client, tenant_a, tenant_b):
    a1, pet = _household(client, tenant_a)
    a2, _ = _household(client, tenant_a, last="Roe")
    b, _ = _household(client, tenant_b)
    path = f"/api/v1/pets/{pet['id']}"
    crossed = client.patch(path, headers=tenant_a.headers(**{"If-Match": _etag(client, tenant_a, path)}),
                           json={"customer_id": b["id"]})
    assert crossed.status_code == 404
    moved = client.patch(path, headers=tenant_a.headers(**{"If-Match": _etag(client, tenant_a, path)}),
                         json={"customer_id": a2["id"]})
    assert moved.status_code == 200 and moved.json["customer_id"] == a2["id"]
    assert [p["name"] for p in client.get(f"/api/v1/customers/{a2['id']}", headers=tenant_a.headers()).json["pets"]] \
        == ["Rex", "Rex"]
    assert client.get(f"/api/v1/customers/{a1['id']}", headers=tenant_a.headers()).json["pets"] == []


def test_photos_must_be_real_images_of_sensible_size(client, tenant_a, tenant_b):
    _, pet = _household(client, tenant_a)
    path = f"/api/v1/pets/{pet['id']}/photo"
    fake = client.put(path, headers=tenant_a.headers(**{"Content-Type": "image/png"}), data=b"<script>alert(1)</script>")
    assert fake.status_code == 422 and "photo" in fake.json["errors"]
    huge = client.put(path, headers=tenant_a.headers(**{"Content-Type": "image/png"}), data=PNG + b"\0" * (5 * 2**20))
    assert huge.status_code == 422
    ok = client.put(path, headers=tenant_a.headers(**{"Content-Type": "image/png"}), data=PNG)
    assert ok.status_code == 200 and ok.json["has_photo"] is True
    got = client.get(path, headers=tenant_a.headers())
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert client.get(path, headers=tenant_b.headers()).status_code == 404


def test_vaccinations_are_validated_and_verified_by_who_checked(client, tenant_a):
    _, pet = _household(client, tenant_a)
    path = f"/api/v1/pets/{pet['id']}/vaccinations"
    backwards = client.post(path, headers=tenant_a.headers(),
                            json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2025-01-01"})
    assert backwards.status_code == 422 and "expires_on" in backwards.json["errors"]
    unknown = client.post(path, headers=tenant_a.headers(),
                          json={"vaccine": "Unicornpox", "given_on": "2026-01-01", "expires_on": "2027-01-01"})
    assert unknown.status_code == 422 and "vaccine" in unknown.json["errors"]
    ok = client.post(path, headers=tenant_a.headers(),
                     json={"vaccine": "rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01", "verified": True})
    assert ok.status_code == 201 and ok.json["vaccine"] == "Rabies" and ok.json["verified_at"]
    fixed = client.patch(f"{path}/{ok.json['id']}", headers=tenant_a.headers(), json={"expires_on": "2028-01-01"})
    assert fixed.status_code == 200 and fixed.json["expires_on"] == "2028-01-01"
    assert client.delete(f"{path}/{ok.json['id']}", headers=tenant_a.headers()).status_code == 204
    assert client.get(path, headers=tenant_a.headers()).json == []


def test_compliance_over_a_stay(client, tenant_a):
    _, pet = _household(client, tenant_a)
    vacc = f"/api/v1/pets/{pet['id']}/vaccinations"
    for vaccine in ("Rabies", "DHPP"):
        client.post(vacc, headers=tenant_a.headers(),
                    json={"vaccine": vaccine, "given_on": "2026-01-01", "expires_on": "2027-06-01"})
    client.post(vacc, headers=tenant_a.headers(),
                json={"vaccine": "Bordetella", "given_on": "2026-01-01", "expires_on": "2026-12-24"})
    r = client.get(f"/api/v1/pets/{pet['id']}/compliance?category=BOARDING&start=2026-12-20&end=2026-12-27",
                   headers=tenant_a.headers())
    assert r.status_code == 200
    assert r.json["status"] == "EXPIRED" and r.json["ok"] is False
    assert {v["vaccine"]: v["status"] for v in r.json["vaccines"]} == \
        {"Rabies": "CURRENT", "DHPP": "CURRENT", "Bordetella": "EXPIRED"}
    grooming = client.get(f"/api/v1/pets/{pet['id']}/compliance?category=GROOMING&start=2026-12-20&end=2026-12-27",
                          headers=tenant_a.headers()).json
    assert grooming["status"] == "CURRENT" and grooming["ok"] is True


def test_a_booster_given_during_a_stay_keeps_it_compliant_and_the_answer_stays_in_its_tenant(client, tenant_a,
                                                                                            tenant_b):
    today = datetime.now(UTC).date()  # the test tenants' timezone
    _, pet = _household(client, tenant_a)
    vacc = f"/api/v1/pets/{pet['id']}/vaccinations"
    for given, expires in ((today - timedelta(days=400), today + timedelta(days=5)),
                           (today - timedelta(days=1), today + timedelta(days=1094))):
        r = client.post(vacc, headers=tenant_a.headers(),
                        json={"vaccine": "Rabies", "given_on": str(given), "expires_on": str(expires)})
        assert r.status_code == 201, r.json
    stay = {"category": "GROOMING", "start": str(today - timedelta(days=3)), "end": str(today + timedelta(days=10))}
    r = client.get(f"/api/v1/pets/{pet['id']}/compliance", headers=tenant_a.headers(), query_string=stay)
    assert r.json["vaccines"] == [{"vaccine": "Rabies", "status": "CURRENT",
                                   "expires_on": str(today + timedelta(days=1094))}]
    assert client.get(f"/api/v1/pets/{pet['id']}/compliance", headers=tenant_b.headers(),
                      query_string=stay).status_code == 404


def test_requirements_are_seeded_editable_by_managers_and_drive_compliance(client, tenant_a, tenant_b):
    reqs = client.get("/api/v1/vaccine-requirements", headers=tenant_a.headers(Role.STAFF)).json
    assert {"species": "DOG", "category": "BOARDING", "vaccine": "Bordetella"} in \
        [{k: r[k] for k in ("species", "category", "vaccine")} for r in reqs]
    body = {"species": "DOG", "category": "GROOMING", "vaccine": "Bordetella"}
    assert client.post("/api/v1/vaccine-requirements", headers=tenant_a.headers(Role.STAFF), json=body).status_code == 403
    assert client.post("/api/v1/vaccine-requirements", headers=tenant_a.headers(Role.MANAGER), json=body).status_code == 201
    assert client.post("/api/v1/vaccine-requirements", headers=tenant_a.headers(Role.MANAGER), json=body).status_code == 409
    _, pet = _household(client, tenant_a)
    grooming = client.get(f"/api/v1/pets/{pet['id']}/compliance?category=GROOMING", headers=tenant_a.headers()).json
    assert "Bordetella" in [v["vaccine"] for v in grooming["vaccines"]]
    b_reqs = client.get("/api/v1/vaccine-requirements", headers=tenant_b.headers()).json
    assert len(b_reqs) == len(reqs)  # B's list is untouched


def test_pet_list_filters_and_is_constant_queries(client, tenant_a, count_queries):
    c, _ = _household(client, tenant_a)
    client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(), json={"name": "Tom", "species": "CAT"})
    assert [p["name"] for p in client.get("/api/v1/pets?species=CAT", headers=tenant_a.headers()).json] == ["Tom"]
    with count_queries() as few:
        client.get("/api/v1/pets", headers=tenant_a.headers())
    for i in range(5):
        client.post(f"/api/v1/customers/{c['id']}/pets", headers=tenant_a.headers(), json={"name": f"P{i}", "species": "DOG"})
    with count_queries() as many:
        assert len(client.get("/api/v1/pets", headers=tenant_a.headers()).json) == 7
    assert few.count == many.count


def test_pet_detail_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    _, pet = _household(client, tenant_a)
    client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers())
    with count_queries() as few:
        client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers())
    for vaccine in ("Rabies", "DHPP", "Bordetella"):
        client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                    json={"vaccine": vaccine, "given_on": "2026-01-01", "expires_on": "2027-01-01"})
    with count_queries() as many:
        client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers())
    assert few.count == many.count <= 4


def test_a_vaccination_certificate_is_a_pdf_or_image_and_stays_in_its_tenant(client, tenant_a, tenant_b):
    _, pet = _household(client, tenant_a)
    v = client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                    json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"}).json
    path = f"/api/v1/pets/{pet['id']}/vaccinations/{v['id']}/document"
    exe = client.put(path, headers=tenant_a.headers(**{"Content-Type": "application/pdf"}), data=b"MZ\x90\x00binary")
    assert exe.status_code == 422 and "document" in exe.json["errors"]
    pdf = b"%PDF-1.4\n%fake but well-formed enough\n"
    ok = client.put(path, headers=tenant_a.headers(**{"Content-Type": "application/pdf"}), data=pdf)
    assert ok.status_code == 200 and ok.json["has_document"] is True
    got = client.get(path, headers=tenant_a.headers())
    assert got.data == pdf and got.mimetype == "application/pdf"
    assert client.get(path, headers=tenant_b.headers()).status_code == 404
