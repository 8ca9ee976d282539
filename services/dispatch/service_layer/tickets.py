"""Ticket commands: lock the stream, fold, `decide`, append the events and the outbox in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dispatch.adapters import event_store as store
from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import CommandRefused, decide, field_time
from services.dispatch.domain.state import TicketState
from services.dispatch.domain.ticket import evolve
from services.dispatch.service_layer.directory import check_ticket_command
from shared.errors import Conflict, Invalid, NotFound
from shared.events import Envelope
from shared.events.catalog import Payload
from shared.field_time import backdate_problem, field_time_error
from shared.identity import Role
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.schema import FieldTimePolicy


@dataclass(frozen=True)
class Outcome:
    """What a command did: the new state and the events it appended."""

    state: TicketState
    envelopes: list[Envelope]

    def body(self) -> dict[str, Any]:
        return {"ticket_id": str(self.state.ticket_id), "state": self.state.status.value,
                "round": self.state.round, "version": self.state.version,
                "events": [{"event_id": str(e.event_id), "type": e.type, "sequence": e.sequence}
                           for e in self.envelopes]}


async def load_locked(uow: UnitOfWork, ticket_id: uuid.UUID) -> TicketState:
    """The ticket's folded state, with its row locked for this transaction; 404 when unknown here."""
    try:
        state = await store.load_locked(uow.conn, ticket_id)
    except store.NoStream as missing:  # logged before dispatch kept event streams (migration 0002)
        raise Conflict(str(missing), current_state="unknown") from None
    if state is None:
        raise NotFound(f"ticket {ticket_id} not known to dispatch (yet)")
    return state


async def execute(
    uow: UnitOfWork, ticket_id: uuid.UUID, command: c.Command, api_role: Role, backdate: FieldTimePolicy
) -> Outcome:
    """Run one command; a refusal (409) or bad field time (422) raises before anything is written."""
    now = uow.now()
    if problem := backdate_problem(command.occurred_at, now, api_role, backdate):
        raise Invalid(problem, fields=[field_time_error(problem)])
    state = await load_locked(uow, ticket_id)
    await check_ticket_command(uow, command)  # issue 8: a department or technician must be in the directory (422)
    try:
        payloads = decide(state, command, now)
        at = field_time(state, command, now)
    except CommandRefused as refused:
        raise Conflict(refused.reason, current_state=refused.current_state.value,
                          ticket_id=str(ticket_id)) from None
    return await record(uow, state, payloads, at, now)


async def record(uow: UnitOfWork, state: TicketState, payloads: list[Payload], at: datetime,
                 now: datetime) -> Outcome:
    """Append `payloads` after `state`, update the projection, publish through the outbox."""
    envelopes = uow.envelopes(payloads, stream=state.ticket_id, first_sequence=state.version + 1, occurred_at=at)
    try:
        await store.append(uow.conn, envelopes, state.version + 1)
    except store.ConcurrentAppend:
        raise Conflict("the ticket changed meanwhile; read it and retry",
                          current_state=state.status.value, ticket_id=str(state.ticket_id)) from None
    for payload in payloads:
        state = evolve(state, payload, at)
    await store.save_projection(uow.conn, state, now)
    for envelope in envelopes:
        uow.publish(envelope)
    return Outcome(state, envelopes)
