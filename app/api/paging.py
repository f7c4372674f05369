"""The one way list endpoints page: page numbers or a signed keyset cursor, and the change feed.

Every `@blp.paginate()` list accepts `updated_since`, `sort=updated_at` and `cursor` (unless made with
`feed=False`), answers `X-Pagination` with `next_cursor` and a `Link: <...>; rel="next"` header, and
hands the request to app/core/pagination.paginate, which applies it to the service's SELECT.
"""
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from urllib.parse import urlencode

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from app.core.errors import RuleViolation
from app.core.pagination import MAX_DEPTH, Feed, feed_scope
from app.tenancy import current_tenant

FEED_PARAMETERS = ("updated_since", "cursor")  # `sort` is the feed's too, but some lists have sorts of their own
SORT_BY_UPDATED = "updated_at"
CURSOR_SALT = "tailtown.list-cursor"

FEED_DESCRIPTION = f"""\
**Change feed.** Every list of the resort's rows accepts `updated_since` (ISO-8601 with a time zone;
rows changed at or after it) and `sort=updated_at` (oldest change first, `id` breaking ties).
Deletions are listed by `GET /deletions`; a deactivated row shows up as changed with `active: false`.

**Cursors.** Beside `page`/`page_size`, a list can be walked with `cursor`: each page's `X-Pagination`
carries `next_cursor` (absent on the last page) and the response a `Link: <url>; rel="next"` header
with the next page's URL. A cursor is a keyset position (`updated_at`, `id` when sorted by
`updated_at`), so rows inserted or changed while a client walks never make it skip or repeat another row.
It is opaque and signed, and works only for the same resort, list and filters (otherwise 422 naming `cursor`).
Page numbers reach {MAX_DEPTH:,} rows into a list (`page` x `page_size`; deeper is a 422 naming `page`): an
offset reads every row before the page, a cursor costs the same on every page.

**Late commits.** `updated_at` is stamped when a change is written, not when its transaction commits,
so a slow transaction can commit a row stamped earlier than rows a client has already seen. A feed
request (`updated_since` or `sort=updated_at`) therefore only returns rows changed more than
`CHANGE_FEED_LAG_SECONDS` (default 30) seconds ago: changes appear in the feed that much later, and
none is missed as long as every transaction commits within that lag. To sync, follow `next_cursor`
to the end, remember the largest `updated_at` you received, and next time ask for
`updated_since=<that value>` (inclusive: the last row comes again; apply changes idempotently).
"""


def page_of(pagination, list_fn: Callable, **filters) -> list:
    """Call list_fn for the requested page (with the request's change feed) and tell the paginator the total."""
    with feed_scope(getattr(pagination, "feed", None)):
        items, total = list_fn(page=pagination.page, page_size=pagination.page_size, **filters)
    pagination.item_count = total
    return items


def _refuse(field: str, message: str) -> RuleViolation:
    return RuleViolation(message, errors={field: [message]})


def parse_updated_since(raw: str | None) -> datetime | None:
    """An ISO-8601 instant with a time zone, as UTC; 422 naming `updated_since` for anything else."""
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _refuse("updated_since", "Not an ISO-8601 date and time (e.g. 2026-05-01T09:30:00Z).") from None
    if value.tzinfo is None:
        raise _refuse("updated_since", "Give a time zone (e.g. Z or +02:00).")
    return value.astimezone(UTC)


def _filters_digest() -> str:
    """A digest of the query's filters (everything but the position), which a cursor is bound to."""
    kept = sorted((key, value) for key, values in request.args.lists() for value in values
                  if key not in ("cursor", "page", "page_size"))
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:32]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CURSOR_SALT)


def _binding() -> dict:
    """What a cursor belongs to: this resort, this list and these filters."""
    return {"t": str(current_tenant().id), "p": request.path, "f": _filters_digest()}


def encode_cursor(feed: Feed) -> str:
    """An opaque, signed cursor for the page after this one."""
    return _serializer().dumps({**_binding(), "s": feed.sort_key, "k": feed.next_key})


def decode_cursor(raw: str) -> tuple[str, list]:
    """(order, keyset) of a cursor this resort's same list and filters issued; 422 naming `cursor` otherwise."""
    try:
        data = _serializer().loads(raw)
    except BadSignature:
        raise _refuse("cursor", "Not a valid cursor (take next_cursor from the previous page as it is).") from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), list):
        raise _refuse("cursor", "Not a valid cursor.")
    if any(data.get(key) != value for key, value in _binding().items()):
        raise _refuse("cursor", "This cursor belongs to another list, other filters or another resort.")
    return data.get("s", ""), data["k"]


def _view_sorts() -> bool:
    """Whether this request's view has a `sort` of its own (in its query schema), which checks other values."""
    view = current_app.view_functions.get(request.endpoint)
    method = getattr(getattr(view, "view_class", None), request.method.lower(), None)
    parameters = getattr(method, "_apidoc", {}).get("arguments", {}).get("parameters", [])
    return any(_declares(p, "sort") for p in parameters)


def parse_feed() -> Feed:
    """The request's change-feed parameters; 422 naming the parameter when one is wrong."""
    sort = request.args.get("sort")
    if sort is not None and sort != SORT_BY_UPDATED and not _view_sorts():
        raise _refuse("sort", f"The only sort of this list is {SORT_BY_UPDATED}.")
    feed = Feed(updated_since=parse_updated_since(request.args.get("updated_since")),
                by_updated=request.args.get("sort") == SORT_BY_UPDATED)
    raw_cursor = request.args.get("cursor")
    if raw_cursor is not None:
        if "page" in request.args:
            raise _refuse("cursor", "Send either cursor or page, not both.")
        feed.after_sort, feed.after = decode_cursor(raw_cursor)
    if feed.is_feed:
        feed.horizon = datetime.now(UTC) - timedelta(seconds=current_app.config["CHANGE_FEED_LAG_SECONDS"])
    return feed


def refuse_feed_parameters() -> None:
    """A list without a change feed refuses its parameters instead of ignoring them."""
    for name in FEED_PARAMETERS:
        if name in request.args:
            raise _refuse(name, "This list has no change feed.")
    if request.args.get("sort") == SORT_BY_UPDATED:
        raise _refuse("sort", "This list has no change feed.")


def next_link(cursor: str) -> str:
    """The URL of the page after this one: the same query with the cursor instead of a page number."""
    args = [(key, value) for key, values in request.args.lists() for value in values if key not in ("cursor", "page")]
    return f"{request.base_url}?{urlencode([*args, ('cursor', cursor)])}"


CURSOR_PARAMETERS = [
    {"name": "updated_since", "in": "query", "required": False,
     "description": "Only rows changed at or after this instant (ISO-8601 with a time zone). "
                    "A feed request: rows changed within the last `CHANGE_FEED_LAG_SECONDS` are held back.",
     "schema": {"type": "string", "format": "date-time"}, "example": "2026-05-01T09:30:00Z"},
    {"name": "cursor", "in": "query", "required": False,
     "description": "`next_cursor` from the previous page's `X-Pagination` (opaque, signed; same resort, "
                    "list and filters only). Not together with `page`.",
     "schema": {"type": "string"}},
]
SORT_PARAMETER = {"name": "sort", "in": "query", "required": False,
                  "description": "`updated_at`: oldest change first (`id` breaks ties) — a feed request.",
                  "schema": {"type": "string", "enum": [SORT_BY_UPDATED]}}
LINK_HEADER = {"description": 'The next page, when there is one: `<url>; rel="next"` (RFC 8288).',
               "schema": {"type": "string"}, "example": '<https://acme.example.com/api/v1/customers?cursor=...>; rel="next"'}


def _declares(parameter, name: str) -> bool:
    """Whether a documented parameter (one, or a query schema's fields) is called name."""
    if not isinstance(parameter, dict):
        return False
    schema = parameter.get("schema")
    if isinstance(schema, type):
        schema = schema()
    return parameter.get("name") == name or name in getattr(schema, "fields", {})


class FeedPaginationMixin:
    """Blueprint.paginate with the change feed and cursors (see the module docstring)."""

    def paginate(self, pager=None, *, feed: bool = True, **kwargs):
        """flask-smorest's paginate; feed=False for lists that are not the resort's rows (logs, reports)."""
        paginated = super().paginate(pager, **kwargs)

        def decorator(func):
            @wraps(func)
            def with_feed(*args, **kw):
                if not feed:
                    refuse_feed_parameters()
                    return func(*args, **kw)
                kw["pagination_parameters"].feed = parse_feed()
                return func(*args, **kw)

            wrapper = paginated(with_feed)
            wrapper._apidoc["feed"] = feed
            return wrapper

        return decorator

    def _set_pagination_metadata(self, page_params, result, headers):
        """X-Pagination as flask-smorest writes it, plus `next_cursor`; `Link` to the next page."""
        feed = getattr(page_params, "feed", None)
        if feed is not None and feed.after is not None:  # a cursor page: page numbers mean nothing here
            headers = dict(headers or {})
            headers[self.PAGINATION_HEADER_NAME] = json.dumps({"total": page_params.item_count})
        else:
            result, headers = super()._set_pagination_metadata(page_params, result, headers)
        if feed is not None and feed.next_key is not None:
            cursor = encode_cursor(feed)
            metadata = json.loads(headers[self.PAGINATION_HEADER_NAME])
            metadata["next_cursor"] = cursor
            headers[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
            headers["Link"] = f'<{next_link(cursor)}>; rel="next"'
        return result, headers

    def _prepare_pagination_doc(self, doc, doc_info, *, spec, **kwargs):
        doc = super()._prepare_pagination_doc(doc, doc_info, spec=spec, **kwargs)
        if doc_info.get("pagination") and doc_info.get("feed", True):
            parameters = doc.setdefault("parameters", [])
            parameters.extend(CURSOR_PARAMETERS)
            if not any(_declares(p, "sort") for p in parameters):  # a list with sorts of its own lists updated_at
                parameters.append(SORT_PARAMETER)
            for code in doc_info.get("success_status_codes", []):
                doc["responses"][code].setdefault("headers", {})["Link"] = LINK_HEADER
        return doc
