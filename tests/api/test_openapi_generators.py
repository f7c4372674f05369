"""Code generators accept the live OpenAPI document, and a client generated from it books a stay and takes payment.

Marked `generators` (`-m "not generators"` leaves them out). The TypeScript test needs node and npm
(skipped without them); openapi-typescript is pinned in tests/generators/package-lock.json and
installed with `npm ci` into a cache folder keyed by that lock file.
"""
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.models import Role
from app.services.compliance import tenant_today
from app.tenancy import lookup_tenant, tenant_context

pytestmark = pytest.mark.generators

GENERATORS = Path(__file__).resolve().parents[1] / "generators"
NPM_CACHE = Path(os.environ.get("TAILTOWN_GENERATORS_CACHE", Path.home() / ".cache" / "tailtown-generators"))
PACKAGE = "tailtown_api_client"
# Ceilings so a hung generator fails the test instead of the run; never asserted on.
GENERATE_TIMEOUT = 300
NPM_TIMEOUT = 600


@pytest.fixture(scope="module")
def document(app, tmp_path_factory) -> Path:
    """The document the app serves, as a file."""
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(app.test_client().get("/api/v1/openapi.json").json))
    return path


def _tool_env() -> dict:
    """PATH with this venv's bin first: the generator runs `ruff` (requirements-dev.txt) on what it writes."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="module")
def python_client(document, tmp_path_factory) -> tuple[Path, str]:
    """openapi-python-client with its default settings; yields (project folder, its output)."""
    out = tmp_path_factory.mktemp("python-client") / "client"
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
                          "--output-path", str(out)], capture_output=True, text=True, env=_tool_env(),
                         timeout=GENERATE_TIMEOUT, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return out, output


def test_openapi_python_client_generates_with_default_settings_and_no_warnings(python_client):
    out, output = python_client
    assert "warning" not in output.lower() and "error" not in output.lower(), output
    models = out / PACKAGE / "models"
    assert (models / "kennel.py").exists()  # the model a clashing inline enum used to drop
    timezone = (models / "timezone.py").read_text()
    assert timezone.count(' = "') > 500  # one Timezone enum with every zone
    api = out / PACKAGE / "api"
    assert (api / "reservations" / "create_reservation.py").exists()
    assert (api / "customers" / "list_customers.py").exists()


def _npm_install() -> Path:
    """`npm ci` of tests/generators into a cache folder keyed by the lock file; returns the folder."""
    lock = (GENERATORS / "package-lock.json").read_bytes()
    folder = NPM_CACHE / hashlib.sha256(lock).hexdigest()[:16]
    if (folder / "node_modules" / ".bin" / "openapi-typescript").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(GENERATORS / name, folder / name)
    run = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=folder,
                         capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return folder


@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="needs node and npm")
def test_openapi_typescript_generates_types_that_compile_with_no_warnings(document, tmp_path):
    tools = _npm_install() / "node_modules" / ".bin"
    types = tmp_path / "tailtown.d.ts"
    run = subprocess.run([str(tools / "openapi-typescript"), str(document), "-o", str(types)],
                         capture_output=True, text=True, timeout=GENERATE_TIMEOUT, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "⚠" not in output and "warn" not in output.lower() and "error" not in output.lower(), output
    text = types.read_text()
    assert 'createReservation: {' in text and 'KennelStatus: "IN_SERVICE" | "CLEANING" | "MAINTENANCE"' in text
    compiled = subprocess.run([str(tools / "tsc"), "--noEmit", "--strict", str(types)], capture_output=True,
                              text=True, timeout=GENERATE_TIMEOUT, check=False)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


# --- the generated client against a live server ----------------------------------------------------------


@pytest.fixture(scope="module")
def live_server(app):
    """The session's app on a real socket (127.0.0.1, a free port)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="tailtown-generated-client", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def generated(python_client):
    """The generated package, imported from its folder."""
    out, _ = python_client
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _catalog(client, fx) -> dict:
    """A nightly boarding service and one run, set up by the resort (not the integrator)."""
    h = fx.headers(Role.MANAGER)
    service = client.post("/api/v1/services", headers=h, json={
        "name": "Boarding", "category": "BOARDING", "price_cents": 4500, "price_unit": "PER_NIGHT",
        "kennel_types": ["RUN"], "allowed_species": ["DOG"]})
    kennel = client.post("/api/v1/kennels", headers=h, json={"code": "A01", "type": "RUN", "size": "L"})
    assert service.status_code == kennel.status_code == 201
    return {"service_id": service.json["id"], "kennel_id": kennel.json["id"]}


def test_a_generated_client_books_a_stay_and_records_a_payment(generated, live_server, client, tenant_a, tenant_b):
    from tailtown_api_client import AuthenticatedClient
    from tailtown_api_client.api.customers import create_customer, create_pet
    from tailtown_api_client.api.payments import create_payment, get_payment
    from tailtown_api_client.api.pets import create_vaccination
    from tailtown_api_client.api.reservations import (
        confirm_reservation,
        create_reservation,
        get_reservation,
        list_reservations,
    )
    from tailtown_api_client.models import (
        CustomerCreate,
        Empty,
        PaymentCreate,
        PaymentMethod,
        PetCreate,
        ReservationCreate,
        ReservationPetLine,
        ReservationStatus,
        Species,
        VaccinationCreate,
    )

    catalog = {"a": _catalog(client, tenant_a), "b": _catalog(client, tenant_b)}
    with client.application.app_context(), tenant_context(lookup_tenant(tenant_a.subdomain)):
        start = tenant_today() + timedelta(days=5)

    def api(fx):
        return AuthenticatedClient(base_url=live_server, token=fx.keys[Role.STAFF], headers={"X-Tenant": fx.subdomain},
                                   raise_on_unexpected_status=True)

    with api(tenant_a) as a:
        customer = create_customer.sync(client=a, body=CustomerCreate(first_name="Ann", last_name="Smith",
                                                                      email="ann@example.com"),
                                        idempotency_key=str(uuid.uuid4()))
        pet = create_pet.sync(customer.id, client=a, body=PetCreate(name="Rex", species=Species.DOG),
                              idempotency_key=str(uuid.uuid4()))
        for vaccine in ("Rabies", "DHPP", "Bordetella"):
            create_vaccination.sync(pet.id, client=a, body=VaccinationCreate(
                vaccine=vaccine, given_on=start - timedelta(days=30), expires_on=start + timedelta(days=700)),
                idempotency_key=str(uuid.uuid4()))
        booked = create_reservation.sync_detailed(client=a, idempotency_key=str(uuid.uuid4()), body=ReservationCreate(
            customer_id=customer.id, service_id=uuid.UUID(catalog["a"]["service_id"]), start_date=start,
            end_date=start + timedelta(days=3), pets=[ReservationPetLine(pet_id=pet.id)]))
        assert booked.status_code == 201 and booked.headers["Location"] and booked.headers["ETag"]
        reservation = booked.parsed
        assert reservation.total_cents == 3 * 4500 and reservation.status == ReservationStatus.PENDING
        confirmed = confirm_reservation.sync(reservation.id, client=a, body=Empty())
        assert confirmed.status == ReservationStatus.CONFIRMED

        paid = create_payment.sync(client=a, idempotency_key=str(uuid.uuid4()), body=PaymentCreate(
            reservation_id=reservation.id, amount_cents=5000, method=PaymentMethod.CASH, reference="Front desk"))
        assert paid.amount_cents == 5000 and paid.method == PaymentMethod.CASH
        assert get_payment.sync(paid.id, client=a).invoice_id == paid.invoice_id
        assert get_reservation.sync(reservation.id, client=a).status == ReservationStatus.CONFIRMED

    with api(tenant_b) as b:  # the other resort sees none of it
        assert list_reservations.sync(client=b) == []
        assert get_reservation.sync_detailed(reservation.id, client=b).status_code == 404
        assert get_payment.sync_detailed(paid.id, client=b).status_code == 404


def test_a_generated_client_sends_and_reads_price_rules_by_kind(generated, live_server, tenant_a):
    from tailtown_api_client import AuthenticatedClient
    from tailtown_api_client.api.price_rules import create_price_rule, list_price_rules
    from tailtown_api_client.models import (
        AmountType,
        PriceRuleCreateDayOfWeek,
        PriceRuleCreateDayOfWeekKind,
        PriceRuleDayOfWeek,
        PriceRuleLengthOfStay,
        RuleEffect,
        Weekday,
    )

    with AuthenticatedClient(base_url=live_server, token=tenant_a.keys[Role.MANAGER],
                             headers={"X-Tenant": tenant_a.subdomain}, raise_on_unexpected_status=True) as a:
        created = create_price_rule.sync(client=a, body=PriceRuleCreateDayOfWeek(
            name="Weekend", kind=PriceRuleCreateDayOfWeekKind.DAY_OF_WEEK, effect=RuleEffect.SURCHARGE,
            amount_type=AmountType.PERCENT, percent="10.00", days_of_week=[Weekday.SAT, Weekday.SUN]))
        assert isinstance(created, PriceRuleDayOfWeek) and created.days_of_week == ["SAT", "SUN"]
        [listed] = list_price_rules.sync(client=a)
        assert isinstance(listed, PriceRuleDayOfWeek) and not isinstance(listed, PriceRuleLengthOfStay)
