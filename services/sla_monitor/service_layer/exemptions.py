"""Compensation's exemption announcements -> sla_monitor's record of them (RULEBOOK §9.12): the timers API
annotates a ticket's standing breaches `exempt` while one stands (services/sla_monitor/domain/exemptions.py).
Applied in the consumer's transaction, through its inbox: exactly once."""

from __future__ import annotations

from services.sla_monitor.adapters import repository as repo
from shared.events import Envelope
from shared.events.compensation import CompensationExemptionRecorded, CompensationExemptionVoided
from shared.messaging.unit_of_work import UnitOfWork


async def on_exemption_recorded(uow: UnitOfWork, event: Envelope) -> None:
    p: CompensationExemptionRecorded = event.payload  # type: ignore[assignment]
    await repo.record_exemption(uow.conn, {
        "exemption_id": p.exemption_id, "ticket_id": p.ticket_id, "code": p.code, "cause": p.cause,
        "promise": p.promise, "rule_ids": list(p.rule_ids), "note": p.note, "automatic": p.automatic,
        "clause": p.clause, "recorded_at": p.recorded_at})


async def on_exemption_voided(uow: UnitOfWork, event: Envelope) -> None:
    p: CompensationExemptionVoided = event.payload  # type: ignore[assignment]
    await repo.void_exemption(uow.conn, p.exemption_id, p.voided_at, p.reason, p.clause)


EXEMPTION_HANDLERS = {"CompensationExemptionRecorded": on_exemption_recorded,
                      "CompensationExemptionVoided": on_exemption_voided}
