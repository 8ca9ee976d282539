"""Every consuming service's `/dead-letters`: ops list the events it parked and replay them after a fix."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from shared.http.auth import Principal, Role, require
from shared.http.errors import DomainError
from shared.messaging.consumer import call_handler
from shared.messaging.parking import NotParked, ReplayFailed, list_parked, replay
from shared.service import RuntimeDep


class ParkedSource(BaseModel):
    topic: str
    partition: int
    offset: int


class ParkedEvent(BaseModel):
    id: int = Field(description="Parked event id (use it to replay)")
    event_id: str | None = Field(description="The event's id; null when the message could not be decoded")
    event_type: str | None
    consumer_group: str
    source: ParkedSource = Field(description="Where the message was read from")
    key: str | None
    reason: str = Field(description="Why it was parked")
    attempts: int = Field(description="Attempts made before parking")
    parked_at: str
    replay_attempts: int
    last_replay_error: str | None
    replayed_at: str | None
    replayed_by: str | None
    value: str = Field(description="The raw message as received (UTF-8, invalid bytes replaced)")


class ParkedPage(BaseModel):
    items: list[ParkedEvent]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end")


class ReplayOutcome(BaseModel):
    outcome: str = Field(description="applied | duplicate (already applied) | ignored (no handler here) | "
                         "already-replayed")
    parked: ParkedEvent


router = APIRouter(tags=["dead letters"])
ops_only = Depends(require(Role.OPS))


@router.get("/dead-letters", summary="Events this service parked", response_model=ParkedPage)
async def list_dead_letters(
    rt: RuntimeDep,
    principal: Annotated[Principal, ops_only],
    waiting: Annotated[bool, Query(description="Only those not replayed yet")] = True,
    after: Annotated[int, Query(ge=0, le=2**62, description="Cursor: the last id of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        items = await list_parked(uow, waiting_only=waiting, after_id=after, limit=limit)
    return {"items": items, "next_after": items[-1]["id"] if len(items) == limit else None}


@router.post(
    "/dead-letters/{parked_id}/replay", summary="Apply a parked event again (exactly once)",
    response_model=ReplayOutcome,
    responses={404: {"description": "No such parked event"},
               409: {"description": "Still failing; the event stays parked with the new reason"}},
)
async def replay_dead_letter(
    parked_id: Annotated[int, Path(ge=1, le=2**62)],
    rt: RuntimeDep,
    principal: Annotated[Principal, ops_only],
) -> dict[str, Any]:
    try:
        result = await replay(rt.new_uow, rt.spec.handlers, call_handler, parked_id, principal.name)
    except NotParked:
        raise DomainError(404, f"no parked event {parked_id}") from None
    except ReplayFailed as exc:
        raise DomainError(409, f"replay of parked event {parked_id} failed; it stays parked",
                          reason=exc.reason) from None
    return {"outcome": result.outcome, "parked": result.parked}
