"""PostgreSQL row-level security: every transaction of the app runs as the app role, with its tenant set
(or, inside `unscoped()`, as the operator role, whose policy shows every tenant's rows)."""
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Execution option for the few connections that must run as the table owner: migrations, test cleanup.
OWNER = "tailtown_owner"
_APPLIED = "tailtown_rls"  # what this connection's current transaction was set to, in Connection.info
_ROLLING_BACK = "tailtown_rls_rollback_to_savepoint"
# One round trip, transaction-local (SET LOCAL semantics), so PgBouncer transaction pooling stays safe.
_APPLY = "SELECT set_config('role', %s, true), set_config('app.tenant_id', %s, true)"


class RowSecurityError(RuntimeError):
    """A connection could not be put under the app role."""


def install_row_security(engine: Engine, *, role: str, operator_role: str,
                         settings: Callable[[], tuple[str, bool]]) -> None:
    """Before the first statement of each transaction (and whenever `settings()` changes within it),
    set `app.tenant_id` from `settings()` and switch to `role`, or to `operator_role` when it says unscoped."""
    if engine.dialect.name != "postgresql":
        return
    if not role or not operator_role:
        raise RowSecurityError("DATABASE_APP_ROLE and DATABASE_OPERATOR_ROLE must name the roles the app runs as")

    def forget(conn, *_args) -> None:
        if conn.invalidated:
            return  # the server connection is gone (e.g. a restart); its replacement starts with no settings
        conn.info.pop(_APPLIED, None)

    # A new transaction starts with the login role again.
    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, forget)

    @event.listens_for(engine, "rollback_savepoint")
    def savepoint_rolled_back(conn, *_args) -> None:
        conn.info[_ROLLING_BACK] = True  # fired before ROLLBACK TO runs: forget once it has run

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        if conn.info.pop(_ROLLING_BACK, False):  # ROLLBACK TO undid any set_config made since the savepoint
            forget(conn)

    @event.listens_for(engine, "before_cursor_execute")
    def apply(conn, cursor, statement, parameters, context, executemany) -> None:
        if conn.get_execution_options().get(OWNER):
            return
        tenant_id, everyone = settings()
        wanted = (operator_role if everyone else role, tenant_id)
        if conn.info.get(_APPLIED) == wanted:
            return
        dbapi_connection = cursor.connection
        if getattr(dbapi_connection, "autocommit", False):
            # Transaction-local settings would vanish after this statement: never run unprotected.
            raise RowSecurityError("autocommit connections cannot run under row-level security")
        with dbapi_connection.cursor() as setter:
            setter.execute(_APPLY, wanted)
        conn.info[_APPLIED] = wanted
