"""Row versions: ETags come from them and If-Match is enforced by the UPDATE itself."""
import http.client
import json
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app.models import Role

JANE = {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com"}


def _create(client, fx, **overrides):
    r = client.post("/api/v1/customers", headers=fx.headers(Role.STAFF), json={**JANE, **overrides})
    assert r.status_code == 201, r.json
    return r


def test_the_etag_names_the_row_and_its_version(client, tenant_a):
    c = _create(client, tenant_a).json
    read = client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers())
    assert c["version"] == 1 and read.headers["ETag"] == f'"{c["id"]}-1"'
    r = client.patch(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers(**{"If-Match": f'"{c["id"]}-1"'}),
                     json={"notes": "x"})
    assert r.status_code == 200 and r.json["version"] == 2 and r.headers["ETag"] == f'"{c["id"]}-2"'


def test_an_edit_of_tags_only_moves_the_version(client, tenant_a):
    c = _create(client, tenant_a).json
    r = client.patch(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers(**{"If-Match": f'"{c["id"]}-1"'}),
                     json={"tags": ["vip"]})
    assert r.status_code == 200 and r.json["version"] == 2
    stale = client.patch(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers(**{"If-Match": f'"{c["id"]}-1"'}),
                         json={"notes": "y"})
    assert stale.status_code == 412


def test_an_etag_of_another_row_or_a_weak_one_is_refused(client, tenant_a, tenant_b):
    a = _create(client, tenant_a).json
    other = _create(client, tenant_a, email="other@example.com").json
    b = _create(client, tenant_b).json
    path = f"/api/v1/customers/{a['id']}"
    for tag in (f'"{other["id"]}-1"', f'W/"{a["id"]}-1"', '"1"', f'"{b["id"]}-1"'):
        assert client.patch(path, headers=tenant_a.headers(**{"If-Match": tag}), json={"notes": "x"}).status_code == 412
    assert client.patch(path, headers=tenant_a.headers(), json={"notes": "x"}).status_code == 428
    assert client.get(path, headers=tenant_a.headers()).json["version"] == 1
    # B's customer is at version 1 too, but A's tag does not reach it: another tenant's row is 404.
    r = client.patch(f"/api/v1/customers/{b['id']}", headers=tenant_a.headers(**{"If-Match": f'"{b["id"]}-1"'}),
                     json={"notes": "x"})
    assert r.status_code == 404


def test_every_editable_resource_refuses_a_stale_etag(client, tenant_a):
    """One stale PATCH per resource family: the UPDATE's version check decides, for all of them."""
    h = tenant_a.headers
    svc = client.post("/api/v1/services", headers=h(), json={"name": "Boarding", "category": "BOARDING",
                                                           "price_cents": 5000, "price_unit": "PER_NIGHT"})
    assert svc.status_code == 201, svc.json
    kennel = client.post("/api/v1/kennels", headers=h(), json={"code": "A1", "type": "RUN", "size": "M",
                                                             "capacity": 1})
    assert kennel.status_code == 201, kennel.json
    cases = [
        (f"/api/v1/services/{svc.json['id']}", {"description": "x"}),
        (f"/api/v1/kennels/{kennel.json['id']}", {"location": "x"}),
        (f"/api/v1/users/{tenant_a.users[Role.STAFF]}", {"name": "Renamed"}),
        ("/api/v1/tenant", {"name": "Renamed resort"}),
    ]
    for path, body in cases:
        etag = client.get(path, headers=h()).headers["ETag"]
        assert client.patch(path, headers=h(**{"If-Match": etag}), json=body).status_code == 200, path
        assert client.patch(path, headers=h(**{"If-Match": etag}), json=body).status_code == 412, path


class _LiveServer:
    """The test app served over real HTTP by a threaded werkzeug server on a free port."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)

    def request(self, method: str, path: str, headers: dict, body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers={"Content-Type": "application/json", **headers})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()


@pytest.mark.postgres
def test_two_concurrent_patches_with_one_etag_exactly_one_wins(app, client, tenant_a, tenant_b):
    c = _create(client, tenant_a).json
    b = _create(client, tenant_b).json
    etag = f'"{c["id"]}-1"'
    # Both requests have read the row at version 1 before either writes: each waits for the other
    # at its first flush (inside its transaction), so neither can see the other's commit first.
    barrier = threading.Barrier(2, timeout=10)
    seen = threading.local()

    def pause_at_first_flush(session, *_):
        if not getattr(seen, "done", False):
            seen.done = True
            barrier.wait()

    results: list[int] = []
    event.listen(Session, "before_flush", pause_at_first_flush)
    try:
        with _LiveServer(app) as server:
            def patch(note):
                seen.done = False
                status, _ = server.request("PATCH", f"/api/v1/customers/{c['id']}",
                                           tenant_a.headers(**{"If-Match": etag}), {"notes": note})
                results.append(status)

            threads = [threading.Thread(target=patch, args=(n,)) for n in ("first", "second")]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
    finally:
        event.remove(Session, "before_flush", pause_at_first_flush)
    assert sorted(results) == [200, 412]
    after = client.get(f"/api/v1/customers/{c['id']}", headers=tenant_a.headers()).json
    assert after["version"] == 2 and after["notes"] in ("first", "second")
    untouched = client.get(f"/api/v1/customers/{b['id']}", headers=tenant_b.headers()).json
    assert untouched["version"] == 1 and untouched["notes"] == ""
