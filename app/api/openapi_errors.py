"""Every error an operation can answer, with the one error schema and the headers that come with it."""
from app.api.openapi import ERROR_DESCRIPTIONS, ERROR_REF, operations_with_method

RESPONSE_NAMES = {
    "400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "409": "Conflict",
    "412": "PreconditionFailed", "413": "PayloadTooLarge", "422": "UnprocessableEntity",
    "428": "PreconditionRequired", "429": "TooManyRequests", "503": "ServiceUnavailable",
}
# flask-smorest's own components for the same answers: pointed at ours.
SMOREST_RESPONSES = {"UNPROCESSABLE_ENTITY": "422", "PRECONDITION_FAILED": "412", "PRECONDITION_REQUIRED": "428"}

HEADERS = {
    "X-Request-ID": {"description": "The request's id (the client's valid `X-Request-ID`, or a new one); also in "
                                    "error bodies and the server's logs.", "schema": {"type": "string"}},
    "X-RateLimit-Limit": {"description": "Requests allowed in the current window of the bucket that runs out first "
                                         "(the resort's plan or this key's share).",
                          "schema": {"type": "integer", "example": 1000}},
    "X-RateLimit-Remaining": {"description": "Requests left in that window.", "schema": {"type": "integer", "example": 998}},
    "X-RateLimit-Reset": {"description": "When the window resets, in seconds since the Unix epoch.",
                          "schema": {"type": "integer", "example": 1767225600}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "example": 30}},
    "WWW-Authenticate": {"description": "The Bearer challenge (RFC 6750), e.g. `Bearer realm=\"tailtown\", "
                                        "error=\"invalid_token\"`.", "schema": {"type": "string"}},
}
COMMON_HEADERS = ("X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
EXTRA_HEADERS = {"401": ("WWW-Authenticate",), "403": ("WWW-Authenticate",), "409": ("Retry-After",),
                 "429": ("Retry-After",), "503": ("Retry-After",)}
WRITES = ("post", "put", "patch", "delete")


def _header_refs(names) -> dict:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def statuses_for(path: str, method: str, operation: dict) -> list[str]:
    """The error statuses this operation can answer, from what it takes."""
    statuses = ["401", "429", "503"]
    takes_input = "requestBody" in operation or any(p.get("in") == "query" for p in operation.get("parameters", []))
    if not path.startswith("/api/v1/platform/"):
        statuses += ["403", "404"]  # a paused resort; an unknown resort
    elif "{" in path:
        statuses.append("404")
    if "requestBody" in operation:
        statuses += ["400", "413"]
    if takes_input:
        statuses.append("422")
    if method in WRITES:
        statuses.append("409")
    return statuses


def add_error_responses(spec: dict) -> None:
    """Declare each error status an operation can return, plus rate-limit and request-id headers on every answer."""
    components = spec["components"]
    components.setdefault("headers", {}).update(HEADERS)
    responses = components.setdefault("responses", {})
    for status, name in RESPONSE_NAMES.items():
        responses[name] = _error_response(status, ERROR_DESCRIPTIONS[status])
    for smorest_name in SMOREST_RESPONSES:
        responses.pop(smorest_name, None)
    responses["DEFAULT_ERROR"] = _error_response("default", "An unexpected error (500); the body has the request id.")
    for path, method, operation in operations_with_method(spec):
        answers = operation.setdefault("responses", {})
        for answer in answers.values():
            smorest_name = answer.get("$ref", "").rsplit("/", 1)[-1]
            if smorest_name in SMOREST_RESPONSES:
                answer["$ref"] = f"#/components/responses/{RESPONSE_NAMES[SMOREST_RESPONSES[smorest_name]]}"
        for status in statuses_for(path, method, operation):
            answers.setdefault(status, {"$ref": f"#/components/responses/{RESPONSE_NAMES[status]}"})
        for status, answer in answers.items():
            if "$ref" in answer:
                continue
            if status.startswith(("4", "5")) or status == "default":
                answer["content"] = {"application/json": {"schema": ERROR_REF}}
            headers = answer.setdefault("headers", {})
            for name, ref in _header_refs((*COMMON_HEADERS, *EXTRA_HEADERS.get(status, ()))).items():
                headers.setdefault(name, ref)


def _error_response(status: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}},
            "headers": _header_refs((*COMMON_HEADERS, *EXTRA_HEADERS.get(status, ())))}
