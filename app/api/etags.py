"""The API's Blueprint: ETags made from row versions (`"<id>-<version>"`), the version a client's If-Match
names, and the documentation of @idempotent views."""
import uuid

from flask import request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.etag import _get_etag_ctx
from flask_smorest.exceptions import PreconditionFailed
from flask_smorest.utils import get_appcontext

from app.api.paging import FeedPaginationMixin
from app.core.idempotency import document_idempotency


def etag_of(row_id, version: int) -> str:
    """The (strong) ETag of one version of one row."""
    return f"{row_id}-{version}"


class Blueprint(FeedPaginationMixin, SmorestBlueprint):
    """flask-smorest's Blueprint, with ETags from the row version instead of a hash of the body.

    A hash of a possibly cached body cannot decide a write; the version can, because the UPDATE
    itself checks it (app/services/rows.expect_version). Views marked @idempotent get the
    `Idempotency-Key` header and its answers documented (app/core/idempotency.py); lists page by number
    or cursor and carry the change feed (app/api/paging.py).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(document_idempotency)

    def if_match_version(self, row_id: uuid.UUID) -> int | None:
        """The version If-Match names for this row (None for `*`); 412 when it names another row or none."""
        _get_etag_ctx()["etag_checked"] = True
        if request.if_match.star_tag:
            return None
        for tag in request.if_match:
            ident, _, version = tag.rpartition("-")
            if ident == str(row_id) and version.isdigit():
                return int(version)
        raise PreconditionFailed

    def optional_if_match_version(self, row_id: uuid.UUID) -> int | None:
        """As if_match_version when If-Match is sent; None without it (POST actions, where it is optional)."""
        if "If-Match" not in request.headers:
            _get_etag_ctx()["etag_checked"] = True
            return None
        return self.if_match_version(row_id)

    def _set_etag_in_response(self, response):
        """A response carrying one row (with `id` and `version`) gets that row's version as its ETag."""
        ctx = _get_etag_ctx()
        data = get_appcontext().get("result_dump")
        if ctx.get("etag") is None and isinstance(data, dict) and "version" in data and "id" in data:
            tag = etag_of(data["id"], data["version"])
            if request.method in self.METHODS_ALLOWING_SET_ETAG:
                self._check_not_modified(tag)
            ctx["etag"] = tag
        super()._set_etag_in_response(response)
