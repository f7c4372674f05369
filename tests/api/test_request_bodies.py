"""Bodies too big, too deep or with absurd numbers get a clear 4xx with the usual body, before they cost anything."""
import io
from pathlib import Path

import pytest

from tests.api.test_pets import PNG, _household
from tests.conftest import csrf_from, web_login


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return 0

    def readinto(self, _buffer):
        raise AssertionError("the body was read")


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    """Uploads of this test only, so `nothing is stored` can be checked."""
    saved = app.config.get("UPLOAD_DIR")
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_DIR"] = saved


def _uploads(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_body_over_max_content_length_is_a_413_before_it_is_read(app, client, tenant_a):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    r = client.post("/api/v1/customers", headers=tenant_a.headers(**{"Content-Type": "application/json"}),
                    input_stream=Untouchable(), environ_overrides={"CONTENT_LENGTH": str(size)})
    assert r.status_code == 413 and r.json["code"] == 413 and r.json["request_id"]
    page = client.post("/login", base_url=tenant_a.base_url, input_stream=Untouchable(),
                       headers={"Content-Type": "application/x-www-form-urlencoded"},
                       environ_overrides={"CONTENT_LENGTH": str(size)})
    assert page.status_code == 413 and page.mimetype == "text/html"


def test_an_upload_has_its_own_smaller_cap_refused_before_it_is_read(app, client, tenant_a, tenant_b):
    _, pet = _household(client, tenant_a)
    size = app.config["MAX_PHOTO_BYTES"] + 1024 * 1024  # over the photo cap, well under MAX_CONTENT_LENGTH
    assert size < app.config["MAX_CONTENT_LENGTH"]
    r = client.put(f"/api/v1/pets/{pet['id']}/photo", input_stream=Untouchable(),
                   headers=tenant_a.headers(**{"Content-Type": "image/png"}),
                   environ_overrides={"CONTENT_LENGTH": str(size)})
    assert r.status_code == 413 and r.json["code"] == 413
    assert client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_b.headers()).status_code == 404
    assert client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers()).json["has_photo"] is False


def test_a_web_upload_over_its_cap_is_refused_before_the_form_is_parsed(app, client, tenant_a):
    _, pet = _household(client, tenant_a)
    web_login(client, tenant_a)
    size = app.config["MAX_DOCUMENT_BYTES"] + 1024 * 1024
    r = client.post(f"/pets/{pet['id']}/photo", base_url=tenant_a.base_url, input_stream=Untouchable(),
                    headers={"Content-Type": "multipart/form-data; boundary=x"},
                    environ_overrides={"CONTENT_LENGTH": str(size)})
    assert r.status_code == 413 and "Traceback" not in r.get_data(as_text=True)


def test_an_upload_without_a_length_is_cut_off_at_its_cap_and_nothing_is_stored(app, client, tenant_a, upload_dir):
    _, pet = _household(client, tenant_a)
    body = io.BytesIO(PNG + b"\0" * (app.config["MAX_PHOTO_BYTES"] + 200 * 1024))
    r = client.put(f"/api/v1/pets/{pet['id']}/photo", input_stream=body,
                   headers=tenant_a.headers(**{"Content-Type": "image/png"}),
                   environ_overrides={"wsgi.input_terminated": True})  # a chunked body: no Content-Length
    assert r.status_code in (413, 422) and r.json["code"] == r.status_code
    assert client.get(f"/api/v1/pets/{pet['id']}", headers=tenant_a.headers()).json["has_photo"] is False
    assert _uploads(upload_dir) == []


def test_an_upload_is_streamed_to_storage_in_chunks(app, client, tenant_a, tenant_b):
    import uuid

    from app.services import pets as service
    from app.tenancy import lookup_tenant, tenant_context

    _, pet = _household(client, tenant_a)
    v = client.post(f"/api/v1/pets/{pet['id']}/vaccinations", headers=tenant_a.headers(),
                    json={"vaccine": "Rabies", "given_on": "2026-01-01", "expires_on": "2029-01-01"}).json
    reads = []

    class Recorded(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    pdf = b"%PDF-1.4\n" + b"x" * (3 * 1024 * 1024)
    with app.test_request_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        service.set_vaccination_document(pet_id=uuid.UUID(pet["id"]), vaccination_id=uuid.UUID(v["id"]),
                                         stream=Recorded(pdf))
    # Never the whole body at once: every read asks for a bounded chunk.
    assert reads and all(0 < size <= 64 * 1024 for size in reads)
    path = f"/api/v1/pets/{pet['id']}/vaccinations/{v['id']}/document"
    assert client.get(path, headers=tenant_a.headers()).data == pdf
    assert client.get(path, headers=tenant_b.headers()).status_code == 404


def test_json_nested_a_thousand_deep_is_a_400_not_a_500(client, tenant_a):
    for depth in (1000, 100):  # too deep for Python's parser; parseable but far deeper than any schema
        body = "[" * depth + "]" * depth
        r = client.post("/api/v1/customers", data=body,
                        headers=tenant_a.headers(**{"Content-Type": "application/json"}))
        assert r.status_code == 400, (depth, r.status_code)
        assert r.json["code"] == 400 and "_schema" in r.json["errors"] and r.json["request_id"]
        assert r.json["location"] == "json"
    nested = {"first_name": "Jo", "last_name": "Doe", "tags": [[[[["deep"]]]]]}
    assert client.post("/api/v1/customers", headers=tenant_a.headers(), json=nested).status_code == 422


def test_a_five_thousand_digit_integer_is_a_400_not_a_500(client, tenant_a, tenant_b):
    body = '{"first_name": "Jo", "last_name": "Doe", "page": ' + "9" * 5000 + "}"
    r = client.post("/api/v1/customers", data=body, headers=tenant_a.headers(**{"Content-Type": "application/json"}))
    assert r.status_code == 400 and "too many digits" in r.json["errors"]["_schema"][0]
    q = client.get("/api/v1/customers?page=" + "9" * 5000, headers=tenant_a.headers())
    assert q.status_code == 422 and "page" in q.json["errors"] and q.json["location"] == "query"
    for fx in (tenant_a, tenant_b):
        assert client.get("/api/v1/customers", headers=fx.headers()).json == []


def test_a_huge_number_in_a_web_form_names_the_field(client, tenant_a):
    web_login(client, tenant_a)
    page = client.get("/kennels", base_url=tenant_a.base_url).get_data(as_text=True)
    r = client.post("/kennels", base_url=tenant_a.base_url, headers={"HX-Request": "true"},
                    data={"code": "A1", "kennel_type": "RUN", "size": "MEDIUM", "capacity": "9" * 5000,
                          "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "capacity" in r.get_data(as_text=True)
