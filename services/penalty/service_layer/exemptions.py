"""Compensation's exemption announcements -> penalty's record of them (RULEBOOK §9.12), in the consumer's
transaction, through its inbox: exactly once. Kept in the journal too, so a replay rebuilds them.

What they change: the on-time rate of the scorecards leaves out a late timer covered by a standing exemption
("late, exempt", services/penalty/domain/kpi.py); a voided one counts it again. What they do not change: the ledger.
CT-3.2 exemptions are about customer compensation (RULEBOOK §6); §9.12 keeps the breach as a fact and takes it out of
the compensation and the on-time rate only, so TT-9.12 (and CS-21.5) entries resting on the breach stand; the
review board may still cancel or modify one with a reason (TT-12)."""

from __future__ import annotations

from services.penalty.adapters import exemptions, journal
from shared.events import Envelope
from shared.events.compensation import CompensationExemptionRecorded, CompensationExemptionVoided
from shared.messaging.unit_of_work import UnitOfWork


async def on_exemption_recorded(uow: UnitOfWork, event: Envelope) -> None:
    p: CompensationExemptionRecorded = event.payload  # type: ignore[assignment]
    await journal.record_events(uow.conn, [event])
    await exemptions.record(uow.conn, {
        "exemption_id": p.exemption_id, "ticket_id": p.ticket_id, "code": p.code, "cause": p.cause,
        "promise": p.promise, "rule_ids": list(p.rule_ids), "recorded_at": p.recorded_at})


async def on_exemption_voided(uow: UnitOfWork, event: Envelope) -> None:
    p: CompensationExemptionVoided = event.payload  # type: ignore[assignment]
    await journal.record_events(uow.conn, [event])
    await exemptions.void(uow.conn, p.exemption_id, p.voided_at, p.reason)


EXEMPTION_HANDLERS = {"CompensationExemptionRecorded": on_exemption_recorded,
                      "CompensationExemptionVoided": on_exemption_voided}
