"""Timer outcomes the scorecards count (RULEBOOK §9.11): one row per timer (ticket, rule family, round), met or late,
folded from sla_monitor's events in the order penalty applied them. Pure.

- SlaMet: met. SlaBreached: late (its lateness so far). SlaBreachClosed: late, with the time it finally stopped.
  SlaBreachRetracted: met again (the stop happened in time after all).
- A SlaBreached that finds the timer met leaves it met: the retraction was seen first (a redelivered or republished
  breach, a replay's order), and a breach never undoes its own retraction.
- Every event that changed the row is listed in its `event_ids`, in order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OUTCOME_EVENTS = ("SlaMet", "SlaBreached", "SlaBreachClosed", "SlaBreachRetracted")
LATE_EVENTS = ("SlaBreached", "SlaBreachClosed")
TimerRow = dict[str, Any]  # ticket_id, family, round, rule_id, department, person, deadline, outcome, actual, event_ids


def outcome_of(event_type: str, event_id: str, family: str, payload: Any) -> TimerRow:
    """What one SLA event says of its timer (`payload`: the event's SlaTimerEvent)."""
    return {"ticket_id": payload.ticket_id, "family": family, "round": payload.round, "rule_id": payload.rule_id,
            "department": payload.department, "person": payload.person, "deadline": payload.deadline,
            "outcome": "late" if event_type in LATE_EVENTS else "met", "actual": getattr(payload, "actual", None),
            "event_ids": [event_id]}


def timer_after(stored: Mapping[str, Any] | None, event_type: str, said: TimerRow) -> TimerRow:
    """The timer's row after one of its events, `said` being what the event says (`outcome_of`)."""
    if stored is None:
        return said
    event_ids = [*stored["event_ids"], *said["event_ids"]]
    if event_type == "SlaBreached":
        # late already: the breach is added to the evidence; met: a retraction seen first keeps it met
        return {**stored, "event_ids": event_ids} if stored["outcome"] == "late" else dict(stored)
    return {**said, "event_ids": event_ids}
