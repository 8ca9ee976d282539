"""Intake HTTP API, for IVR/telephony systems and hotline agents."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.intake.domain.intake import LogTicket
from services.intake.domain.numbering import InvalidTicketNumber, parse_ticket_number
from services.intake.entrypoints.ticket_batches import TicketRequest, TicketWriter
from services.intake.service_layer import handlers
from shared import limits
from shared.http.acting import FieldTimeDep
from shared.http.auth import Principal, Role, require
from shared.http.errors import DomainError
from shared.http.idempotency import IdempotencyKey, request_fingerprint
from shared.inputs import Line
from shared.service import RuntimeDep, ServiceRuntime

router = APIRouter(tags=["tickets"])


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The body is validated by hand (to list every bad field), so its schema is documented self-contained."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline_refs(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


_SCHEMA = LogTicket.model_json_schema()
_BODY_DOC = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": _inline_refs(_SCHEMA, _SCHEMA.get("$defs", {}))}}}}


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DomainError(422, "body is not valid JSON", fields=[
            {"field": "body", "in": "body", "rule": "json_invalid", "message": str(exc)}]) from None


@router.post("/tickets", status_code=201, openapi_extra=_BODY_DOC,
             responses={200: {"description": "Repeats an open fault ticket (GX-5.3.1): that ticket"}},
             summary="Log a ticket (IVR or agent); 200 when it repeats an open fault ticket (GX-5.3.1)")
async def create_ticket(
    request: Request,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Role.IVR, Role.AGENT))],
    field_time: FieldTimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    cmd = handlers.parse(await _json(request))
    fingerprint = request_fingerprint("POST", "/tickets", cmd.model_dump(mode="json"))
    response, replayed = await _writer(rt).log(TicketRequest(cmd, principal, field_time, idempotency_key, fingerprint))
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(response.body, status_code=response.status_code, headers=headers)


_WRITERS: WeakKeyDictionary[ServiceRuntime, TicketWriter] = WeakKeyDictionary()


def _writer(rt: ServiceRuntime) -> TicketWriter:
    """The instance's ticket writer: calls posted together share a transaction."""
    if rt not in _WRITERS:
        _WRITERS[rt] = TicketWriter(rt.new_uow, rt.spec.tables, rt.settings, rt.metrics)
    return _WRITERS[rt]


@router.get("/tickets/{ticket_id}", summary="A ticket as logged, with intake's view of its status")
async def read_ticket(
    ticket_id: uuid.UUID,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.IVR, Role.AGENT, Role.OPS))],
) -> dict:
    async with rt.new_uow() as uow:
        return await handlers.get_ticket(uow, ticket_id)


_LOOKUP = ("number", "phone", "account")


@router.get("/tickets", summary="Find tickets by number, phone or account (every given one must match), newest first")
async def find_tickets(
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.IVR, Role.AGENT, Role.SUPERVISOR, Role.OPS))],
    number: Annotated[Line(40) | None, Query(description="Ticket number, e.g. 2026-KF-000123")] = None,
    phone: Annotated[Line(limits.PHONE) | None, Query(description="Contact phone, any spelling")] = None,
    account: Annotated[Line(limits.ACCOUNT) | None, Query(description="Account or service number")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    if number is None and phone is None and account is None:
        raise DomainError(422, "give number, phone or account", fields=[
            {"field": name, "in": "query", "rule": "lookup", "message": "one of number, phone, account is needed"}
            for name in _LOOKUP])
    if number is not None:
        try:
            number = str(parse_ticket_number(number))
        except InvalidTicketNumber as exc:
            raise DomainError(422, str(exc), fields=[
                {"field": "number", "in": "query", "rule": "NJ-numbering", "message": str(exc)}]) from None
    async with rt.new_uow() as uow:
        found = await handlers.find_tickets(uow, number=number, phone=phone, account=account, limit=limit)
    return {"items": found}
