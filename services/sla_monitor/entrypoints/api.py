"""SLA monitor HTTP API: timers of a ticket, at-risk and breached lists, per-rule achievement, policy status."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from services.sla_monitor.adapters import queries
from services.sla_monitor.adapters.repository import count_provisional_open, exemptions_of, ticket_timers
from services.sla_monitor.domain.calendar import CHINA_YEARS
from services.sla_monitor.domain.exemptions import Exemption, exempt_annotation
from services.sla_monitor.domain.timers import Timer, remaining
from services.sla_monitor.service_layer.config import SlaConfig
from shared import limits
from shared.http.auth import Principal, Role, require
from shared.http.errors import DomainError
from shared.inputs import Instant, Line
from shared.service import RuntimeDep

router = APIRouter(tags=["sla"])
Reader = Annotated[Principal, Depends(require(Role.OPS, Role.DISPATCHER))]
RuleQ = Annotated[Line(limits.RULE_ID) | None, Query(description="Only this rule id, e.g. TT-repair-22h")]
DeptQ = Annotated[Line(limits.DEPARTMENT) | None, Query(description="Only timers charged to this department")]
LimitQ = Annotated[int, Query(ge=1, le=1000)]


def remaining_seconds(t: Timer, now: datetime, cfg: SlaConfig) -> int | None:
    """Allowance left on the rule's own clock (business / in-window / working days), frozen while paused;
    negative once late. Natural time when the policy no longer has the rule; None when the timer is closed."""
    if t.status != "open":
        return None
    try:
        rule = cfg.rule(t.rule_id)
    except KeyError:
        return int((t.deadline - (t.paused_since or now)).total_seconds())
    return int(remaining(t, rule, now, cfg.calendars).total_seconds())


def family_of(cfg: SlaConfig) -> Callable[[str], str | None]:
    """A rule id's family under the policy in force (None for a rule it does not have)."""
    families = {r.rule_id: r.family_id for r in cfg.rules}
    return families.get


def timer_view(t: Timer, now: datetime, cfg: SlaConfig,
               exemptions: dict[uuid.UUID, list[Exemption]] | None = None) -> dict[str, Any]:
    """A timer as JSON (remaining time measured on the rule's clock, see remaining_seconds). `exempt`: the
    exemption from customer compensation its standing breach is annotated with ("late, exempt", RULEBOOK §9.12),
    else null."""
    exempt = exempt_annotation(t, (exemptions or {}).get(t.ticket_id, []), family_of(cfg))
    return {
        "rule_id": t.rule_id, "family": t.family, "round": t.round, "state": t.view_state(),
        "start": t.start_at.isoformat(), "deadline": t.deadline.isoformat(), "warning_at": t.warning_at.isoformat(),
        "remaining_seconds": remaining_seconds(t, now, cfg),
        "paused": t.paused_since is not None, "paused_seconds": int(t.paused_total(now).total_seconds()),
        "provisional": t.provisional, "calendar": t.calendar, "department": t.department, "person": t.person,
        "warned_at": t.warned_at and t.warned_at.isoformat(),
        "breached_at": t.breached_at and t.breached_at.isoformat(),
        "stopped_at": t.stopped_at and t.stopped_at.isoformat(), "retracted": t.retracted_at is not None,
        "breach_event_id": t.breach_event_id and str(t.breach_event_id), "ticket_id": str(t.ticket_id),
        "exempt": exempt,
    }


@router.get("/tickets/{ticket_id}/timers", summary="Every SLA timer of a ticket, all rounds")
async def ticket_timer_list(ticket_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    """Each timer with its state; a breach of a ticket exempt from customer compensation (CT-3.2) stays a breach
    and carries `exempt` (reason code, cause, clause) while the exemption stands (RULEBOOK §9.12)."""
    async with rt.engine.connect() as conn:
        timers = await ticket_timers(conn, ticket_id)
        exemptions = await exemptions_of(conn, [ticket_id])
    if not timers:
        raise DomainError(404, f"no SLA timers for ticket {ticket_id} (yet)")
    now = rt.clock.now()
    return {"ticket_id": str(ticket_id), "timers": [timer_view(t, now, rt.config, exemptions) for t in timers]}


@router.get("/timers/at-risk", summary="Open timers past their warning point or due soon")
async def at_risk(rt: RuntimeDep, _: Reader, rule_id: RuleQ = None, department: DeptQ = None,
                  within_minutes: Annotated[int, Query(ge=0, le=10080)] = 60, limit: LimitQ = 100) -> dict[str, Any]:
    now = rt.clock.now()
    filters = queries.TimerFilter(rule_id, department, limit)
    async with rt.engine.connect() as conn:
        timers = await queries.at_risk(conn, now, timedelta(minutes=within_minutes), filters)
    return {"as_of": now.isoformat(), "timers": [timer_view(t, now, rt.config) for t in timers]}


@router.get("/timers/breached", summary="Timers whose breach stands (retracted ones excluded)")
async def breached(rt: RuntimeDep, _: Reader, rule_id: RuleQ = None, department: DeptQ = None,
                   open_only: bool = False, from_: Annotated[Instant | None, Query(alias="from")] = None,
                   to: Annotated[Instant | None, Query()] = None, limit: LimitQ = 100) -> dict[str, Any]:
    now = rt.clock.now()
    filters = queries.TimerFilter(rule_id, department, limit)
    async with rt.engine.connect() as conn:
        timers = await queries.breached(conn, filters, open_only=open_only, since=from_, until=to)
        exemptions = await exemptions_of(conn, [t.ticket_id for t in timers])
    return {"as_of": now.isoformat(), "timers": [timer_view(t, now, rt.config, exemptions) for t in timers]}


@router.get("/rules/achievement", summary="Per-rule share of timers met, deadline in [from, to); late-exempt "
            "breaches (RULEBOOK §9.12) counted apart, outside the rate")
async def achievement(rt: RuntimeDep, _: Reader, from_: Annotated[Instant, Query(alias="from")],
                      to: Annotated[Instant, Query()]) -> dict[str, Any]:
    if to <= from_:
        raise DomainError(422, "`to` must be after `from`", fields=[{"field": "to", "in": "query",
                                                                    "rule": "period", "message": "empty period"}])
    async with rt.engine.connect() as conn:
        rows = await queries.achievement(conn, from_, to, family_of(rt.config))
    return {"from": from_.isoformat(), "to": to.isoformat(),
            "rules": [{"rule_id": a.rule_id, "met": a.met, "missed": a.missed, "late_exempt": a.late_exempt,
                       "rate": a.rate} for a in rows]}


@router.get("/sla/status", summary="Policy in force and provisional (guessed-calendar) deadlines")
async def status(rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    cfg: SlaConfig = rt.config
    async with rt.engine.connect() as conn:
        provisional = await count_provisional_open(conn)
    return {"policy": str(cfg.path), "pack": cfg.policy.pack, "packs": list(cfg.policy.packs),
            "rules": [r.rule_id for r in cfg.rules], "breach_grace_seconds": int(cfg.grace.total_seconds()),
            "calendar_years_known": list(CHINA_YEARS), "provisional_open_timers": provisional,
            "calendar": "provisional" if provisional else "ok"}
