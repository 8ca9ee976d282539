"""What the SLA monitor knows of a ticket: attributes rules match on, responsible party, round, start marks."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.sla_monitor.domain.rules import TicketAttrs
from services.sla_monitor.domain.work_items import opened_attrs
from shared.events.classification import classification_change
from shared.events.vocabulary import SameDay

_ATTRS = ("kind", "segment", "product", "area", "channel", "priority")
# A reopen (NJ-4.2.3 / GX-5.1.5) opens round n+1 of the timers that apply after dispatch (RULEBOOK §4).
ROUND_START = {"TicketReopened": "TicketDispatched"}
_RESPONSIBLE = ("TicketDispatched", "TicketRedispatched", "TicketAccepted", "TicketReopened")


@dataclass(frozen=True)
class TicketContext:
    """Folded from lifecycle events; `marks` holds the field time of each start event of the current round."""

    attrs: dict[str, Any] = field(default_factory=dict)
    round: int = 1
    department: str | None = None
    person: str | None = None
    marks: dict[str, datetime] = field(default_factory=dict)
    appointment_end: datetime | None = None
    promised_due: datetime | None = None  # the due date the dispatcher set by hand, if any (issue 8)
    due_at: datetime | None = None  # the earliest open deadline last published (TicketDueChanged)
    due_rule: str | None = None

    def ticket_attrs(self) -> TicketAttrs | None:
        """Attributes for rule matching; None until the ticket's kind is known."""
        if not self.attrs.get("kind"):
            return None
        return TicketAttrs(
            kind=str(self.attrs["kind"]),
            **{name: self.attrs.get(name) for name in _ATTRS[1:]},
            linked_incident=bool(self.attrs.get("linked_incident")),
            flags=frozenset(self.attrs.get("flags") or ()),
        )


def _matchable(change: dict[str, Any]) -> dict[str, Any]:
    """Attributes rules match on, out of a classification change (area_type is the area)."""
    out = {name: change[name] for name in _ATTRS if change.get(name) is not None}
    if change.get("area_type") is not None:
        out["area"] = change["area_type"]
    if change.get("same_day") is not None:  # CT-2.4: the same-day flags the CT rules match on
        out["flags"] = [SameDay(change["same_day"]).flag]
    return out


def fold(ctx: TicketContext, event_type: str, payload: dict[str, Any], at: datetime) -> TicketContext:
    """Apply one lifecycle event (payload as JSON-able dict) at field time `at`."""
    attrs, marks = dict(ctx.attrs), dict(ctx.marks)
    dept, person, round_ = ctx.department, ctx.person, ctx.round
    if change := classification_change(event_type, payload):
        attrs.update(_matchable(change))
    elif event_type == "TicketLinkedToIncident":
        attrs["linked_incident"] = True
    elif (opened := opened_attrs(event_type, payload)) is not None:  # a fault, mail or forum post (issue 8)
        attrs.update(opened)
        dept = payload.get("department")
    if event_type in _RESPONSIBLE:
        dept = payload.get("department") or dept
        person = payload.get("technician") or (person if event_type == "TicketAccepted" else None)
    if event_type == "TicketReopened":
        round_ = int(payload["round"])
        marks = {}
    marks[ROUND_START.get(event_type, event_type)] = at
    return replace(ctx, attrs=attrs, marks=marks, department=dept, person=person, round=round_,
                   appointment_end=_appointment_end(ctx.appointment_end, event_type, payload),
                   promised_due=_promised_due(ctx.promised_due, event_type, payload))


def _promised_due(current: datetime | None, event_type: str, payload: dict[str, Any]) -> datetime | None:
    """The dispatcher's due date: set at (re)dispatch when given; a reopen clears it."""
    if event_type in ("TicketDispatched", "TicketRedispatched") and payload.get("due_at"):
        return datetime.fromisoformat(str(payload["due_at"]))
    return None if event_type == "TicketReopened" else current


def _appointment_end(current: datetime | None, event_type: str, payload: dict[str, Any]) -> datetime | None:
    """The agreed window's end (CT-2.4.1, §9.12): booked, or rebooked with consent; a reopen clears it."""
    consented = event_type == "AppointmentRebooked" and bool(payload.get("customer_consent"))
    if event_type == "AppointmentBooked" or consented:
        return datetime.fromisoformat(str(payload["window_end"]))
    return None if event_type == "TicketReopened" else current
