"""Every error is JSON `{"error": {...}}`: a code, a message, the fields and rules at fault; never a trace."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import Conflict, Invalid, NotFound, Refused
from shared.messaging.transient import describe_failure, is_transient

log = logging.getLogger(__name__)
_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_failed",
          429: "too_many_requests", 500: "internal", 503: "unavailable"}


class FieldError(BaseModel):
    """One input at fault."""

    model_config = ConfigDict(populate_by_name=True)

    field: str = Field(description="JSON path of a body field, or the name of a query, path or header parameter")
    in_: Literal["body", "query", "path", "header"] = Field(alias="in")
    rule: str = Field(description="The rulebook clause (TT-8.11, TT-8.12 …) or the check that failed")
    message: str


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")  # e.g. `current_state` on a 409, `incident` on a 500

    code: str = Field(description="validation_failed, not_found, conflict, unauthorized …")
    message: str
    fields: list[FieldError] | None = None


class ErrorResponse(BaseModel):
    """Every error a service answers (no stack trace, ever)."""

    error: ErrorDetail


#: A use case's refusal (shared/errors.py) as an HTTP status.
REFUSAL_STATUS: dict[type[Refused], int] = {NotFound: 404, Conflict: 409, Invalid: 422}


class DomainError(Exception):
    """Raised by entrypoints for a refused request; `status` is the HTTP status to answer with. Use cases raise
    the refusals of shared/errors.py instead."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.details = status, message, details


def error_body(status: int, message: str, **details: Any) -> dict[str, Any]:
    return {"error": {"code": _CODES.get(status, "error"), "message": message, **details}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [_field_error(request, err) for err in exc.errors()]
        names = ", ".join(f["field"] for f in fields)
        return JSONResponse(status_code=422, content=error_body(422, f"invalid or missing: {names}", fields=fields))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content=error_body(exc.status_code, str(exc.detail)),
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(DomainError)
    async def on_domain(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content=error_body(exc.status, exc.message, **exc.details))

    @app.exception_handler(Refused)
    async def on_refused(request: Request, exc: Refused) -> JSONResponse:
        status = REFUSAL_STATUS[type(exc)]
        return JSONResponse(status_code=status, content=error_body(status, exc.message, **exc.details))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        incident = str(uuid.uuid4())
        if is_transient(exc):  # the database or the broker is briefly away: nothing was done, try again
            log.warning("unavailable %s on %s %s: %s", incident, request.method, request.url.path,
                        describe_failure(exc))
            return JSONResponse(status_code=503, headers={"Retry-After": "1"}, content=error_body(
                503, "temporarily unavailable (database or broker); nothing was changed, retry", incident=incident))
        log.exception("unhandled error %s on %s %s", incident, request.method, request.url.path)
        return JSONResponse(status_code=500, content=error_body(500, "internal error", incident=incident))


def _field_error(request: Request, err: dict[str, Any]) -> dict[str, Any]:
    loc = [str(p) for p in err.get("loc", ())]
    where = loc[0] if loc else "body"
    path = loc[1:] if where in {"body", "query", "path", "header"} else loc
    if err.get("type") == "json_invalid":
        path = []
    return {
        "field": ".".join(path) or where,
        "in": where,
        "rule": _declared_rule(request, path) or err.get("type", "invalid"),
        "message": err.get("msg", "invalid"),
    }


def _declared_rule(request: Request, path: list[str]) -> str | None:
    """The rulebook id a body field declares with `Field(json_schema_extra={"rule": ...})`, if any."""
    route = request.scope.get("route")
    body_field = getattr(route, "body_field", None)
    model = getattr(getattr(body_field, "field_info", None), "annotation", None)
    rule = None
    for name in path:
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or name not in model.model_fields:
            return rule
        info = model.model_fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rule = str(extra["rule"]) if "rule" in extra else rule
        model = info.annotation
    return rule
