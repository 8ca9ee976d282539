"""SLA timer events published by sla_monitor on gongdan.sla (RULEBOOK §4 Clocks)."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS


class SlaTimerEvent(Payload):
    """What identifies one timer: the rule, the ticket and the round (a reopen starts round n+1)."""

    rule_id: str
    ticket_id: uuid.UUID
    round: int = Field(ge=1)
    department: str | None = Field(description="Responsible department (RULEBOOK §9.3)")
    person: str | None = Field(description="Responsible technician or handler, when known")
    start: AwareDatetime
    deadline: AwareDatetime
    paused_seconds: int = Field(ge=0, description="Customer-caused pause time excluded from the clock")
    calendar: str = Field(description="Calendar the deadline was computed on; 'natural' for elapsed rules")
    provisional: bool = Field(description="Deadline uses guessed working days (a year the calendar does not know)")


@REGISTRY.register("SlaWarning", 1, TOPICS.sla)
class SlaWarning(SlaTimerEvent):
    """The rule's warning fraction (default 80%) of the allowance is consumed and the timer is still open."""

    warning_at: AwareDatetime


@REGISTRY.register("SlaBreached", 1, TOPICS.sla)
class SlaBreached(SlaTimerEvent):
    """The deadline passed; emitted once per timer. `actual` is set when the stop event itself came late."""

    actual: AwareDatetime | None = Field(description="When the stop event happened, if it already did")
    still_open_at: AwareDatetime | None = Field(description="When the monitor found the timer still open")
    overdue_minutes: int = Field(ge=0, description="Started minutes past the deadline at `actual`/`still_open_at`")
    overdue_hours: int = Field(ge=0, description="Started hours (TT-9.12, RULEBOOK §9.2)")
    overdue_days: int = Field(ge=0, description="Started days (NJ-4.3.2b/d)")


@REGISTRY.register("SlaMet", 1, TOPICS.sla)
class SlaMet(SlaTimerEvent):
    """The stop event happened at or before the deadline (RULEBOOK §9.1 inclusive)."""

    actual: AwareDatetime


@REGISTRY.register("SlaBreachClosed", 1, TOPICS.sla)
class SlaBreachClosed(SlaTimerEvent):
    """A breached timer finally stopped: the final overdue amount, for per-hour/per-day penalties (§9.2)."""

    breach_event_id: uuid.UUID | None
    actual: AwareDatetime
    overdue_minutes: int = Field(ge=0)
    overdue_hours: int = Field(ge=0)
    overdue_days: int = Field(ge=0)


@REGISTRY.register("SlaBreachRetracted", 1, TOPICS.sla)
class SlaBreachRetracted(SlaTimerEvent):
    """A breach was emitted but the stop event, arriving late, happened in time: downstream must undo it."""

    breach_event_id: uuid.UUID
    actual: AwareDatetime
    reason: str = "stop event arrived after the breach fired but occurred before the deadline"


@REGISTRY.register("TicketDueChanged", 1, TOPICS.sla)
class TicketDueChanged(Payload):
    """The ticket's earliest open, running deadline moved (a timer started, stopped, paused, resumed or changed
    rule): what dispatch shows as `due_at` and filters `overdue` on. None when no timer is running."""

    ticket_id: uuid.UUID
    round: int = Field(ge=1)
    due_at: AwareDatetime | None
    rule_id: str | None = Field(description="The rule whose deadline it is (GD-promised-due: the dispatcher's own)")
