def test_two_tenants_can_be_made(tenant_a, tenant_b, client):
    r = client.get("/api/v1/me", headers=tenant_a.headers())
    assert r.status_code == 200, r.json
    assert r.json["tenant"] == "alpha-paws"
