"""Lifecycle events -> timers: start, stop, pause, resume, re-match on reclassification, new round on reopen.

Field time is `envelope.occurred_at` everywhere (CT-3.3.2: the clock runs on the times recorded in the field).

`appointment` rules (CT-appointment-install, CT-2.4.1 / RULEBOOK §9.12) start from their start event's field
time once `AppointmentBooked` agrees a window, and follow an `AppointmentRebooked` made with the customer's
consent; the deadline is the window's end. Incident events (OutageDeclared/Restored) go to `incidents`.

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
from dataclasses import replace
from datetime import datetime

from services.sla_monitor.adapters import repository as repo
from services.sla_monitor.adapters.tables import observed
from services.sla_monitor.domain import timers as tm
from services.sla_monitor.domain.rules import select_rules
from services.sla_monitor.domain.ticket import ROUND_START, TicketContext, fold
from services.sla_monitor.domain.timers import Timer
from services.sla_monitor.service_layer import emit, incidents
from services.sla_monitor.service_layer.config import SlaConfig
from shared.events import Envelope
from shared.events.registry import REGISTRY
from shared.events.vocabulary import MissCause, PauseReason
from shared.events.topics import TOPICS
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy import TimerRule

CUSTOMER_SERVICE = "customer-service"  # RULEBOOK §9.3: callback clauses charge the CS platform
NO_SHOW = PauseReason.customer_not_home.value  # a no-show found on arrival pauses customer-pausable timers
_REMATCH = ("TicketReclassified", "TicketLinkedToIncident", "TicketCreated")
_RESPONSIBLE = ("TicketDispatched", "TicketRedispatched", "TicketAccepted")
_APPOINTMENT = ("AppointmentBooked", "AppointmentRebooked")  # CT-2.4.1: the agreed window sets the deadline


def responsible(rule: TimerRule, ctx: TicketContext) -> tuple[str | None, str | None]:
    """Department and person a breach of this rule is charged to (RULEBOOK §9.3)."""
    if "CallbackDone" in rule.stop:
        return CUSTOMER_SERVICE, None
    return ctx.department, ctx.person


async def on_lifecycle_event(uow: UnitOfWork, event: Envelope) -> None:
    """Record the fact (observed view) and apply it to the ticket's (or the incident's) timers."""
    await observed.record(uow, event)
    if event.type in incidents.INCIDENT_EVENTS:
        await incidents.apply(uow, uow.config, event)
    else:
        await apply(uow, uow.config, event)


async def apply(uow: UnitOfWork, cfg: SlaConfig, event: Envelope) -> None:
    """One lifecycle event against the ticket's context and timers, in the consumer's transaction."""
    at, name, conn = event.occurred_at, event.type, uow.conn
    payload = event.payload.model_dump(mode="json")
    ctx = fold(await repo.load_ticket(conn, event.ticket_id), name, payload, at)
    rules = {r.rule_id: r for r in cfg.rules}
    for t in await repo.ticket_timers(conn, event.ticket_id, lock=True):
        rule = rules.get(t.rule_id)
        if rule is None or t.status != "open":
            continue
        changed = await _step(uow, cfg, event, ctx, t, rule, payload.get("round"))
        if changed is not None:
            await repo.save_timer(conn, changed, cfg.grace)
    if name in _REMATCH:
        await _rematch(uow, cfg, ctx, event)
    elif name in _APPOINTMENT:  # an appointment family that waited for its window starts from its start event
        await _start_from_marks(uow, cfg, ctx, event.ticket_id)
    await _start(uow, cfg, ctx, event.ticket_id, ROUND_START.get(name, name), at)
    ctx = await _publish_due(uow, ctx, event)
    await repo.save_ticket(conn, event.ticket_id, ctx)


async def _publish_due(uow: UnitOfWork, ctx: TicketContext, event: Envelope) -> TicketContext:
    """Tell dispatch when the ticket's earliest running deadline moved (issue 8: `due_at`, `overdue`)."""
    due = tm.earliest_due(await repo.ticket_timers(uow.conn, event.ticket_id), ctx.round)
    due_at, due_rule = (due.deadline, due.rule_id) if due else (None, None)
    if (due_at, due_rule) == (ctx.due_at, ctx.due_rule):
        return ctx
    await emit.due_changed(uow, event.ticket_id, ctx.round, due, event)
    return replace(ctx, due_at=due_at, due_rule=due_rule)


async def _step(uow: UnitOfWork, cfg: SlaConfig, event: Envelope, ctx: TicketContext, t: Timer,
                rule: TimerRule, round_: object) -> Timer | None:
    """The change one event makes to one open timer, events emitted; None if untouched."""
    at, name = event.occurred_at, event.type
    if name in rule.stop and (round_ is None or round_ == t.round):
        return await _stop(uow, cfg, event, t, rule)
    if name == "TicketPaused":
        return tm.pause(t, rule, at, str(event.payload.reason.value))
    if name == "AppointmentMissed" and event.payload.cause is MissCause.customer:
        return tm.pause(t, rule, at, NO_SHOW)  # RULEBOOK §9.16: from the no-show until the rebooked window
    if name in _APPOINTMENT and t.paused_since is not None and t.pause_reason == NO_SHOW:
        t = tm.resume(t, rule, event.payload.window_start, cfg.calendars) or t
        return tm.reappoint(t, rule, ctx.appointment_end, cfg.calendars) or t if t.round == ctx.round else t
    if name == "TicketResumed":
        return tm.resume(t, rule, at, cfg.calendars)
    if name in _APPOINTMENT and t.round == ctx.round:
        return tm.reappoint(t, rule, ctx.appointment_end, cfg.calendars)
    if name in _RESPONSIBLE and tm.is_promise(rule) and t.round == ctx.round:
        moved = tm.repromise(t, rule, ctx.promised_due, cfg.calendars)
        if moved is not None:
            return moved
    if name in _RESPONSIBLE and t.round == ctx.round:
        dept, person = responsible(rule, ctx)
        return replace(t, department=dept, person=person)
    return None


async def _stop(uow: UnitOfWork, cfg: SlaConfig, event: Envelope, t: Timer, rule: TimerRule) -> Timer:
    at = event.occurred_at
    done = tm.stop(t, rule, at, cfg.calendars)
    if done.status == "met":
        if t.breached_at is not None:  # the stop reached us after the breach fired: undo it
            done = replace(done, retracted_at=uow.now())
            await emit.retracted(uow, done, at, event)
        await emit.met(uow, done, at, event)
    elif done.breached_at is None:
        sent = await emit.breach(uow, done, actual=at, now=uow.now(), cause=event)
        done = replace(done, breached_at=uow.now(), breach_event_id=sent.event_id, warned_at=done.warned_at or at)
    else:
        await emit.closed_late(uow, done, at, event)
    return done


async def _rematch(uow: UnitOfWork, cfg: SlaConfig, ctx: TicketContext, event: Envelope) -> None:
    """Attributes changed: switch open timers to the family's new best rule, keeping consumed time and pauses."""
    attrs = ctx.ticket_attrs()
    if attrs is None:
        return
    for t in await repo.ticket_timers(uow.conn, event.ticket_id, lock=True):
        if t.status != "open" or t.round != ctx.round:
            continue
        old = cfg.rule(t.rule_id)
        best = [r for r in select_rules(cfg.rules, attrs, start_event=t.start_event, start=t.start_at,
                                        calendars=cfg.calendars) if r.family_id == t.family]
        if not best:
            changed = replace(t, status="cancelled", stopped_at=event.occurred_at)
        elif best[0].rule_id == t.rule_id or (tm.needs_appointment(best[0]) and ctx.appointment_end is None):
            continue  # unchanged, or the window is not agreed yet: keep the running rule until it is
        else:
            changed = tm.switch(t, old, best[0], event.occurred_at, cfg.calendars, ctx.appointment_end)
        await repo.save_timer(uow.conn, changed, cfg.grace)
    await _start_from_marks(uow, cfg, ctx, event.ticket_id)


async def _start_from_marks(uow: UnitOfWork, cfg: SlaConfig, ctx: TicketContext,
                            ticket_id: uuid.UUID) -> None:
    """Families that newly apply start from their start event's field time (existing ones are kept)."""
    for start_event, mark in ctx.marks.items():
        await _start(uow, cfg, ctx, ticket_id, start_event, mark)


async def _start(uow: UnitOfWork, cfg: SlaConfig, ctx: TicketContext, ticket_id: uuid.UUID, start_event: str,
                 at: datetime) -> None:
    attrs = ctx.ticket_attrs()
    if attrs is None:
        return
    for rule in select_rules(cfg.rules, attrs, start_event=start_event, start=at, calendars=cfg.calendars):
        if tm.needs_appointment(rule) and ctx.appointment_end is None:
            continue  # CT-2.4.1: starts (from `at`) once AppointmentBooked agrees the window
        if tm.is_promise(rule) and ctx.promised_due is None:
            continue  # no due date set by hand: no internal promise timer
        dept, person = responsible(rule, ctx)
        end = ctx.appointment_end if tm.needs_appointment(rule) else ctx.promised_due if tm.is_promise(rule) else None
        timer = tm.start(rule, ticket_id, ctx.round, start_event, at, cfg.calendars, dept, person, end)
        await repo.insert_timer(uow.conn, timer, cfg.grace)


EVENT_HANDLERS = {name: on_lifecycle_event for name in REGISTRY.names_on(TOPICS.tickets)}
