"""Flask extensions, created unbound and initialised in the application factory."""
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names so Alembic migrations are reviewable and portable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys (incl. composite tenant guards) and wait for writers."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


class TenantSession(FlaskSession):
    """Session.get() answers from the identity map without SQL: refuse another tenant's rows there too."""

    def get(self, entity, ident, **kwargs):
        from app.tenancy import visible_here

        instance = super().get(entity, ident, **kwargs)
        return instance if instance is None or visible_here(instance) else None


db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION), session_options={"class_": TenantSession})
class DocumentedApi(Api):
    """flask-smorest's Api, documenting `If-Match` as it is read (`X-Pagination`: app/api/openapi.py)."""

    def _register_etag_headers(self):
        from flask_smorest.etag import ETAG_HEADER, IF_MATCH_HEADER, IF_NONE_MATCH_HEADER

        self.spec.components.parameter("IF_NONE_MATCH", "header", IF_NONE_MATCH_HEADER, lazy=True)
        # A value that is no entity-tag (`"..."`, `W/"..."` or `*`) reads as none: the document asks for a tag.
        if_match = {**IF_MATCH_HEADER, "schema": {"type": "string", "pattern": r'^(\*|(W/)?"[\x21\x23-\x7e]*")$'}}
        self.spec.components.parameter("IF_MATCH", "header", if_match, lazy=True)
        self.spec.components.header("ETAG", ETAG_HEADER, lazy=True)  # as flask-smorest's own does


migrate = Migrate()
api = DocumentedApi()
cache = Cache()
csrf = CSRFProtect()
login_manager = LoginManager()


def _limiter_key() -> str:
    """Default rate-limit key: the resolved tenant (resolved here, before blueprint hooks run)."""
    from app.tenancy import rate_limit_key  # at call time: tenancy imports this module (via core.cache)

    return rate_limit_key()


limiter = Limiter(key_func=_limiter_key)
