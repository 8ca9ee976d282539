"""Outages and mass incidents (RULEBOOK §7): declare, restore, link tickets, read."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.dispatch.domain.incidents import DeclareOutage, RestoreOutage
from services.dispatch.service_layer import incidents
from shared.http.acting import FieldTimeDep
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey, idempotent_json
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep, ServiceRuntime

router = APIRouter(tags=["incidents"])
Operator = Annotated[Principal, Depends(require(Role.DISPATCHER, Role.SUPERVISOR, Role.OPS))]
Linker = Annotated[Principal, Depends(require(Role.DISPATCHER, Role.SUPERVISOR, Role.OPS, Role.AGENT))]


class LinkTickets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


async def _run(rt: ServiceRuntime, principal: Principal, key: str | None, path: str, body: BaseModel,
               status: int, work: Callable[[UnitOfWork], Awaitable[dict[str, Any]]]) -> JSONResponse:
    return await idempotent_json(rt.new_uow, rt.spec.tables, principal.name, key,
                                 ("POST", path, body.model_dump(mode="json")), status, work)


@router.post("/incidents", status_code=201, summary="Declare an outage (OutageDeclared, TT-8.6)")
async def declare(body: DeclareOutage, rt: RuntimeDep, principal: Operator,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _run(rt, principal, idempotency_key, "/incidents", body, 201,
                      lambda uow: incidents.declare_outage(uow, body, principal))


@router.post("/incidents/{incident_id}/restore", summary="The outage is over (OutageRestored)",
             responses=error_responses(409))
async def restore(incident_id: uuid.UUID, body: RestoreOutage, rt: RuntimeDep, principal: Operator,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _run(rt, principal, idempotency_key, f"/incidents/{incident_id}/restore", body, 200,
                      lambda uow: incidents.restore_outage(uow, incident_id, body, principal))


@router.post("/incidents/{incident_id}/tickets", summary="Link tickets to the mass incident (all or nothing)",
             responses=error_responses(409))
async def link(incident_id: uuid.UUID, body: LinkTickets, rt: RuntimeDep, principal: Linker,
               field_time: FieldTimeDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _run(rt, principal, idempotency_key, f"/incidents/{incident_id}/tickets", body, 200,
                      lambda uow: incidents.link_tickets(uow, incident_id, body.ticket_ids, principal, field_time))


@router.get("/incidents/{incident_id}", summary="An incident and how many tickets are linked")
async def read(incident_id: uuid.UUID, rt: RuntimeDep,
               _: Annotated[Principal, Depends(require(Role.DISPATCHER, Role.SUPERVISOR, Role.OPS, Role.AGENT))]
               ) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await incidents.get_incident(uow, incident_id)
