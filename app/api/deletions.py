"""Tombstones: the change feed's deletions (and the change feed's documentation)."""
from flask import g
from flask.views import MethodView

from app.api.etags import Blueprint
from app.api.paging import FEED_DESCRIPTION, page_of
from app.auth import caller_may
from app.core.errors import PermissionDenied
from app.models import Role
from app.schemas.deletions import TYPE_ACCESS, DeletionQuerySchema, DeletionSchema
from app.services import deletions as service

blp = Blueprint("deletions", __name__, url_prefix="/api/v1/deletions", description=FEED_DESCRIPTION)


def _readable(kind: str) -> bool:
    """Whether the caller may read the list a tombstone type belongs to (role and key scope)."""
    role, scope = TYPE_ACCESS[kind]
    principal_role = g.get("principal_role")
    return principal_role is not None and principal_role.allows(Role(role)) and caller_may(scope)


@blp.route("")
class Deletions(MethodView):
    @blp.arguments(DeletionQuerySchema, location="query")
    @blp.response(200, DeletionSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Rows deleted from the resort's lists, oldest first; only types from lists the caller may read.

        Deactivated rows are not here: they stay in their list with `active: false` and a new `updated_at`.
        """
        kind = query.get("type")
        if kind is not None and not _readable(kind):
            scope = TYPE_ACCESS[kind][1]
            raise PermissionDenied(f"Listing deleted {kind} needs what listing {kind} does (`{scope}`).",
                                   extra={"required_scope": scope})
        types = [kind] if kind else [name for name in TYPE_ACCESS if _readable(name)]
        return page_of(pagination_parameters, service.list_deletions, types=types)
