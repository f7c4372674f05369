"""Request bodies: too big is refused with 413 before a byte is read; JSON too deep or too long is a 400."""
import json

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.core.errors import DomainError

# Room for the multipart boundary and part headers around one uploaded file.
MULTIPART_OVERHEAD = 64 * 1024
# Errors about the body as a whole: `_schema` (marshmallow's name), read from the JSON body, as webargs' own 400.
JSON_BODY = {"location": "json"}


def body_limit(setting: str):
    """Give one view its own body cap, read from config key setting (bytes), e.g. a photo upload's."""

    def decorator(view):
        view.body_limit_setting = setting
        return view

    return decorator


def _view_setting() -> str | None:
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a MethodView: the cap sits on the method for this HTTP verb
        view = getattr(view_class, request.method.lower(), None)
    return getattr(view, "body_limit_setting", None)


def refuse_oversized_body() -> None:
    """Answer 413 from the Content-Length alone; werkzeug stops a chunked body at the same cap."""
    setting = _view_setting()
    if setting:
        request.max_content_length = current_app.config[setting] + MULTIPART_OVERHEAD
    limit = request.max_content_length
    if limit is not None and request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The request body is over the {limit // 1024} KB this endpoint accepts.")


def _depth(value) -> int:
    """How deeply a parsed JSON value nests (iteratively: a recursive walk would itself overflow)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def refuse_hostile_json() -> None:
    """A JSON body nested deeper than MAX_JSON_DEPTH, or with a number too long to convert, is a 400.

    Python's parser raises RecursionError for ~1,000 levels and ValueError past 4,300 digits; a
    body just under the parser's limit could still overflow whatever walks it later, hence a
    depth cap far below it. Ordinary syntax errors are left to the schema parser's usual 400.
    """
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    except RecursionError:
        data = None
        too_deep = True
    except ValueError:
        raise DomainError("Invalid JSON body.", errors={"_schema": ["A number in the body has too many digits."]},
                          extra=JSON_BODY) from None
    else:
        too_deep = _depth(data) > current_app.config["MAX_JSON_DEPTH"]
    if too_deep:
        raise DomainError("Invalid JSON body.", errors={
            "_schema": [f"Nested more than {current_app.config['MAX_JSON_DEPTH']} levels deep."]}, extra=JSON_BODY)


def register_body_checks(app: Flask) -> None:
    """Run the checks before CSRF, the limiter or anything else reads the body."""
    app.before_request(refuse_oversized_body)
    app.before_request(refuse_hostile_json)
