"""Dispatch read API: a ticket with its timeline, filtered lists, technician worklists, department queues."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.dispatch.service_layer import queries
from shared.http.auth import Principal, Role, require
from shared.service import RuntimeDep

router = APIRouter(tags=["tickets"])
Reader = Annotated[Principal, Depends(require(Role.DISPATCHER, Role.HANDLER, Role.TECHNICIAN, Role.SUPERVISOR,
                                              Role.AGENT, Role.DEPUTY_GM, Role.OPS))]


@router.get("/tickets/{ticket_id}", summary="A ticket with its full timeline (every event, who, when)")
async def read_ticket(ticket_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await queries.get_ticket(uow, ticket_id)


@router.get("/tickets", summary="Tickets, filtered, oldest first, with cursor pagination")
async def list_tickets(
    rt: RuntimeDep,
    _: Reader,
    state: str | None = None,
    kind: str | None = None,
    department: str | None = None,
    technician: str | None = None,
    segment: str | None = None,
    incident: uuid.UUID | None = None,
    overdue: bool | None = Query(None, description="Past due (plus customer pauses) and still being worked"),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> dict[str, Any]:
    filters = queries.TicketFilter(state, kind, department, technician, segment, incident, overdue)
    async with rt.new_uow() as uow:
        return await queries.list_tickets(uow, filters, limit, cursor)


@router.get("/technicians/{technician}/worklist", summary="What a technician is working on, most urgent first")
async def worklist(technician: str, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await queries.work_in_hand(uow, technician=technician)


@router.get("/departments/{department}/queue", summary="A department's tickets in handling, most urgent first")
async def queue(department: str, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await queries.work_in_hand(uow, department=department)
