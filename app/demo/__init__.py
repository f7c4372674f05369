"""`flask --app wsgi seed-demo`: two demo resorts with staff accounts, created once (idempotent)."""
import click
from flask.cli import with_appcontext

from app.core.errors import NotFound
from app.core.extensions import db
from app.models import Plan, Role, User
from app.services import accounts, tenants
from app.tenancy import tenant_context

DEMO_PASSWORD = "tailtown-demo"  # demo data only; printed so a newcomer can sign in
DEMO_TENANTS = [
    {"subdomain": "happy-paws", "name": "Happy Paws Resort", "plan": Plan.PRO, "timezone": "America/Denver",
     "tax_rate": "0.0825"},
    {"subdomain": "barkside", "name": "Barkside Lodge", "plan": Plan.FREE, "timezone": "America/New_York",
     "tax_rate": "0.0600"},
]
DEMO_STAFF = [("admin", "Alex Admin", Role.ADMIN), ("manager", "Morgan Manager", Role.MANAGER),
              ("staff", "Sam Staff", Role.STAFF)]


# Each area adds an idempotent seeder(tenant_spec) run inside the demo tenant's context.
SEEDERS: list = []


def seeder(fn):
    """Register an idempotent demo-data function for each demo tenant."""
    SEEDERS.append(fn)
    return fn


def ensure_demo_tenant(spec: dict) -> list[str]:
    """Create one demo tenant and its staff if missing; return the credential lines."""
    try:
        tenant = tenants.get_tenant(subdomain=spec["subdomain"])
    except NotFound:
        tenant = tenants.create_tenant(**spec)
    lines = []
    with tenant_context(tenant):
        for local, name, role in DEMO_STAFF:
            email = f"{local}@{tenant.subdomain}.example"
            exists = db.session.execute(db.select(User.id).where(User.email == email)).first()
            if not exists:
                accounts.create_user(email=email, name=name, role=role, password=DEMO_PASSWORD)
            lines.append(f"    {role.value:<8} {email} / {DEMO_PASSWORD}")
        for seed in SEEDERS:
            seed(spec)
    return lines


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create the demo resorts and print how to sign in."""
    for spec in DEMO_TENANTS:
        lines = ensure_demo_tenant(spec)
        click.echo(f"{spec['name']}: http://{spec['subdomain']}.localhost:5000/")
        for line in lines:
            click.echo(line)


import app.demo.catalog  # noqa: F401,E402  (registers its seeder)
import app.demo.customers  # noqa: F401,E402  (registers its seeder)
import app.demo.reservations  # noqa: F401,E402  (registers its seeder)
