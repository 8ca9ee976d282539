"""The SLA monitor's pure core: one lifecycle event against a ticket's context and timers → the new context, the
timers to write and the SLA events to emit, in order (load → decide → save and emit; cf. dispatch's `decide`).

Field time is the event's `occurred_at` everywhere (CT-3.3.2: the clock runs on the times recorded in the field).

`appointment` rules (CT-appointment-install, CT-2.4.1 / RULEBOOK §9.12) start from their start event's field
time once `AppointmentBooked` agrees a window, and follow an `AppointmentRebooked` made with the customer's
consent; the deadline is the window's end. The internal `GD-promised-due` timer follows the due date a dispatcher
set by hand (issue 8).

Late-arriving stop events (Decision, issue 4): the scanner holds a breach for `GONGDAN_SLA_BREACH_GRACE`
(default 2 min) past the deadline, so a stop still in transit normally lands first and no breach is emitted.
A stop that arrives after the breach fired but *occurred* at or before the deadline closes the timer as met
and emits `SlaBreachRetracted` (naming the breach event) followed by `SlaMet`; downstream services must undo
what they did for that breach. A stop that occurred after the deadline but before the breach fired emits the
breach itself, carrying `actual`. A stop after an emitted breach emits `SlaBreachClosed` with the final
overdue amount.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from services.sla_monitor.domain import timers as tm
from services.sla_monitor.domain.calendar import WorkingCalendar
from services.sla_monitor.domain.rules import RuleSet, rule_set, select_rules
from services.sla_monitor.domain.ticket import ROUND_START, TicketContext, fold
from services.sla_monitor.domain.timers import Timer
from shared.events.vocabulary import MissCause, PauseReason
from shared.policy import TimerRule

CUSTOMER_SERVICE = "customer-service"  # RULEBOOK §9.3: callback clauses charge the CS platform
NO_SHOW = PauseReason.customer_not_home.value  # RULEBOOK §9.16: a no-show pauses customer-pausable timers
_REMATCH = ("TicketReclassified", "TicketLinkedToIncident", "TicketCreated")
_RESPONSIBLE = ("TicketDispatched", "TicketRedispatched", "TicketAccepted")
_APPOINTMENT = ("AppointmentBooked", "AppointmentRebooked")  # CT-2.4.1: the agreed window sets the deadline

Key = tuple[str, int]  # (family, round): one timer per rule family and round
Calendars = dict[str, WorkingCalendar]


@dataclass(frozen=True)
class Fact:
    """A lifecycle event as the monitor reads it."""

    type: str
    payload: dict[str, Any]  # JSON form
    at: datetime  # field time (occurred_at)


@dataclass(frozen=True)
class Emit:
    """An SLA event to publish for a timer (`due` publishes the ticket's earliest running deadline)."""

    kind: Literal["met", "breach", "retracted", "closed_late", "due"]
    key: Key | None = None
    at: datetime | None = None  # when the stop happened


@dataclass
class Decision:
    ticket_id: uuid.UUID
    ctx: TicketContext
    timers: dict[Key, Timer]
    changed: list[Key] = field(default_factory=list)  # existing rows to update, in order
    started: list[Key] = field(default_factory=list)  # new rows to insert
    emits: list[Emit] = field(default_factory=list)

    def put(self, t: Timer, *, new: bool = False) -> None:
        key = (t.family, t.round)
        self.timers[key] = t
        bucket = self.started if new or key in self.started else self.changed
        if key not in bucket:
            bucket.append(key)


def responsible(rule: TimerRule, ctx: TicketContext) -> tuple[str | None, str | None]:
    """Department and person a breach of this rule is charged to (RULEBOOK §9.3)."""
    if "CallbackDone" in rule.stop:
        return CUSTOMER_SERVICE, None
    return ctx.department, ctx.person


def decide(ticket_id: uuid.UUID, before: TicketContext, timers: list[Timer], fact: Fact,
           rules: tuple[TimerRule, ...], calendars: Calendars, now: datetime) -> Decision:
    """What one lifecycle event does to the ticket's timers (every round), as of server time `now`."""
    rules = rule_set(rules)
    ctx = fold(before, fact.type, fact.payload, fact.at)
    d = Decision(ticket_id, ctx, {(t.family, t.round): t for t in timers})
    for key, t in list(d.timers.items()):
        rule = rules.by_id.get(t.rule_id)
        if rule is not None and t.status == "open":
            _step(d, fact, t, rule, calendars, now)
    if fact.type in _REMATCH:
        _rematch(d, fact, rules, calendars)
    if fact.type in _REMATCH or fact.type in _APPOINTMENT:  # an appointment family that waited for
        _start_from_marks(d, rules, calendars)  # its window starts now; the marks hold this event's (`fold`)
    else:
        _start(d, rules, calendars, ROUND_START.get(fact.type, fact.type), fact.at)
    _due(d)
    return d


def _step(d: Decision, fact: Fact, t: Timer, rule: TimerRule, cals: Calendars, now: datetime) -> None:
    """The change one event makes to one open timer."""
    ctx, name, at, payload = d.ctx, fact.type, fact.at, fact.payload
    round_ = payload.get("round")
    if name in rule.stop and (round_ is None or round_ == t.round):
        return _stop(d, t, rule, at, cals, now)
    changed: Timer | None = None
    if name == "TicketPaused":
        changed = tm.pause(t, rule, at, str(payload["reason"]))
    elif name == "TicketResumed":
        changed = tm.resume(t, rule, at, cals)
    elif name == "AppointmentMissed" and payload.get("cause") == MissCause.customer.value:
        changed = tm.pause(t, rule, at, NO_SHOW)  # RULEBOOK §9.16: from the no-show until the rebooked window
    elif name in _APPOINTMENT and t.paused_since is not None and t.pause_reason == NO_SHOW:
        resumed = tm.resume(t, rule, datetime.fromisoformat(str(payload["window_start"])), cals) or t
        moved = tm.reappoint(resumed, rule, ctx.appointment_end, cals) if t.round == ctx.round else None
        changed = moved or resumed
    elif name in _APPOINTMENT and t.round == ctx.round:
        changed = tm.reappoint(t, rule, ctx.appointment_end, cals)
    elif name in _RESPONSIBLE and t.round == ctx.round:
        moved = tm.repromise(t, rule, ctx.promised_due, cals) if tm.is_promise(rule) else None
        dept, person = responsible(rule, ctx)
        changed = replace(moved or t, department=dept, person=person)
    if changed is not None:
        d.put(changed)


def _stop(d: Decision, t: Timer, rule: TimerRule, at: datetime, cals: Calendars, now: datetime) -> None:
    done = tm.stop(t, rule, at, cals)
    key = (t.family, t.round)
    if done.status == "met":
        if t.breached_at is not None:  # the stop reached us after the breach fired: undo it
            done = replace(done, retracted_at=now)
            d.emits.append(Emit("retracted", key, at))
        d.emits.append(Emit("met", key, at))
    elif done.breached_at is None:
        done = replace(done, breached_at=now, warned_at=done.warned_at or at)  # its event id is set on emission
        d.emits.append(Emit("breach", key, at))
    else:
        d.emits.append(Emit("closed_late", key, at))
    d.put(done)


def _rematch(d: Decision, fact: Fact, rules: RuleSet, cals: Calendars) -> None:
    """Attributes changed: switch open timers to the family's new best rule, keeping consumed time and pauses."""
    ctx = d.ctx
    attrs = ctx.ticket_attrs()
    if attrs is None:
        return
    for t in list(d.timers.values()):
        if t.status != "open" or t.round != ctx.round or t.rule_id not in rules.by_id:
            continue
        best = [r for r in select_rules(rules, attrs, start_event=t.start_event, start=t.start_at, calendars=cals)
                if r.family_id == t.family]
        if not best:
            d.put(replace(t, status="cancelled", stopped_at=fact.at))
        elif best[0].rule_id == t.rule_id or (tm.needs_appointment(best[0]) and ctx.appointment_end is None):
            continue  # unchanged, or the window is not agreed yet: keep the running rule until it is
        else:
            d.put(tm.switch(t, rules.by_id[t.rule_id], best[0], fact.at, cals, ctx.appointment_end))


def _start_from_marks(d: Decision, rules: RuleSet, cals: Calendars) -> None:
    """Families that newly apply start from their start event's field time (existing ones are kept)."""
    for start_event, mark in d.ctx.marks.items():
        _start(d, rules, cals, start_event, mark)


def _start(d: Decision, rules: RuleSet, cals: Calendars, start_event: str, at: datetime) -> None:
    ctx = d.ctx
    attrs = ctx.ticket_attrs()
    if attrs is None:
        return
    for rule in select_rules(rules, attrs, start_event=start_event, start=at, calendars=cals):
        if (rule.family_id, ctx.round) in d.timers:
            continue  # one timer per family and round
        if tm.needs_appointment(rule) and ctx.appointment_end is None:
            continue  # CT-2.4.1: starts (from `at`) once AppointmentBooked agrees the window
        if tm.is_promise(rule) and ctx.promised_due is None:
            continue  # no due date set by hand: no internal promise timer
        dept, person = responsible(rule, ctx)
        end = ctx.appointment_end if tm.needs_appointment(rule) else ctx.promised_due if tm.is_promise(rule) else None
        d.put(tm.start(rule, d.ticket_id, ctx.round, start_event, at, cals, dept, person, end), new=True)


def _due(d: Decision) -> None:
    """Issue 8: the ticket's earliest running deadline moved → tell dispatch (`due_at`, `overdue`)."""
    due = tm.earliest_due(list(d.timers.values()), d.ctx.round)
    due_at, due_rule = (due.deadline, due.rule_id) if due else (None, None)
    if (due_at, due_rule) != (d.ctx.due_at, d.ctx.due_rule):
        d.ctx = replace(d.ctx, due_at=due_at, due_rule=due_rule)
        d.emits.append(Emit("due", (due.family, due.round) if due else None))
