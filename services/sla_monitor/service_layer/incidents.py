"""OutageDeclared / OutageRestored -> notice checks settled at once (RULEBOOK §7; TT-8.6, GX-5.4.4).

Dispatch publishes incident events with the envelope's `ticket_id` set to the incident id (one stream per
incident), so an incident's checks are stored and served under that id: GET /tickets/{incident_id}/timers.
Each check becomes a closed timer row (met or late) and an `SlaMet` or `SlaBreached` in the same transaction;
a redelivered event finds its row and emits nothing again.
"""

from __future__ import annotations

from dataclasses import replace

from services.sla_monitor.adapters import repository as repo
from services.sla_monitor.domain.incidents import OUTAGE, NoticeCheck, declared_attrs, notice_checks
from services.sla_monitor.domain.rules import TicketAttrs
from services.sla_monitor.domain.timers import Timer
from services.sla_monitor.service_layer import emit
from services.sla_monitor.service_layer.config import SlaConfig
from shared.events import Envelope
from shared.messaging.unit_of_work import UnitOfWork

INCIDENT_EVENTS = ("OutageDeclared", "OutageRestored")


def _timer(check: NoticeCheck, event: Envelope, person: str | None) -> Timer:
    return Timer(ticket_id=event.ticket_id, family=check.rule.family_id, rule_id=check.rule.rule_id,
                 round=check.round, start_event=event.type, start_at=check.start, deadline=check.deadline,
                 warning_at=check.deadline, calendar=check.calendar, status="met" if check.met else "late",
                 provisional=check.provisional, person=person, stopped_at=check.actual)


async def apply(uow: UnitOfWork, cfg: SlaConfig, event: Envelope) -> None:
    """Settle every notice rule the incident event decides, once."""
    conn, payload = uow.conn, event.payload.model_dump(mode="json")
    ctx = await repo.load_ticket(conn, event.ticket_id)
    if event.type == "OutageDeclared":
        ctx = replace(ctx, attrs=declared_attrs(payload))
    attrs = ctx.ticket_attrs() or TicketAttrs(kind=OUTAGE)
    seen = {(t.family, t.round) for t in await repo.ticket_timers(conn, event.ticket_id, lock=True)}
    for check in notice_checks(event.type, payload, attrs, cfg.policy.timers, cfg.calendars):
        timer = _timer(check, event, payload.get("actor"))
        if (timer.family, timer.round) in seen:
            continue
        if check.met:
            await emit.met(uow, timer, check.actual, event)
        else:
            sent = await emit.breach(uow, timer, actual=check.actual, now=uow.now(), cause=event)
            timer = replace(timer, breached_at=uow.now(), breach_event_id=sent.event_id)
        await repo.insert_timer(conn, timer, cfg.grace)
    await repo.save_ticket(conn, event.ticket_id, ctx)
