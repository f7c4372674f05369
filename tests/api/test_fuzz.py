"""Schemathesis against the live OpenAPI document, in-process on the WSGI app, with tenant A's admin key.

Phases: examples, coverage and fuzzing per operation, in positive and negative modes, then the
stateful phase (links schemathesis infers from the document and from `Location` headers). Every
check it has runs, plus one of ours: no response ever carries tenant B's ids or names.

Checks turned off, and why:
- max_response_time: a timing; timings belong in bench/, never in assertions.

Bounded: MAX_EXAMPLES per operation and mode, STATEFUL_STEPS in the stateful phase.
"""
import re
import uuid

import pytest
import schemathesis
from schemathesis import Case
from sqlalchemy import select

from app.core.extensions import db
from app.core.rls import OWNER
from app.models import Plan, Role
from tests.conftest import make_tenant
from tests.factories import give_every_scoped_model_rows

MAX_EXAMPLES = 10
STATEFUL_STEPS = 200
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# What tenant B owns (ids, subdomain, names, emails): filled by the fixture, read by the check.
FOREIGN: dict[str, set[str]] = {"ids": set(), "words": set()}


@schemathesis.check
def no_other_tenant_data(ctx, response, case):
    """Nothing tenant B owns reaches tenant A: no id of B's rows, no B name, subdomain or email."""
    if not FOREIGN["ids"]:
        return None  # another schemathesis run (not this module's) has no foreign tenant
    text = response.text or ""
    leaked = set(UUID_RE.findall(text.lower())) & FOREIGN["ids"]
    leaked |= {word for word in FOREIGN["words"] if word in text}
    if leaked:
        raise AssertionError(f"{case.method} {case.path}: the response carries tenant B's {sorted(leaked)[:5]}")
    return True


def _tenant_rows(app, tenant_id: uuid.UUID) -> set[str]:
    """Every id in every tenant table that belongs to the tenant (as the owner: past RLS and the ORM hook)."""
    ids = {str(tenant_id)}
    with app.app_context(), db.engine.execution_options(**{OWNER: True}).connect() as conn:
        for table in db.metadata.sorted_tables:
            if "tenant_id" in table.c and "id" in table.c:
                ids |= {str(row) for row in conn.execute(select(table.c.id).where(table.c.tenant_id == tenant_id))
                        .scalars()}
    return ids


@pytest.fixture
def fuzz_world(app, monkeypatch):
    """Two tenants with a row of every kind; B's ids and names recorded; no limit or outbound call in the way."""
    import app.limits as limits
    import app.services.webhooks as webhooks

    # Thousands of requests in one window: an ENTERPRISE tenant with a budget the fuzz cannot spend.
    monkeypatch.setitem(limits.PLAN_LIMITS, Plan.ENTERPRISE, 10**9)
    # ... and so many unauthenticated probes (ignored_auth, missing_required_header) from one address.
    monkeypatch.setitem(app.config, "ANONYMOUS_API_RATE_LIMIT", "1000000 per hour")
    # Fuzzed webhook URLs point anywhere: deliveries fail as an unreachable host would, nothing leaves.
    monkeypatch.setattr(webhooks._OPENER, "open", _no_outbound)
    tenant_a = make_tenant(app, "alpha-paws", plan=Plan.ENTERPRISE)
    tenant_b = make_tenant(app, "bravo-barks", plan=Plan.ENTERPRISE)
    give_every_scoped_model_rows(app, tenant_a)
    give_every_scoped_model_rows(app, tenant_b)
    FOREIGN["ids"] = _tenant_rows(app, tenant_b.id)
    FOREIGN["words"] = {tenant_b.subdomain, tenant_b.name, f"@{tenant_b.subdomain}.example"}
    yield tenant_a, tenant_b
    FOREIGN["ids"], FOREIGN["words"] = set(), set()


def _no_outbound(request, *args, **kwargs):
    import urllib.error

    raise urllib.error.URLError("outbound requests are off in the fuzz")


def _config(tenant) -> schemathesis.Config:
    every_check = {
        "enabled": True,  # max_response_time stays off: it is on only when given a limit
        # A missing If-Match is a 428 Precondition Required (RFC 6585), the status made for it.
        "missing_required_header": {"expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]},
    }
    return schemathesis.Config.from_dict({
        "seed": 12,
        "headers": {"X-Tenant": tenant.subdomain},
        "auth": {"openapi": {"bearerAuth": {"bearer": tenant.keys[Role.ADMIN]}}},
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": False},
        "checks": every_check,
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
    })


@pytest.fixture
def fuzz_schema(app, fuzz_world, request):
    """The live document, loaded from the app, its tenant operations only (the operator API has its own token)."""
    tenant_a, _ = fuzz_world
    # schemathesis 4.32's lazy loader renames the test per operation through Node._nodeid, which pytest 9.2
    # no longer has: give it the attribute it reads (it only affects how subtests are named).
    request.node._nodeid = request.node.nodeid
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(tenant_a))
    return schema.exclude(path_regex=r"^/api/v1/platform/")


lazy = schemathesis.pytest.from_fixture("fuzz_schema")


@lazy.parametrize()
def test_every_operation_answers_as_documented(case: Case, fuzz_world):
    """Each operation: examples, coverage and fuzzing, valid and invalid data, every check."""
    tenant_a, _ = fuzz_world
    if _touches_own_key(case, tenant_a):
        return
    _fresh_idempotency_key(case)
    case.call_and_validate()


def _fresh_idempotency_key(case: Case) -> None:
    """A client sends a new Idempotency-Key for each new request; generated ones repeat ("0") across bodies.

    A valid key gets a unique suffix (the same key with another body is rightly a 422, which is not what
    a generated case means); an invalid one (negative mode) is left as it is.
    """
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 200 and all(" " <= ch <= "~" for ch in key):
        case.headers["Idempotency-Key"] = f"{key}-{uuid.uuid4().hex}"


def _touches_own_key(case: Case, tenant) -> bool:
    """Revoking or narrowing the fuzz's own key would turn the rest of the run into 401s."""
    return (case.method.upper() in ("PATCH", "DELETE") and case.path_parameters
            and str(case.path_parameters.get("key_id")) == str(tenant.key_ids[Role.ADMIN]))
