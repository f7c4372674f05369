"""docs/integration.md stays true: its curl examples name real operations of the OpenAPI document, its Python
client runs against a live server, and the guide is served beside the API docs and linked from them."""
import re
import shlex
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.models import Role

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "integration.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", GUIDE.read_text(), re.S)


def curl_calls() -> list[tuple[str, str]]:
    """(METHOD, /api/v1/path) of every curl command in the guide's shell examples, query strings dropped."""
    calls = []
    for block in _blocks("sh"):
        for command in block.replace("\\\n", " ").splitlines():
            if not command.strip().startswith("curl"):
                continue
            words = shlex.split(command.split(" #", 1)[0])
            method = words[words.index("-X") + 1] if "-X" in words else ("POST" if "-d" in words else "GET")
            [address] = [w for w in words if "/api/v1/" in w]
            calls.append((method, "/api/v1" + address.split("/api/v1", 1)[1].split("?", 1)[0]))
    return calls


def _operation_pattern(path: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


def test_the_guide_has_curl_examples_for_every_topic():
    paths = {path for _, path in curl_calls()}
    assert len(curl_calls()) >= 12
    assert {"/api/v1/me", "/api/v1/customers", "/api/v1/webhook-endpoints", "/api/v1/reservations"} <= paths


def test_every_curl_example_names_a_real_route_and_method(client):
    spec = client.get("/api/v1/openapi.json").json
    operations = [(_operation_pattern(path), {m.upper() for m in item}) for path, item in spec["paths"].items()]
    wrong = []
    for method, path in curl_calls():
        methods = set().union(*(found for pattern, found in operations if pattern.match(path)))
        if not methods or (method != "OPTIONS" and method not in methods):  # a preflight: any operation's path
            wrong.append(f"{method} {path} (the document has {sorted(methods) or 'no such path'})")
    assert wrong == []


def test_the_curl_check_catches_a_route_that_does_not_exist(client, monkeypatch):
    spec = client.get("/api/v1/openapi.json").json
    assert not any(_operation_pattern(p).match("/api/v1/customer") for p in spec["paths"])  # singular: no such route
    assert _operation_pattern("/api/v1/customers/{customer_id}").match("/api/v1/customers/$CUSTOMER_ID")
    assert not _operation_pattern("/api/v1/customers/{customer_id}").match("/api/v1/customers/x/pets")


@pytest.fixture
def live_url(app):
    """The test app on a real socket (the guide's client speaks HTTP, not the test client)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_the_python_client_of_the_guide_runs_against_a_live_server(client, live_url, tenant_a, tenant_b, monkeypatch):
    monkeypatch.setenv("TAILTOWN_URL", live_url)
    monkeypatch.setenv("TAILTOWN_TENANT", tenant_a.subdomain)
    monkeypatch.setenv("TAILTOWN_KEY", tenant_a.keys[Role.MANAGER])
    client.post("/api/v1/customers", headers=tenant_b.headers(), json={"first_name": "Other", "last_name": "Resort"})
    namespace: dict = {}
    library, example = _blocks("python")
    exec(compile(library, str(GUIDE), "exec"), namespace)  # noqa: S102 - our own documentation
    exec(compile(example, str(GUIDE), "exec"), namespace)  # noqa: S102
    ann, households = namespace["ann"], namespace["households"]
    assert namespace["status"] == 200 and ann["notes"] == "Prefers morning drop-off" and ann["version"] == 2
    assert [h["last_name"] for h in households] == ["Smith"]  # never tenant B's
    # The same Idempotency-Key again creates nothing; a duplicate email is the error body the guide describes.
    status, headers, again = namespace["call"]("POST", "/customers", {"first_name": "Bo", "last_name": "Lee"},
                                               **{"Idempotency-Key": "guide-1"})
    replay = namespace["call"]("POST", "/customers", {"first_name": "Bo", "last_name": "Lee"},
                               **{"Idempotency-Key": "guide-1"})
    assert status == 201 and replay[0] == 201 and replay[1]["Idempotent-Replayed"] == "true"
    assert replay[2]["id"] == again["id"] and len(list(namespace["every"]("/customers"))) == 2
    status, duplicate = namespace["create"]("/customers", {"first_name": "A", "last_name": "B", "email": "ann@example.com"})
    assert status == 409 and set(duplicate) >= {"code", "status", "message", "errors", "request_id"}
    assert duplicate["errors"] == {"email": ["Already used by Ann Smith."]}


def test_the_guide_is_served_beside_the_api_docs_and_linked_from_them(client):
    page = client.get("/api/v1/docs/guides/integration.md")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "<h1>Integrating with Tailtown</h1>" in html and '<a href="webhooks.md">' in html
    assert "<code>Idempotency-Key</code>" in html
    assert client.get("/api/v1/docs/guides/webhooks.md").status_code == 200
    for other in ("README.md", "..%2FREADME.md", "integration.txt", "nope.md"):
        assert client.get(f"/api/v1/docs/guides/{other}").status_code == 404, other
    description = client.get("/api/v1/openapi.json").json["info"]["description"]
    assert "(/api/v1/docs/guides/integration.md)" in description
