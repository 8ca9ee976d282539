"""Dispatch read API: a ticket with its timeline, filtered lists, technician worklists, department queues."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.dispatch.domain.state import Status
from services.dispatch.service_layer import queries
from shared import limits
from shared.events.vocabulary import Segment, TicketKind
from shared.http.auth import Principal, Role, require
from shared.inputs import Instant, Line
from shared.service import RuntimeDep

router = APIRouter(tags=["tickets"])
Reader = Annotated[Principal, Depends(require(Role.DISPATCHER, Role.HANDLER, Role.TECHNICIAN, Role.SUPERVISOR,
                                              Role.AGENT, Role.DEPUTY_GM, Role.OPS))]


@router.get("/tickets/{ticket_id}", summary="A ticket with its full timeline (every event, who, when)")
async def read_ticket(ticket_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    flag_after = rt.config.policy.field_time.flag_backdated_after
    async with rt.new_uow() as uow:
        return await queries.get_ticket(uow, ticket_id, flag_after)


@router.get("/tickets", summary="Tickets, filtered, oldest first, with cursor pagination")
async def list_tickets(
    rt: RuntimeDep,
    _: Reader,
    state: Status | None = None,
    kind: TicketKind | None = None,
    department: Line(limits.DEPARTMENT) | None = None,
    technician: Line(limits.PERSON) | None = None,
    segment: Segment | None = None,
    incident: uuid.UUID | None = None,
    overdue: bool | None = Query(None, description="Past due (plus customer pauses) and still being worked"),
    limit: int = Query(50, ge=1, le=500),
    cursor: Line(limits.REFERENCE) | None = Query(None, description="`next_cursor` of the previous page"),
    number: Line(40) | None = Query(None, description="Ticket number, e.g. 2026-KF-000123"),
    phone: Line(limits.PHONE) | None = Query(None, description="Customer contact phone, any spelling"),
    account: Line(limits.ACCOUNT) | None = Query(None, description="Customer account or service number"),
) -> dict[str, Any]:
    filters = queries.TicketFilter(state and state.value, kind and kind.value, department, technician,
                                   segment and segment.value, incident, overdue, number, phone, account)
    async with rt.new_uow() as uow:
        return await queries.list_tickets(uow, filters, limit, cursor)


@router.get("/technicians/{technician}/worklist", summary="What a technician is working on, most urgent first")
async def worklist(technician: Line(limits.PERSON), rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await queries.work_in_hand(uow, technician=technician)


@router.get("/departments/{department}/queue", summary="A department's tickets in handling, most urgent first")
async def queue(department: Line(limits.DEPARTMENT), rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await queries.work_in_hand(uow, department=department)


@router.get("/audit/backdated", tags=["audit"],
            summary="RULEBOOK §9.13: acts recorded more than the policy's threshold (1 h) after they happened")
async def backdated(
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.OPS))],
    since: Annotated[Instant | None, Query(description="Only acts recorded at or after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    flag_after = rt.config.policy.field_time.flag_backdated_after
    async with rt.new_uow() as uow:
        acts = await queries.backdated_acts(uow, flag_after, since, limit)
    return {"threshold_seconds": int(flag_after.total_seconds()), "acts": acts}
