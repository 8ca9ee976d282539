"""Telephony intake HTTP API: the IVR/ACD reports each handled call (`POST /calls`), for the call-centre KPI
"≥2,200 calls per agent-month" (RULEBOOK §5.3, penalty's scorecards)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.domain.calls import ReportCall
from services.intake.service_layer import calls
from shared import limits
from shared.http.acting import FieldTimeDep
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey, StoredResponse, request_fingerprint, run_idempotent
from shared.inputs import Line
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep

router = APIRouter(tags=["calls"])


class CallRecorded(BaseModel):
    """A call as recorded: its CallHandled event travels on gongdan.calls keyed by `stream_id`."""

    call_id: str
    stream_id: str = Field(description="uuid5 of the call id: the call's event stream and message key")
    agent: str
    started_at: str
    ended_at: str
    duration_seconds: int
    ticket_id: str | None = Field(description="The ticket the call concerns (from `ticket_number`), if any")
    ticket_number: str | None
    reported_by: str = Field(description="API key name of the IVR/ACD that reported it")
    recorded_at: str
    event_id: str = Field(description="The CallHandled event")


@router.post("/calls", status_code=201, response_model=CallRecorded,
             responses={200: {"model": CallRecorded, "description": "This call id was already recorded with the "
                                                                    "same details: the call as recorded, unchanged"},
                        **error_responses(409, 422)},
             summary="The IVR/ACD reports a handled call (CallHandled): recorded once per call id; 200 when the same "
                     "call was already recorded, 409 when its id was recorded with other details")
async def report_call(body: ReportCall, rt: RuntimeDep, field_time: FieldTimeDep,
                      principal: Annotated[Principal, Depends(require(Role.IVR))],
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    async def record(uow: UnitOfWork) -> StoredResponse:
        new, recorded = await calls.record_call(uow, body, principal, field_time)
        return StoredResponse(201 if new else 200, recorded)

    fingerprint = request_fingerprint("POST", "/calls", body.model_dump(mode="json"))
    response, replayed = await run_idempotent(rt.new_uow, rt.spec.tables, principal.name, idempotency_key,
                                              fingerprint, record)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(response.body, status_code=response.status_code, headers=headers)


@router.get("/calls/{call_id}", response_model=CallRecorded, responses=error_responses(404),
            summary="A call as the IVR reported it")
async def read_call(call_id: Annotated[Line(limits.REFERENCE), Path(description="The ACD's id of the call")],
                    rt: RuntimeDep,
                    _: Annotated[Principal, Depends(require(Role.IVR, Role.AGENT, Role.SUPERVISOR, Role.OPS))]) -> dict:
    async with rt.new_uow() as uow:
        return await calls.get_call(uow, call_id)
