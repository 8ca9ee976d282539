"""Network and system faults (CS-25/32/33, NJ-4.3.2e): the NMS reports, the field works, CS is told; read them.

No `from __future__ import annotations`: the act routes are built in a loop and FastAPI must see each body type.
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.dispatch.domain import network_faults as nf
from services.dispatch.domain.work_items import Series
from services.dispatch.service_layer import work_items
from shared import limits
from shared.events.lifecycle.work_items import FaultLayer, FaultSeverity
from shared.http.acting import FieldTimeDep
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey, idempotent_json
from shared.inputs import Line
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep, ServiceRuntime

router = APIRouter(tags=["network and system faults"])
FIELD = (Role.HANDLER, Role.TECHNICIAN)
Reader = Annotated[Principal, Depends(require(Role.NMS, Role.DISPATCHER, Role.HANDLER, Role.TECHNICIAN,
                                              Role.SUPERVISOR, Role.AGENT, Role.OPS))]
Work = Callable[[UnitOfWork], Awaitable[dict[str, Any]]]


async def run_write(rt: ServiceRuntime, principal: Principal, key: str | None, path: str, body: BaseModel,
                    status: int, work: Work) -> JSONResponse:
    """One write under Idempotency-Key: a retry with the same key answers the first response, changes nothing."""
    return await idempotent_json(rt.new_uow, rt.spec.tables, principal.name, key,
                                 ("POST", path, body.model_dump(mode="json")), status, work)


@router.post("/network-faults", status_code=201, responses=error_responses(422),
             summary="The NMS reports a network or system fault (NetworkFaultReported), numbered YEAR-NF-…")
async def report(body: nf.ReportFault, rt: RuntimeDep, field_time: FieldTimeDep,
                 principal: Annotated[Principal, Depends(require(Role.NMS, Role.DISPATCHER, Role.SUPERVISOR,
                                                                 Role.OPS))],
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    tz = ZoneInfo(rt.settings.gongdan_tz)
    return await run_write(rt, principal, idempotency_key, "/network-faults", body, 201,
                           lambda uow: work_items.open_item(uow, Series.network_fault, body, principal,
                                                            field_time, tz))


#: path, command, roles allowed (admin always), summary
ACTS: tuple[tuple[str, type[nf.FaultCommand], tuple[Role, ...], str], ...] = (
    ("respond", nf.RespondToFault, (*FIELD, Role.DISPATCHER),
     "The maintenance team took the fault on (NetworkFaultResponded; CS-25 access layer 30 min)"),
    ("arrival", nf.ArriveAtFault, FIELD, "A technician is on site (NetworkFaultOnSite; CS-25 40 min / 1 h)"),
    ("fix", nf.FixFault, (*FIELD, Role.NMS), "Service restored (NetworkFaultFixed; CS-25/32/33)"),
    ("reply", nf.ReplyOnFault, FIELD, "回单: the fix reported back (NetworkFaultReplied; CS-25 2 h / 24 h)"),
    ("cs-notifications", nf.NotifyCustomerService, (*FIELD, Role.DISPATCHER, Role.SUPERVISOR, Role.AGENT, Role.NMS),
     "Customer service was told of the fault (CustomerServiceNotified; NJ-4.3.2e 10 min)"),
)


def _register(path: str, command: type[nf.FaultCommand], roles: tuple[Role, ...], summary: str) -> None:
    async def endpoint(fault_id: uuid.UUID, body: command, rt: RuntimeDep,  # type: ignore[valid-type]
                       principal: Annotated[Principal, Depends(require(*roles))], field_time: FieldTimeDep,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return await run_write(
            rt, principal, idempotency_key, f"/network-faults/{fault_id}/{path}", body, 200,
            lambda uow: work_items.act(uow, Series.network_fault, fault_id, body, principal, field_time,
                                       lambda state, by, now: nf.decide(state, body, by, now)))

    endpoint.__name__ = f"network_fault_{path.replace('-', '_')}"
    router.add_api_route(f"/network-faults/{{fault_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         responses=error_responses(404, 409, 422))


for _act in ACTS:
    _register(*_act)


@router.post("/network-faults/{fault_id}/links", responses=error_responses(404, 409, 422),
             summary="Link the fault to its mass incident and/or the customer tickets it caused (NetworkFaultLinked)")
async def link(fault_id: uuid.UUID, body: nf.LinkFault, rt: RuntimeDep, field_time: FieldTimeDep,
               principal: Annotated[Principal, Depends(require(Role.DISPATCHER, Role.SUPERVISOR, Role.OPS))],
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(rt, principal, idempotency_key, f"/network-faults/{fault_id}/links", body, 200,
                           lambda uow: work_items.link_fault(uow, fault_id, body, principal, field_time))


@router.get("/network-faults/{fault_id}", summary="A fault with its full timeline", responses=error_responses(404))
async def read(fault_id: uuid.UUID, rt: RuntimeDep, _: Reader, field_time: FieldTimeDep) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await work_items.get_item(uow, Series.network_fault, fault_id, field_time.flag_backdated_after)


@router.get("/network-faults", summary="Faults, newest first")
async def list_faults(
    rt: RuntimeDep,
    _: Reader,
    state: Literal["reported", "responded", "on-site", "fixed", "replied"] | None = None,
    layer: FaultLayer | None = None,
    severity: FaultSeverity | None = None,
    department: Line(limits.DEPARTMENT) | None = None,
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    filters = {"state": state, "layer": layer and layer.value, "severity": severity and severity.value,
               "department": department}
    async with rt.new_uow() as uow:
        return await work_items.list_items(uow, Series.network_fault, filters, limit)
