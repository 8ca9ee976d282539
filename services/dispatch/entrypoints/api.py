"""Dispatch HTTP API, for dispatch desks, department handlers and technicians."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from services.dispatch.service_layer import handlers
from shared.http.auth import Principal, Role, require
from shared.service import RuntimeDep

router = APIRouter(tags=["tickets"])


@router.get("/tickets/{ticket_id}", summary="A ticket as the dispatch desk sees it")
async def read_ticket(
    ticket_id: uuid.UUID,
    rt: RuntimeDep,
    _: Annotated[Principal, Depends(require(Role.DISPATCHER, Role.TECHNICIAN, Role.OPS))],
) -> dict:
    async with rt.new_uow() as uow:
        return await handlers.get_ticket(uow, ticket_id)
