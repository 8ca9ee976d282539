"""Telephony intake use case: record a handled call once per call id and publish CallHandled (gongdan.calls), which
penalty counts per agent and month (RULEBOOK §5.3: ≥2,200 calls per agent-month)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from services.intake.adapters import repository as repo
from services.intake.domain.calls import ReportCall, call_problems, differences, unknown_ticket
from shared.errors import Conflict, Invalid, NotFound
from shared.events.calls import CallHandled, call_stream
from shared.field_time import acting_role
from shared.identity import Principal
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.schema import FieldTimePolicy


async def record_call(uow: UnitOfWork, cmd: ReportCall, principal: Principal,
                      field_time: FieldTimePolicy) -> tuple[bool, dict[str, Any]]:
    """(new, the call as recorded): a new call is stored and CallHandled put in the outbox in one transaction; the
    same call posted again changes nothing; the same id with other details is refused (409)."""
    now = uow.now()
    if problems := call_problems(cmd, now, principal.role, field_time):
        raise Invalid(f"invalid: {', '.join(sorted({p['field'] for p in problems}))}", fields=problems)
    await repo.lock_call(uow.conn, cmd.call_id)
    recorded = await repo.read_call(uow.conn, cmd.call_id)
    if recorded is not None:
        if changed := differences(recorded, cmd):
            raise Conflict(f"call {cmd.call_id} was already recorded with other {', '.join(changed)}",
                           current_state="recorded", call_id=cmd.call_id, differs=changed)
        return False, call_view(recorded)
    ticket_id = None
    if cmd.ticket_number is not None:
        ticket_id = await repo.ticket_by_number(uow.conn, cmd.ticket_number)
        if ticket_id is None:
            problem = unknown_ticket(cmd.ticket_number)
            raise Invalid(problem["message"], fields=[problem])
    stream = call_stream(cmd.call_id)
    event = CallHandled(call_id=cmd.call_id, agent=cmd.agent, started_at=cmd.started_at, ended_at=cmd.ended_at,
                        duration_seconds=int((cmd.ended_at - cmd.started_at).total_seconds()), ticket_id=ticket_id,
                        ticket_number=cmd.ticket_number, actor=principal.name, role=acting_role(principal))
    [envelope] = uow.emit([event], stream=stream, first_sequence=1, occurred_at=cmd.started_at)
    row = {"call_id": cmd.call_id, "stream_id": stream, "agent": cmd.agent, "started_at": cmd.started_at,
           "ended_at": cmd.ended_at, "ticket_id": ticket_id, "ticket_number": cmd.ticket_number,
           "reported_by": principal.name, "recorded_at": now, "event_id": envelope.event_id}
    await repo.insert_call(uow.conn, row)
    return True, call_view(row)


async def get_call(uow: UnitOfWork, call_id: str) -> dict[str, Any]:
    recorded = await repo.read_call(uow.conn, call_id)
    if recorded is None:
        raise NotFound(f"call {call_id} not recorded")
    return call_view(recorded)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def call_view(row: dict[str, Any]) -> dict[str, Any]:
    """The call as recorded, times in UTC (the same answer for the first post, a repeat and a read)."""
    return {"call_id": row["call_id"], "stream_id": str(row["stream_id"]), "agent": row["agent"],
            "started_at": _utc(row["started_at"]), "ended_at": _utc(row["ended_at"]),
            "duration_seconds": int((row["ended_at"] - row["started_at"]).total_seconds()),
            "ticket_id": str(row["ticket_id"]) if row["ticket_id"] else None, "ticket_number": row["ticket_number"],
            "reported_by": row["reported_by"], "recorded_at": _utc(row["recorded_at"]),
            "event_id": str(row["event_id"])}
