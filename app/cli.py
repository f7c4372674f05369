"""Operator commands for `flask --app wsgi ...`."""
import click
from flask import Flask
from flask.cli import AppGroup

from app.core.errors import DomainError
from app.core.idempotency import purge_expired
from app.demo import seed_demo
from app.demo.scale import seed_scale_command
from app.jobs.worker import worker_command
from app.models import Plan, Role, TenantStatus
from app.services import accounts, api_keys, outbox, tenants
from app.services.customer_csv import import_customers as run_import
from app.tenancy import tenant_context

tenants_cli = AppGroup("tenants", help="Create, list, pause, resume and re-plan tenants.")
users_cli = AppGroup("users", help="Manage a tenant's staff accounts.")
keys_cli = AppGroup("api-keys", help="Create and revoke a tenant's API keys.")
import_cli = AppGroup("import", help="Import a tenant's data from files.")
idempotency_cli = AppGroup("idempotency", help="Maintain the Idempotency-Key records of creating POSTs.")
mail_cli = AppGroup("mail", help="The outbox of email and SMS messages.")


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{f}: {', '.join(m) if isinstance(m, list) else m}" for f, m in (exc.errors or {}).items())
    raise click.ClickException(f"{exc.message} {details}".strip())


def _tenant(subdomain: str):
    try:
        return tenants.get_tenant(subdomain=subdomain)
    except DomainError as exc:
        _fail(exc)


@tenants_cli.command("create")
@click.argument("subdomain")
@click.option("--name", required=True)
@click.option("--plan", type=click.Choice([p.value for p in Plan], case_sensitive=False), default="FREE")
@click.option("--timezone", default="UTC")
@click.option("--currency", default="USD")
@click.option("--tax-rate", default="0")
def create_tenant(subdomain, name, plan, timezone, currency, tax_rate):
    """Create a tenant."""
    try:
        tenant = tenants.create_tenant(subdomain=subdomain, name=name, plan=Plan(plan.upper()), timezone=timezone,
                                       currency=currency, tax_rate=tax_rate)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created {tenant.subdomain} ({tenant.plan.value}) {tenant.id}")


@tenants_cli.command("list")
def list_tenants():
    """List every tenant."""
    for t in tenants.list_tenants():
        click.echo(f"{t.subdomain:<24} {t.status.value:<10} {t.plan.value:<11} {t.timezone:<20} {t.name}")


def _change(subdomain: str, **change) -> None:
    try:
        tenant = tenants.change_tenant(subdomain=subdomain, **change)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{tenant.subdomain}: {tenant.status.value} {tenant.plan.value}")


@tenants_cli.command("pause")
@click.argument("subdomain")
def pause(subdomain):
    """Pause a tenant: its staff and API clients are refused at once."""
    _change(subdomain, status=TenantStatus.PAUSED)


@tenants_cli.command("resume")
@click.argument("subdomain")
def resume(subdomain):
    """Resume a paused tenant."""
    _change(subdomain, status=TenantStatus.ACTIVE)


@tenants_cli.command("set-plan")
@click.argument("subdomain")
@click.argument("plan", type=click.Choice([p.value for p in Plan], case_sensitive=False))
def set_plan(subdomain, plan):
    """Change a tenant's plan (and with it, its API rate limit)."""
    _change(subdomain, plan=Plan(plan.upper()))


@users_cli.command("create")
@click.option("--tenant", "subdomain", required=True)
@click.option("--email", required=True)
@click.option("--name", default=None, help="Defaults to the part of the email before @.")
@click.option("--role", type=click.Choice([r.value for r in Role], case_sensitive=False), default="STAFF")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(subdomain, email, name, role, password):
    """Create a staff user (prompts for the password when not given)."""
    with tenant_context(_tenant(subdomain)):
        try:
            user = accounts.create_user(email=email, name=name or email.split("@")[0], role=Role(role.upper()),
                                        password=password)
        except DomainError as exc:
            _fail(exc)
        # Inside the tenant: after the commit the row reloads, and row security hides it from no tenant.
        click.echo(f"created {user.role.value} {user.id}")


@keys_cli.command("create")
@click.option("--tenant", "subdomain", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role], case_sensitive=False), default="STAFF")
@click.option("--scope", "scopes", multiple=True, help="A scope (repeat it), e.g. --scope customers:read; default: every scope.")
def create_key(subdomain, name, role, scopes):
    """Create an API key; the secret is printed once, alone on the last line."""
    with tenant_context(_tenant(subdomain)):
        try:
            key, secret = api_keys.create_api_key(name=name, role=Role(role.upper()), scopes=list(scopes) or None)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"created key {key.id} ({key.role.value}; scopes {' '.join(key.scopes)}); "
                   "store this secret now, it is not shown again:")
    click.echo(secret)


@keys_cli.command("revoke")
@click.option("--tenant", "subdomain", required=True)
@click.argument("key_id", type=click.UUID)
def revoke_key(subdomain, key_id):
    """Revoke an API key."""
    with tenant_context(_tenant(subdomain)):
        try:
            api_keys.revoke_api_key(key_id=key_id)
        except DomainError as exc:
            _fail(exc)
    click.echo(f"revoked {key_id}")


@import_cli.command("customers")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--tenant", "subdomain", required=True)
@click.option("--dry-run", is_flag=True, help="Check every row and report problems; import nothing.")
def import_customers(file, subdomain, dry_run):
    """Import customers with pets and vaccinations from CSV (format: app/services/customer_csv.py)."""
    with tenant_context(_tenant(subdomain)):
        report = run_import(text=file.read(), dry_run=dry_run)
    for problem in report.problems:
        click.echo(f"line {problem.line}: {problem.field}: {problem.message}", err=True)
    summary = f"{report.rows} rows: {report.customers} customers, {report.pets} pets, {report.vaccinations} vaccinations"
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} problems; nothing imported ({summary}).")
    click.echo(f"{'checked (dry run)' if dry_run else 'imported'}: {summary}")


@idempotency_cli.command("purge")
def purge_idempotency_keys():
    """Delete every tenant's Idempotency-Key records older than 24 hours (run it from cron, e.g. hourly)."""
    click.echo(f"purged {purge_expired()} expired idempotency keys")


@mail_cli.command("outbox")
@click.option("--tenant", "subdomain", required=True)
@click.option("--limit", default=20, show_default=True)
@click.option("--bodies", is_flag=True, help="Print each body too (with its links, while they are stored).")
def list_outbox(subdomain, limit, bodies):
    """List a tenant's most recent messages: when, channel, state, attempts, recipient, subject, last error."""
    with tenant_context(_tenant(subdomain)):
        for m in outbox.list_messages(limit=limit):
            click.echo(f"{m.created_at:%Y-%m-%d %H:%M:%S} {m.channel.value:<5} {m.state.value:<10} "
                       f"{m.attempts} {m.recipient:<30} {m.subject or m.kind}"
                       + (f"  [{m.last_error}]" if m.last_error and m.state != "SENT" else ""))
            if bodies:
                click.echo("    " + m.rendered_body().replace("\n", "\n    "))


@mail_cli.command("sweep")
def sweep_outbox():
    """Enqueue (or, with no Redis, deliver now) every due undelivered message of every tenant."""
    click.echo(f"enqueued {outbox.sweep()} due messages")


def register_commands(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    app.cli.add_command(worker_command)
    for group in (tenants_cli, users_cli, keys_cli, import_cli, idempotency_cli, mail_cli, seed_demo,
                  seed_scale_command):
        app.cli.add_command(group)
