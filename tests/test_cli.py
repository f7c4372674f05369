"""The operator CLI end to end: what it prints works, and stays inside the tenant it names."""


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output.strip().splitlines()


def test_cli_creates_a_tenant_a_user_and_a_working_key_that_stays_in_its_tenant(app, client, tenant_b):
    created = _run(app, "tenants", "create", "cli-paws", "--name", "Cli Paws", "--plan", "PRO")
    assert created[-1].startswith("created cli-paws")
    user = _run(app, "users", "create", "--tenant", "cli-paws", "--email", "owner@cli.example", "--role", "ADMIN",
                "--password", "a-long-enough-password")
    assert user[-1].startswith("created ADMIN ")
    out = _run(app, "api-keys", "create", "--tenant", "cli-paws", "--name", "sync", "--role", "ADMIN")
    assert out[0].startswith("created key ")
    secret = out[-1]
    me = client.get("/api/v1/me", headers={"X-Tenant": "cli-paws", "Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json["tenant"] == "cli-paws"
    other = client.get("/api/v1/me", headers={"X-Tenant": tenant_b.subdomain, "Authorization": f"Bearer {secret}"})
    assert other.status_code == 401
    assert "owner@cli.example" not in client.get("/api/v1/users", headers=tenant_b.headers()).get_data(as_text=True)
    assert client.get("/api/v1/me", headers=tenant_b.headers()).status_code == 200


def test_mail_outbox_lists_the_named_tenants_recent_messages_only(app, client, tenant_a, tenant_b):
    for fx, address in ((tenant_a, "ann@alpha.example"), (tenant_b, "bob@bravo.example")):
        assert client.post("/api/v1/users", headers=fx.headers(), json={"email": address, "name": "N"}).status_code == 201
    lines = _run(app, "mail", "outbox", "--tenant", tenant_a.subdomain, "--bodies")
    assert any("EMAIL" in line and "SENT" in line and "ann@alpha.example" in line
               and "Set your Tailtown password" in line for line in lines)
    assert any("reset-password?token=" in line for line in lines)  # development: the link, to finish the invite
    assert not any("bravo" in line for line in lines)


def test_mail_sweep_reports_what_it_enqueued(app):
    assert _run(app, "mail", "sweep") == ["enqueued 0 due messages"]


def test_cli_creates_a_scoped_key_and_refuses_an_unknown_scope(app, client, tenant_a, tenant_b):
    out = _run(app, "api-keys", "create", "--tenant", tenant_a.subdomain, "--name", "widget",
               "--scope", "availability:read", "--scope", "reservations:write")
    assert "scopes availability:read reservations:write" in out[0]
    widget = {"X-Tenant": tenant_a.subdomain, "Authorization": f"Bearer {out[-1]}"}
    assert client.get("/api/v1/customers", headers=widget).json["required_scope"] == "customers:read"
    bad = app.test_cli_runner().invoke(args=["api-keys", "create", "--tenant", tenant_b.subdomain, "--name", "x",
                                             "--scope", "everything"])
    assert bad.exit_code != 0 and "Unknown scope" in bad.output
