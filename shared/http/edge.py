"""The HTTP edge of every service (issue 7): before a handler runs, a request is authenticated (401) and only then
is its body read: `application/json` only (415), at most MAX_BODY_BYTES (413), well-formed JSON nested at most
MAX_JSON_DEPTH deep, and no NUL or other control character in any string, key, query, path or declared header
value (422 naming the field). Handlers' own models then check types, lengths and formats per field.

`document_errors` makes the OpenAPI say so: the `{"error": …}` schema as a component and the 401/403/413/415/422
answers wherever they can occur."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from shared import limits
from shared.http.auth import principal_for
from shared.http.errors import ErrorResponse, error_body
from shared.inputs import RULE_CONTROL, control_problem, json_problems

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _field(field: str, where: str, rule: str, message: str) -> dict[str, str]:
    return {"field": field, "in": where, "rule": rule, "message": message}


def _refuse(status: int, message: str, fields: list[dict[str, str]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    details = {"fields": fields} if fields else {}
    return JSONResponse(error_body(status, message, **details), status_code=status, headers=headers)


class _Operation:
    """What the edge needs to know of an operation, read from the app's own OpenAPI (what it documents is what
    it enforces): whether it wants an API key, which headers it reads."""

    def __init__(self, path: str, operation: dict[str, Any]) -> None:
        self.path = path  # also what the request metrics label a refusal with
        self.needs_key = bool(operation.get("security"))
        self.headers = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"]
        self.query = frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")


class _Path:
    def __init__(self, template: str, item: dict[str, Any]) -> None:
        self.pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
        self.literal = -template.count("{")
        self.operations = {method.upper(): _Operation(template, op) for method, op in item.items()}
        if "GET" in self.operations:
            self.operations.setdefault("HEAD", self.operations["GET"])
        self.allow = ", ".join(sorted(self.operations))


def _paths(app: FastAPI) -> list[_Path]:
    """The documented paths, the most literal first (`/tickets/export` before `/tickets/{ticket_id}`)."""
    return sorted((_Path(t, item) for t, item in app.openapi().get("paths", {}).items()), key=lambda p: -p.literal)


def url_problems(query_string: bytes, path_params: dict[str, Any], headers: dict[str, str],
                 known_query: frozenset[str] | None = None) -> list[dict[str, str]]:
    """Control characters in query names and values, path parameters and the given header values; query
    parameters the operation does not know (a filter it would silently ignore, issue 8)."""
    problems = []
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, errors="replace"):
        if problem := control_problem(name) or control_problem(value):
            problems.append(_field(name, "query", RULE_CONTROL, problem))
        elif known_query is not None and name not in known_query:
            known = ", ".join(sorted(known_query)) or "none"
            problems.append(_field(name, "query", "unknown_parameter", f"not a parameter here (known: {known})"))
    for name, value in path_params.items():
        if isinstance(value, str) and (problem := control_problem(value)):
            problems.append(_field(name, "path", RULE_CONTROL, problem))
    for name, value in headers.items():
        if problem := control_problem(value):
            problems.append(_field(name, "header", RULE_CONTROL, problem))
    return problems


def body_problem(content_type: str | None, body: bytes) -> JSONResponse | None:
    """The refusal of a request body, or None when it may go on to the handler."""
    if not body:
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return _refuse(415, f"request bodies must be application/json, not {media_type or 'unlabelled'}")
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_no_constant)  # RFC 8259: UTF-8 only
    except RecursionError:
        document = None
        problems = [_field("body", "body", "json_depth", f"JSON nested deeper than {limits.MAX_JSON_DEPTH} levels")]
    except ValueError as exc:  # also a body that is not UTF-8
        return _refuse(422, "body is not valid JSON", [_field("body", "body", "json_invalid", str(exc))])
    else:
        problems = [_field(path, "body", rule, message) for path, rule, message in json_problems(document)]
    if problems:
        return _refuse(422, "invalid: " + ", ".join(sorted({p["field"] for p in problems})), problems)
    return None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class EdgeGuard:
    """ASGI middleware applying the checks above, in this order: key, URL, body."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._paths: list[_Path] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, path_params = self._match(scope)
        if path is None:  # not a documented path: the router answers (404, docs, health)
            return await self.app(scope, receive, send)
        operation = path.operations.get(scope["method"])
        if operation is None:  # one answer for every method the path does not have, naming all it has
            refusal = _refuse(405, f"{scope['method']} is not allowed here", headers={"Allow": path.allow})
            return await refusal(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._unauthenticated(scope, headers) if operation.needs_key else None
        if refusal is None:
            declared = {name: headers[name.lower()] for name in operation.headers if name.lower() in headers}
            query = scope.get("query_string", b"")
            if problems := url_problems(query, path_params, declared, operation.query):
                refusal = _refuse(422, "invalid: " + ", ".join(p["field"] for p in problems), problems)
        if refusal is None and scope["method"] in _BODY_METHODS:
            body, refusal = await self._read(headers, receive)
            refusal = refusal or body_problem(headers.get("content-type"), body)
            receive = _replay(body)
        if refusal is not None:
            scope["route"] = operation
            return await refusal(scope, receive, send)
        await self.app(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[_Path | None, dict[str, str]]:
        if self._paths is None:
            self._paths = _paths(scope["app"])
        for path in self._paths:
            if found := path.pattern.match(scope["path"]):
                return path, found.groupdict()
        return None, {}

    @staticmethod
    def _unauthenticated(scope: Scope, headers: dict[str, str]) -> JSONResponse | None:
        scheme, _, key = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            message = "missing Authorization: Bearer <key>"
        elif principal_for(scope["app"].state.api_keys, key.strip()) is None:
            message = "unknown API key"
        else:
            return None
        return _refuse(401, message, headers={"WWW-Authenticate": "Bearer"})

    @staticmethod
    async def _read(headers: dict[str, str], receive: Receive) -> tuple[bytes, JSONResponse | None]:
        too_large = _refuse(413, f"request body larger than {limits.MAX_BODY_BYTES} bytes")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.MAX_BODY_BYTES:
            return b"", too_large
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.MAX_BODY_BYTES:
                return b"", too_large
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), None


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
_MEANING = {
    401: "No valid API key (`Authorization: Bearer <key>`)",
    403: "The key's role may not do this",
    404: "Not found",
    409: "The current state forbids it (`current_state` says which)",
    413: f"Body larger than {limits.MAX_BODY_BYTES} bytes",
    415: "Body not sent as application/json",
    422: "Invalid input: every field at fault with its rule",
    503: "The database or the broker is briefly away: nothing was changed; retry after `Retry-After` seconds "
         "(under the same Idempotency-Key)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route that can answer these statuses (in the `{"error": …}` format)."""
    return {status: {"model": ErrorResponse, "description": _MEANING[status]} for status in statuses}


def document_errors(app: FastAPI) -> None:
    """Let the app's OpenAPI list the errors the edge and the handlers give, all in the `{"error": …}` format."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error_schema.pop("$defs", {}))
        components["ErrorResponse"] = error_schema
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                _document(operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    statuses = []
    if operation.get("security"):  # every API operation (not health, metrics, docs) reaches the database
        statuses += [401, 403, 503]
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)  # an unknown ticket, incident or parked event
    if operation.get("parameters") or "requestBody" in operation:
        statuses.append(422)
    if "requestBody" in operation:
        statuses += [413, 415]
    for status in statuses:
        responses.setdefault(str(status), {"description": _MEANING[status]})
    for status, response in responses.items():
        own_503 = response.get("description") == _MEANING[503]  # not /readyz's, whose 503 body is its checks
        if status.startswith(("4", "5")) and (status != "503" or own_503):
            response["content"] = {"application/json": {"schema": _ERROR_REF}}
            if status == "422":
                response["description"] = _MEANING[422]
