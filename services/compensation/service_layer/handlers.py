"""Consumed events -> claims: every ticket event is kept (observed facts) and the claims of the tickets it concerns
recomputed, a consumed batch at a time.

The consumer hands compensation a whole run of consecutive ticket events, whatever their types
(`batched_across_types`), in the batch's transaction (inbox, facts, claims, outbox: exactly once). The run's events
are kept with two statements and every ticket that got a fact a claim can depend on is recomputed set-based
(`recompute_many`): the claims come out as if each event had been applied alone, since they are a function of the
ticket's facts and compensation's own inputs (only transitions in between within one batch, e.g. payable then void,
are not announced)."""

from __future__ import annotations

from services.compensation.adapters.tables import observed
from services.compensation.domain.facts import FOLDED, Fact
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
    payloads = [e.payload.model_dump(mode="json") for e in events]  # as stored, and as the facts fold reads them
    await observed.record_all(uow, events, payloads)
    relevant = [(e, p) for e, p in zip(events, payloads, strict=True) if e.type in RELEVANT]
    in_hand = [(e.ticket_id, e.event_id, Fact(e.type, e.occurred_at, e.recorded_at, p)) for e, p in relevant]
    await recompute_many(uow, [e.ticket_id for e, _ in relevant], in_hand)


async def on_ticket_event(uow: UnitOfWork, event: Envelope) -> None:
    """One event (replay applies them one at a time, at the time each was applied)."""
    await on_ticket_events(uow, [event])


EVENT_HANDLERS = {name: on_ticket_events for name in REGISTRY.names_on(TOPICS.tickets)}
