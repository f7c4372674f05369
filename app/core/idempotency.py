"""`Idempotency-Key` on creating POSTs: a retried request gets the first response and creates nothing new.

A client sends `Idempotency-Key: <1 to 255 printable ASCII characters>` on a POST. For the same
tenant, within 24 hours of the first use:

- the same key with the same request (method, path and query, canonical JSON body) is answered with
  the first response again (status, body, Content-Type, Location, ETag) plus `Idempotent-Replayed: true`,
  and the view does not run;
- the same key with a different request is a 422 naming the `Idempotency-Key` header;
- the same key while the first request is still being processed is a 409 with `Retry-After`.

Keys are per tenant: another tenant's identical key is another key. Only a 2xx is recorded. A
request that fails (any 4xx or 5xx: a bad body, a rule, a conflict, a crash) rolled its change back
and takes its key with it, so the client may correct the body and retry with the same key. A key
older than 24 hours is as if never sent: the next request with it replaces it, and
`flask --app wsgi idempotency purge` (run it from cron, e.g. hourly) deletes every expired key.

Why this holds with services that commit their own transaction:

1. Before the view runs, the key row (the request's hash, no response) is inserted in the request's
   own session, not committed. It commits in the service's own commit, atomically with the change: a
   change that rolls back takes its key row with it (no row says "done" for something undone), and a
   change that commits always has its key row (a retry can never create a second resource).
2. A concurrent duplicate inserts the same (tenant_id, key) and waits on the unique index until the
   first commits or rolls back (PostgreSQL; SQLite serialises writers). Rolled back: the insert goes
   through and the duplicate runs as the first. Committed: it reads the first's row and replays its
   response, giving it up to a second to be recorded (see 3) before answering "still being processed".
   A wait on the index longer than the lock timeout is answered "still being processed" too.
3. Once the view has returned a 2xx, the response is written onto the row in a second, short
   transaction (an after-this-request hook, so it sees the final status and headers).
4. If the process dies between the commit of 1 and 3, the row stays committed with no response: a
   retry gets a 409 saying the change was made but its response was lost, never a second resource.

The key goes in with `INSERT ... ON CONFLICT DO NOTHING` rather than inside a savepoint: SQLite's
driver would commit a savepoint opened outside a transaction on its own, breaking 1.

The request body is never stored, only its hash; the response body is, since the client already has
it. Log lines name the row id, never the key (a client may build keys from its own data).
"""
import hashlib
import json
import re
import time
import uuid
from copy import deepcopy
from datetime import timedelta
from functools import wraps

from flask import Response, after_this_request, current_app, request
from flask_smorest.utils import get_appcontext
from loguru import logger
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.core.errors import Conflict, RuleViolation
from app.core.extensions import db
from app.models.base import utcnow
from app.models.idempotency import IdempotencyKey
from app.tenancy import current_tenant, unscoped

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
TTL = timedelta(hours=24)
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")
RETRY_AFTER_SECONDS = 1
# gunicorn ends a request after 30 s (gunicorn.conf.py): a row still without a response this long
# after it was claimed belongs to a request that died after committing its change.
ABANDONED_AFTER = timedelta(seconds=60)
# How long a duplicate waits for a committed first request to record its response, before a 409.
AWAIT_RESPONSE = timedelta(seconds=1)
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
_LOCK_TIMEOUT = "55P03"  # PostgreSQL lock_not_available: lock_timeout ran out while waiting on the first request

KEY_PARAMETER = {
    "name": HEADER, "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]{1,255}$"},
    "description": "A unique value per intended change (e.g. a UUID). A retry with the same key within 24 hours "
                   "returns the first response (with `Idempotent-Replayed: true`) and creates nothing new.",
}
DOC_409 = "A request with the same `Idempotency-Key` is still being processed (see `Retry-After`)"
DOC_422 = "The `Idempotency-Key` is malformed, or was already used with a different request"


def request_fingerprint() -> str:
    """sha256 of the method, path, query and canonical JSON body (key order and spacing do not matter)."""
    body = request.get_json(silent=True) if request.is_json else None
    if body is None:
        payload = request.get_data()
    else:
        payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    query = json.dumps(sorted(request.args.items(multi=True))).encode()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), query, payload):
        digest.update(len(part).to_bytes(8, "big") + part)  # length-prefixed: no two requests share a stream
    return digest.hexdigest()


def _insert_ignoring_duplicate(**values) -> bool:
    """INSERT a key row unless (tenant_id, key) exists; waits for an uncommitted duplicate. True if inserted."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(IdempotencyKey).values(tenant_id=current_tenant().id, created_at=utcnow(), **values)
    return db.session.execute(statement.on_conflict_do_nothing(index_elements=["tenant_id", "key"])).rowcount == 1


def _in_progress() -> Conflict:
    return Conflict(f"A request with this {HEADER} is still being processed; retry in a moment.",
                    errors={HEADER: ["A request with this key is still being processed."]},
                    headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _claim(key: str, fingerprint: str) -> IdempotencyKey | uuid.UUID:
    """The id of our new row for key (uncommitted, in the request's transaction), or the live row another request made."""
    for _ in range(3):
        row_id = uuid.uuid4()
        try:
            if _insert_ignoring_duplicate(id=row_id, key=key, request_hash=fingerprint):
                return row_id
        except OperationalError as exc:
            if getattr(exc.orig, "pgcode", None) == _LOCK_TIMEOUT:
                db.session.rollback()
                raise _in_progress() from None
            raise
        existing = db.session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key)).scalar_one_or_none()
        if existing is None:
            continue  # purged since, or its request rolled back after all: try again
        if existing.created_at > utcnow() - TTL:
            return existing
        # Expired: as if never sent. Deleted in this transaction, so it stays if this request fails.
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id)
                           .execution_options(synchronize_session=False))
        db.session.expunge(existing)
    raise _in_progress()


def _await_response(row: IdempotencyKey) -> IdempotencyKey | None:
    """The row once its response is recorded, if that happens within AWAIT_RESPONSE (the usual case for a
    duplicate that waited on the unique index: the first has just committed and is recording its answer)."""
    key, deadline = row.key, time.monotonic() + AWAIT_RESPONSE.total_seconds()
    while row is not None and row.response_status is None and time.monotonic() < deadline:
        db.session.rollback()  # a fresh snapshot next; on SQLite, also lets go of the write lock the INSERT took
        time.sleep(0.05)
        row = db.session.execute(select(IdempotencyKey).where(IdempotencyKey.key == key)).scalar_one_or_none()
    return row


def _answer_from(row: IdempotencyKey, fingerprint: str, *, wait: bool = True) -> Response:
    """Replay the recorded response; refuse another request under the same key; or say it is not done yet."""
    if row.request_hash != fingerprint:
        raise RuleViolation(f"This {HEADER} was already used with a different request (method, path or body); "
                            "send a new key for a new request.",
                            errors={HEADER: ["Already used with a different request."]})
    if row.response_status is None:
        if utcnow() - row.created_at >= ABANDONED_AFTER:
            raise Conflict(f"A request with this {HEADER} made its change, but the server stopped before recording "
                           "the response. Nothing was created twice: look the resource up instead of retrying.",
                           errors={HEADER: ["The change was made; its response was not recorded."]})
        answered = _await_response(row) if wait else None
        if answered is None or answered.response_status is None:
            raise _in_progress()
        return _answer_from(answered, fingerprint, wait=False)
    response = current_app.response_class(row.response_body, status=row.response_status)
    for name, value in (row.response_headers or {}).items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    if response.is_json:
        # flask-smorest's @etag (when also on the route) computes the ETag from this, as for the first response.
        get_appcontext()["result_dump"] = response.get_json()
    return response


def _stored_body(response: Response, redact: tuple[str, ...]) -> str:
    """The response body as kept on the key row: with the redacted fields set to null."""
    body = response.get_data(as_text=True)
    if not redact or not response.is_json:
        return body
    data = json.loads(body)
    for name in redact:
        if isinstance(data, dict) and name in data:
            data[name] = None
    return json.dumps(data)


def _recorder(row_id: uuid.UUID, key: str, fingerprint: str, redact: tuple[str, ...] = ()):
    """An after-this-request hook writing a 2xx response onto the key row, in its own short transaction."""

    def record(response: Response) -> Response:
        if not 200 <= response.status_code < 300 or response.is_streamed:
            return response  # a failure: its change rolled back (the key with it), or it stays unanswered
        values = {"response_status": response.status_code, "response_body": _stored_body(response, redact),
                  "response_headers": {n: response.headers[n] for n in REPLAYED_HEADERS if n in response.headers}}
        try:
            updated = db.session.execute(
                update(IdempotencyKey).where(IdempotencyKey.id == row_id, IdempotencyKey.response_status.is_(None))
                .values(**values).execution_options(synchronize_session=False))
            if updated.rowcount != 1:
                # Something in the view rolled the session back after the key went in, then succeeded:
                # record the key now, so at least a retry from here on cannot create a second resource.
                logger.warning("idempotency key {} was rolled back under a {}; recording it again",
                               row_id, response.status_code)
                if not _insert_ignoring_duplicate(id=row_id, key=key, request_hash=fingerprint, **values):
                    logger.error("idempotency key {} was taken by another request meanwhile", row_id)
            db.session.commit()
        except SQLAlchemyError as exc:
            # The client still gets its answer; a retry finds the committed key row and gets a 409.
            db.session.rollback()
            logger.warning("could not record the response of idempotency key {}: {}", row_id, type(exc).__name__)
        return response

    return record


def idempotent(view=None, *, redact: tuple[str, ...] = ()):
    """Honour `Idempotency-Key` on a creating POST view: the innermost decorator, right above `def post`.

    Under @blp.arguments, so a body the schema refuses never takes a key; under @blp.response, so a
    replayed Response passes through it untouched. Fields named in `redact` (a secret shown once) are
    stored, and so replayed, as null: a retry confirms the row exists without keeping its secret.
    """
    if view is None:
        return lambda v: idempotent(v, redact=redact)

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _KEY.fullmatch(key):
            raise RuleViolation(f"{HEADER} must be 1 to 255 printable ASCII characters.",
                                errors={HEADER: ["1 to 255 printable ASCII characters."]})
        fingerprint = request_fingerprint()
        claimed = _claim(key, fingerprint)
        if isinstance(claimed, IdempotencyKey):
            return _answer_from(claimed, fingerprint)
        after_this_request(_recorder(claimed, key, fingerprint, redact))
        try:
            return view(*args, **kwargs)
        except BaseException:
            db.session.rollback()  # an uncommitted key row goes with the failed change; a committed one stays
            raise

    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc["idempotent"] = True  # read by document_idempotency
    return wrapper


def document_idempotency(doc: dict, doc_info: dict, *, api, **_kwargs) -> dict:
    """flask-smorest doc callback: the header parameter, the replay header and the 409/422 of an @idempotent view."""
    if not doc_info.get("idempotent"):
        return doc
    doc.setdefault("parameters", []).append(deepcopy(KEY_PARAMETER))
    responses = doc.setdefault("responses", {})
    for status in doc_info.get("success_status_codes", []):
        if isinstance(responses.get(status), dict):
            responses[status].setdefault("headers", {})[REPLAYED_HEADER] = {
                "description": "`true` when this is the recorded response to an earlier request with the same key.",
                "schema": {"type": "string", "enum": ["true"]},
            }
    for status, why in ((409, DOC_409), (422, DOC_422)):
        existing = responses.get(status, responses.get(str(status)))
        if isinstance(existing, dict):
            existing["description"] = f"{existing.get('description', '')}; or: {why}"
        elif existing is None:
            responses[status] = {"description": why, "content": {"application/json": {"schema": api.ERROR_SCHEMA}}}
    return doc


def purge_expired() -> int:
    """Delete every tenant's keys older than 24 hours (operator code, via the CLI); returns how many."""
    with unscoped():
        deleted = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - TTL)
                                     .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    return deleted
