"""The write check the fault tests rely on finds missing, half-written and misplaced rows."""
import pytest

from tests.faults.harness import LoadDriver, check_writes

pytestmark = [pytest.mark.postgres, pytest.mark.faults]


def _one_customer_and_patch(stack) -> LoadDriver:
    load = stack.load(threads=1)
    a = stack.tenants[0]
    customer_id = load.create_customer(a)
    load.patch_customer(a, customer_id)
    load.add_pet(a, customer_id)
    assert [o.status for o in load.outcomes] == [201, 200, 200, 201]
    assert check_writes(stack.postgres, stack.tenants, load.ledger) == []
    return load


def test_write_check_reports_a_half_applied_patch_and_a_missing_pet(stack):
    load = _one_customer_and_patch(stack)
    customer_id = load.ledger.customers[0]["id"]
    stack.postgres.sql("DELETE FROM customer_tags WHERE customer_id = %s", (customer_id,))
    stack.postgres.sql("DELETE FROM pets WHERE customer_id = %s", (customer_id,))
    problems = check_writes(stack.postgres, stack.tenants, load.ledger)
    assert any("half-present" in p for p in problems)
    assert any("half-applied PATCH" in p for p in problems)
    assert any("got 201 but 0 rows" in p for p in problems)


def test_write_check_reports_a_lost_acknowledged_write_and_a_row_in_the_other_tenant(stack):
    load = _one_customer_and_patch(stack)
    first = load.ledger.customers[0]
    load.create_customer(stack.tenants[1])
    second = load.ledger.customers[1]
    stack.postgres.sql("UPDATE customers SET notes = 'seq 0' WHERE id = %s", (first["id"],))
    stack.postgres.sql("DELETE FROM audit_events WHERE resource_id = %s", (second["id"],))
    stack.postgres.sql("DELETE FROM customer_tags WHERE customer_id = %s", (second["id"],))
    stack.postgres.sql("DELETE FROM customers WHERE id = %s", (second["id"],))
    problems = check_writes(stack.postgres, stack.tenants, load.ledger)
    assert any("got 200 but the row holds seq 0" in p for p in problems)
    assert any(second["email"] in p and "missing" in p for p in problems)
    second["tenant"] = stack.tenants[1].subdomain
    first["tenant"] = stack.tenants[1].subdomain  # as if tenant B's key had written A's row
    assert any("landed in tenant" in p for p in check_writes(stack.postgres, stack.tenants, load.ledger))
