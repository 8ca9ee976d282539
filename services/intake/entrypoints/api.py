"""Intake HTTP API, for IVR/telephony systems and hotline agents."""

from __future__ import annotations

import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from services.intake.domain.intake import LogTicket
from services.intake.service_layer import handlers
from shared.http.auth import Principal, Role, require
from shared.http.idempotency import request_fingerprint, run_idempotent
from shared.service import RuntimeDep

router = APIRouter(tags=["tickets"])
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                                 description="Retries with the same key return the first result")]


@router.post("/tickets", status_code=201, summary="Log a ticket (IVR or agent)")
async def create_ticket(
    cmd: LogTicket,
    request: Request,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require(Role.IVR, Role.AGENT))],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    tz = ZoneInfo(rt.settings.gongdan_tz)
    fingerprint = request_fingerprint("POST", "/tickets", cmd.model_dump(mode="json"))
    response, replayed = await run_idempotent(
        rt.new_uow, rt.spec.tables, principal.name, idempotency_key, fingerprint,
        lambda uow: handlers.log_ticket(uow, cmd, principal, tz),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(response.body, status_code=response.status_code, headers=headers)


@router.get("/tickets/{ticket_id}", summary="A ticket as logged")
async def read_ticket(
    ticket_id: uuid.UUID,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.IVR, Role.AGENT, Role.OPS))],
) -> dict:
    async with rt.new_uow() as uow:
        return await handlers.get_ticket(uow, ticket_id)
