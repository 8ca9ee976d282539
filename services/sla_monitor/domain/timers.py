"""A durable timer and the pure decisions on it: start, pause, resume, switch rule, stop, fire (RULEBOOK §4)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from services.sla_monitor.domain.calendar import Span, WorkingCalendar
from services.sla_monitor.domain.clocks import measure
from services.sla_monitor.domain.deadlines import (
    DeadlineResult,
    Lateness,
    carry_over,
    clock_for,
    compute_deadline,
    lateness,
)
from services.sla_monitor.domain.notices import calendar_id
from services.sla_monitor.domain.rules import Pause
from shared.policy.schema import (
    AheadOfDeadline,
    AppointmentDeadline,
    ElapsedDeadline,
    PromisedDeadline,
    TimerRule,
)

Calendars = Mapping[str, WorkingCalendar]
Status = Literal["open", "met", "late", "cancelled"]
Action = Literal["warning", "breach"]


@dataclass(frozen=True)
class Timer:
    """One timer of one rule family for one ticket round; `status` open until its stop event."""

    ticket_id: uuid.UUID
    family: str
    rule_id: str
    round: int
    start_event: str
    start_at: datetime
    deadline: datetime
    warning_at: datetime
    calendar: str
    status: Status = "open"
    provisional: bool = False
    pauses: tuple[Pause, ...] = ()
    paused_since: datetime | None = None
    pause_reason: str | None = None
    switched_at: datetime | None = None
    consumed: timedelta | None = None
    department: str | None = None
    person: str | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    breach_event_id: uuid.UUID | None = None
    stopped_at: datetime | None = None
    retracted_at: datetime | None = None
    appointment_end: datetime | None = None
    id: int | None = None

    def spans(self, until: datetime | None = None) -> tuple[Span, ...]:
        """Closed pause spans, plus the open pause clipped at `until` when given."""
        closed = tuple((p.start, p.end) for p in self.pauses)
        if until is not None and self.paused_since is not None and until > self.paused_since:
            return (*closed, (self.paused_since, until))
        return closed

    def paused_total(self, at: datetime) -> timedelta:
        """Natural time paused so far (the open pause counted up to `at`)."""
        return sum((b - a for a, b in self.spans(at)), timedelta(0))

    def view_state(self) -> str:
        """running | paused | breached (still open) | met | late | cancelled."""
        if self.status != "open":
            return self.status
        if self.breached_at is not None:
            return "breached"
        return "paused" if self.paused_since is not None else "running"


def runnable(rule: TimerRule) -> bool:
    """Rules a running timer can serve; ahead-of notices are one-shot checks (service_layer.incidents)."""
    return not isinstance(rule.deadline, AheadOfDeadline)


def needs_appointment(rule: TimerRule) -> bool:
    """An `appointment` rule cannot start before a visit window is agreed (CT-2.4.1, RULEBOOK §9.12)."""
    return isinstance(rule.deadline, AppointmentDeadline)


def is_promise(rule: TimerRule) -> bool:
    """The internal timer of a due date a dispatcher set by hand (issue 8): its end is the promised date."""
    return isinstance(rule.deadline, PromisedDeadline)


def earliest_due(timers: list[Timer], round_: int) -> Timer | None:
    """The open, running timer of the current round with the earliest deadline: the ticket's `due_at`."""
    running = [t for t in timers if t.status == "open" and t.round == round_ and t.paused_since is None]
    return min(running, key=lambda t: (t.deadline, t.rule_id), default=None)


def calendar_name(rule: TimerRule) -> str:
    """The calendar a rule is evaluated on; elapsed rules run on natural time."""
    return "natural" if isinstance(rule.deadline, ElapsedDeadline) else calendar_id(rule.deadline)


def evaluate(t: Timer, rule: TimerRule, cals: Calendars) -> DeadlineResult:
    """Deadline of the timer under `rule`, closed pauses credited, consumed time carried over a switch."""
    spans, end = t.spans(), t.appointment_end
    if t.switched_at is None or t.consumed is None:
        return compute_deadline(rule.deadline, t.start_at, cals, spans, appointment_end=end)
    return carry_over(rule.deadline, t.start_at, t.consumed, t.switched_at, cals, spans, appointment_end=end)


def reschedule(t: Timer, rule: TimerRule, cals: Calendars) -> Timer:
    """Recompute deadline, warning instant and provisional flag after a change."""
    result = evaluate(t, rule, cals)
    return replace(t, rule_id=rule.rule_id, deadline=result.deadline, provisional=result.provisional,
                   warning_at=result.warning_at(rule.warning), calendar=calendar_name(rule))


def start(rule: TimerRule, ticket_id: uuid.UUID, round_: int, event: str, at: datetime, cals: Calendars,
          department: str | None = None, person: str | None = None,
          appointment_end: datetime | None = None) -> Timer:
    """A new open timer started by `event` at `at` (field time); `appointment` rules need its end. Its
    deadline is what `reschedule` gives a timer with no pauses and no switch, worked out before it exists."""
    result = compute_deadline(rule.deadline, at, cals, appointment_end=appointment_end)
    return Timer(ticket_id=ticket_id, family=rule.family_id, rule_id=rule.rule_id, round=round_,
                 start_event=event, start_at=at, deadline=result.deadline,
                 warning_at=result.warning_at(rule.warning), calendar=calendar_name(rule),
                 provisional=result.provisional, department=department, person=person,
                 appointment_end=appointment_end)


def pause(t: Timer, rule: TimerRule, at: datetime, reason: str) -> Timer | None:
    """Open a pause if the rule excludes this reason (RULEBOOK §4 Pause); None when nothing changes."""
    if t.status != "open" or t.paused_since is not None or reason not in rule.pause.reasons:
        return None
    return replace(t, paused_since=at, pause_reason=reason)


def resume(t: Timer, rule: TimerRule, at: datetime, cals: Calendars) -> Timer | None:
    """Close the open pause at `at` and move the deadline by the paused working time."""
    if t.status != "open" or t.paused_since is None:
        return None
    closed = Pause(t.paused_since, max(at, t.paused_since), t.pause_reason or "")
    return reschedule(replace(t, pauses=(*t.pauses, closed), paused_since=None, pause_reason=None), rule, cals)


def switch(t: Timer, old: TimerRule, new: TimerRule, at: datetime, cals: Calendars,
           appointment_end: datetime | None = None) -> Timer:
    """A different rule of the family now matches: keep consumed time and pauses (RULEBOOK §4, classic trap)."""
    t = replace(t, appointment_end=appointment_end or t.appointment_end)
    clock = clock_for(old.deadline, cals)
    spans = t.spans(at)
    if t.switched_at is None or t.consumed is None:
        consumed = measure(clock, t.start_at, at, spans)
    else:
        consumed = t.consumed + measure(clock, t.switched_at, at, spans)
    return reschedule(replace(t, switched_at=at, consumed=consumed), new, cals)


def stop(t: Timer, rule: TimerRule, at: datetime, cals: Calendars) -> Timer:
    """The stop event happened at `at`: met when at or before the deadline (§9.1 inclusive), else late."""
    if t.paused_since is not None:
        t = resume(t, rule, at, cals) or t
    met = at <= t.deadline
    return replace(t, status="met" if met else "late", stopped_at=at)


def reappoint(t: Timer, rule: TimerRule, end: datetime | None, cals: Calendars) -> Timer | None:
    """The agreed window moved (AppointmentRebooked with consent): an `appointment` deadline follows it."""
    if t.status != "open" or end is None or not needs_appointment(rule) or end == t.appointment_end:
        return None
    return reschedule(replace(t, appointment_end=end), rule, cals)


def repromise(t: Timer, rule: TimerRule, end: datetime | None, cals: Calendars) -> Timer | None:
    """A redispatch promised another date: the internal promise timer follows it (policy timers never do)."""
    if t.status != "open" or end is None or not is_promise(rule) or end == t.appointment_end:
        return None
    return reschedule(replace(t, appointment_end=end), rule, cals)


def remaining(t: Timer, rule: TimerRule, at: datetime, cals: Calendars) -> timedelta:
    """Allowance left at `at` on the rule's own clock (business, in-window, working days); frozen if paused."""
    return evaluate(t, rule, cals).remaining(t.paused_since or at)


def overdue(t: Timer, at: datetime) -> Lateness:
    """Natural lateness at `at`, customer pauses after the deadline subtracted (§9.2)."""
    return lateness(t.deadline, at, tuple(sorted(t.spans(at))))


def due_at(t: Timer, grace: timedelta) -> datetime | None:
    """Next instant the scanner must look at this timer; None when open-paused or closed."""
    if t.status != "open" or t.paused_since is not None or t.breached_at is not None:
        return None
    if t.warned_at is None and t.warning_at < t.deadline:
        return t.warning_at
    return t.deadline + grace


def fire(t: Timer, now: datetime, grace: timedelta) -> tuple[Timer, Action | None]:
    """What the scanner does at `now`: breach after deadline + grace, else warn after the warning instant."""
    if t.status != "open" or t.paused_since is not None or t.breached_at is not None:
        return t, None
    if now >= t.deadline + grace:
        return replace(t, breached_at=now, warned_at=t.warned_at or now), "breach"
    if t.warned_at is None and now >= t.warning_at:
        return replace(t, warned_at=now), "warning"
    return t, None
