"""Consumed events -> claims: every ticket event is kept (observed facts) and the claims of the tickets it concerns
recomputed, a consumed batch at a time.

The consumer hands compensation a whole run of consecutive ticket events, whatever their types
(`batched_across_types`), in the batch's transaction (inbox, facts, claims, outbox: exactly once). The run's events
are kept with two statements and every ticket that got a fact a claim can depend on is recomputed set-based
(`recompute_many`): the claims come out as if each event had been applied alone, since they are a function of the
ticket's facts and compensation's own inputs (only transitions in between within one batch, e.g. payable then void,
are not announced)."""

from __future__ import annotations

from services.compensation.adapters import repository as repo
from services.compensation.domain.facts import FOLDED
from services.compensation.service_layer.claims import recompute_many
from shared.events import Envelope
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.messaging.consumer import batched_across_types
from shared.messaging.unit_of_work import UnitOfWork

#: Events that can change a claim (the ones the facts fold applies); the rest are kept as facts only.
RELEVANT = FOLDED


@batched_across_types
async def on_ticket_events(uow: UnitOfWork, events: list[Envelope]) -> None:
    await repo.record_facts(uow.conn, events)
    await recompute_many(uow, [e.ticket_id for e in events if e.type in RELEVANT])


async def on_ticket_event(uow: UnitOfWork, event: Envelope) -> None:
    """One event (replay applies them one at a time, at the time each was applied)."""
    await on_ticket_events(uow, [event])


EVENT_HANDLERS = {name: on_ticket_events for name in REGISTRY.names_on(TOPICS.tickets)}
