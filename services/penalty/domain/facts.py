"""What the penalty service knows of a ticket (or an incident), folded from the lifecycle events it consumed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.events.classification import classification_change


@dataclass(frozen=True)
class Escalation:
    """One escalation complaint (TT-9bis) on the ticket."""

    nth: int
    event_id: str
    at: datetime
    responsible_department: str | None


@dataclass(frozen=True)
class TicketFacts:
    kind: str | None = None
    segment: str | None = None
    product: str | None = None
    priority: str | None = None
    department: str | None = None  # the department the ticket is dispatched to now
    person: str | None = None  # its technician or handler
    dispatched_by: str | None = None
    churned_by_complaint: bool = False
    delay_reports: tuple[datetime, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    publishing_department: str | None = None  # incidents (TT-8.6, NJ-4.3.2c)
    notice_actor: str | None = None

    def attrs(self) -> dict[str, str | None]:
        return {"kind": self.kind, "segment": self.segment, "product": self.product, "priority": self.priority}


_CLASSIFIED = ("kind", "segment", "product", "priority")


def fold(events: list[tuple[str, str, datetime, dict[str, Any]]]) -> TicketFacts:
    """Facts from (type, event id, occurred_at, payload) in the order they happened."""
    facts = TicketFacts()
    for name, event_id, at, p in events:
        facts = apply(facts, name, event_id, at, p)
    return facts


def apply(f: TicketFacts, name: str, event_id: str, at: datetime, p: dict[str, Any]) -> TicketFacts:
    if name in ("TicketCreated", "TicketReclassified"):
        change = classification_change(name, p)
        return replace(f, **{k: v for k, v in change.items() if k in _CLASSIFIED})
    if name in ("TicketDispatched", "TicketRedispatched", "TicketReopened"):
        return replace(f, department=p.get("department") or f.department, person=p.get("technician"),
                       dispatched_by=p.get("actor") if name != "TicketReopened" else f.dispatched_by)
    if name == "TicketAccepted":
        return replace(f, department=p.get("department") or f.department, person=p.get("technician") or f.person)
    if name == "DelayReported":
        return replace(f, delay_reports=(*f.delay_reports, at))
    if name == "CustomerChurned" and p.get("caused_by_complaint"):
        return replace(f, churned_by_complaint=True)
    if name == "EscalationComplaintReceived":
        esc = Escalation(p["nth"], event_id, at, p.get("responsible_department"))
        return replace(f, escalations=(*f.escalations, esc))
    if name == "OutageDeclared":
        return replace(f, publishing_department=p.get("publishing_department"), notice_actor=p.get("actor"))
    return f

