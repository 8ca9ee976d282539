"""KPI scorecards per month and department (RULEBOOK §5.3, §9.11) from what penalty has seen: the SLA timer
outcomes (SlaMet / SlaBreached / SlaBreachRetracted / SlaBreachClosed), the ticket events, the NMS's fault reports
and fixes (NetworkFaultReported / NetworkFaultFixed, on gongdan.tickets) and the calls the IVR reported
(CallHandled, on gongdan.calls); the on-time rate leaves out late timers of tickets under a standing CT exemption
(compensation's CompensationExemptionRecorded / Voided, RULEBOOK §9.12). Closing a month freezes its scorecards as
they stand (later events no longer change them)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters import exemptions
from services.penalty.adapters.tables import kpi as K
from services.penalty.adapters.tables import observed
from services.penalty.domain import kpi as dk
from services.penalty.service_layer.config import PenaltyConfig
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.kpis import FAULT_MEASURES
from shared.policy.penalties import FixedAmount

RELEVANT = ("TicketCreated", "TicketDispatched", "TicketRedispatched", "Resolved", "CallbackDone",
            "TicketReopened", "DuplicateReportLinked", "CustomerChurned", "TicketArchived", "TicketReclassified")
#: KPIs of RULEBOOK §5.3 the policy's scorecards cannot measure, with why (`not_measured` in the answer). Calls per
#: agent (CallHandled), egress faults, the aggregation device fault rate and network reliability (NetworkFault*)
#: are measured; the others of §5.3 (business hall, BOSS, in-network rate) have no KPI in any pack.
NOT_MEASURED: list[dict[str, str]] = []
CSV_COLUMNS = ("month", "department", "kpi", "title", "numerator", "denominator", "rate_percent", "target_percent",
               "direction", "points", "arithmetic", "tickets_not_ok", "tickets", "value", "target", "unit",
               "tickets_exempt")


async def _timers(conn: AsyncConnection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    t = K.timers
    rows = await conn.execute(select(t).where(t.c.deadline >= start, t.c.deadline < end))
    return [dict(r) for r in rows.mappings()]


async def _histories(conn: AsyncConnection, start: datetime, end: datetime) -> dict[str, dk.History]:
    ev = observed.events
    touched = select(ev.c.ticket_id).where(ev.c.occurred_at >= start, ev.c.occurred_at < end,
                                          ev.c.type.in_(RELEVANT)).distinct()
    rows = await conn.execute(select(ev.c.ticket_id, ev.c.type, ev.c.event_id, ev.c.occurred_at, ev.c.payload)
                              .where(ev.c.ticket_id.in_(touched))
                              .order_by(ev.c.ticket_id, ev.c.occurred_at, ev.c.sequence))
    out: dict[str, dk.History] = defaultdict(list)
    for r in rows:
        out[str(r.ticket_id)].append((r.type, str(r.event_id), r.occurred_at, r.payload))
    return dict(out)


async def _creations(conn: AsyncConnection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    ev = observed.events
    rows = await conn.execute(select(ev.c.ticket_id, ev.c.occurred_at, ev.c.payload["customer"]["account"].astext,
                                     ev.c.payload["kind"].astext)
                              .where(ev.c.type == "TicketCreated", ev.c.occurred_at >= start, ev.c.occurred_at <= end))
    return [{"ticket_id": r[0], "at": r[1], "account": r[2], "kind": r[3]} for r in rows]


async def _faults(conn: AsyncConnection, layers: set[str], start: datetime, end: datetime) -> list[dk.Fault]:
    """Faults of these layers that were down some time in [start, end): reported before the end and not fixed
    before the start, with their fix (one per fault: dispatch records each act once)."""
    ev = observed.events
    r, f = ev.alias("reported"), ev.alias("fixed")
    rows = await conn.execute(
        select(r.c.ticket_id, r.c.event_id, r.c.occurred_at, r.c.payload, f.c.event_id.label("fixed_event_id"),
               f.c.occurred_at.label("fixed_at"))
        .select_from(r.outerjoin(f, and_(f.c.ticket_id == r.c.ticket_id, f.c.type == "NetworkFaultFixed")))
        .where(r.c.type == "NetworkFaultReported", r.c.occurred_at < end, r.c.payload["layer"].astext.in_(layers),
               or_(f.c.occurred_at.is_(None), f.c.occurred_at >= start)))
    return [dk.Fault(fault_id=str(x.ticket_id), number=x.payload.get("number"), layer=x.payload["layer"],
                     department=x.payload.get("department"), device_id=x.payload.get("device_id"),
                     reported_at=x.occurred_at, reported_event_id=str(x.event_id), fixed_at=x.fixed_at,
                     fixed_event_id=str(x.fixed_event_id) if x.fixed_event_id else None) for x in rows]


async def _calls(conn: AsyncConnection, start: datetime, end: datetime) -> list[dk.AgentCalls]:
    """Calls per agent that started in [start, end) (CallHandled's field time is the call's start), each call id
    once."""
    ev = observed.events
    agent, call = ev.c.payload["agent"].astext, ev.c.payload["call_id"].astext
    rows = await conn.execute(
        select(agent, func.count(distinct(call)),
               func.count(distinct(call)).filter(ev.c.payload["ticket_id"].astext.is_not(None)))
        .where(ev.c.type == "CallHandled", ev.c.occurred_at >= start, ev.c.occurred_at < end).group_by(agent))
    return [dk.AgentCalls(a, n, t) for a, n, t in rows]


def clause_fen(cfg: PenaltyConfig, clause_id: str | None) -> int | None:
    if clause_id is None:
        return None
    try:
        amount = cfg.penalties.clause(clause_id).amount
    except KeyError:
        return None
    return amount.fen if isinstance(amount, FixedAmount) else None


async def compute(conn: AsyncConnection, cfg: PenaltyConfig, month: str, now: datetime) -> dict[str, Any]:
    """Every KPI of the policy for the month, per department, from the stored facts (`now`: how far a fault still
    open has been down)."""
    kpis = cfg.penalties.kpis
    start, end = dk.month_bounds(month, cfg.tz)
    window = timedelta(days=max((k.window_days or 0 for k in kpis), default=0))
    timers = await _timers(conn, start, end)
    exempt = await exemptions.of_timers_due(conn, start, end, cfg.family_of)  # RULEBOOK §9.12
    histories = await _histories(conn, start, end)
    creations = await _creations(conn, start, end + window)
    layers = {x.value for k in kpis if k.measure in FAULT_MEASURES for x in k.layers}
    faults = await _faults(conn, layers, start, end) if layers else []
    calls = await _calls(conn, start, end) if any(k.measure == "calls-per-agent" for k in kpis) else []
    departments: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for kpi in kpis:
        if kpi.measure in FAULT_MEASURES:
            figs = dk.fault_figures(kpi, faults, month, cfg.tz, now)
        elif kpi.measure == "calls-per-agent":
            figs = dk.calls_figures(kpi, calls)
        else:
            figs = dk.figures(kpi, dk.cases_for(kpi, month, cfg.tz, timers, histories, creations, exempt),
                              clause_fen(cfg, kpi.clause))
        for fig in figs:
            departments[fig["department"]].append(fig)
    return {
        "month": month, "time_zone": cfg.tz, "frozen": False, "frozen_at": None,
        "kpis": [k.model_dump(mode="json") for k in kpis],
        "departments": [{"department": d, "figures": departments[d]}
                        for d in sorted(departments, key=lambda d: d or "")],
        "not_measured": NOT_MEASURED,
    }


async def scorecards(conn: AsyncConnection, cfg: PenaltyConfig, month: str, department: str | None,
                     now: datetime) -> dict[str, Any]:
    """The frozen scorecards of a closed month, else computed now; optionally one department's."""
    row = (await conn.execute(select(K.scorecards).where(K.scorecards.c.month == month))).mappings().first()
    body = dict(row["body"]) if row else await compute(conn, cfg, month, now)
    if department is not None:
        body["departments"] = [d for d in body["departments"] if d["department"] == department]
    return body


async def freeze(uow: UnitOfWork, cfg: PenaltyConfig, month: str) -> None:
    """Closing the month: keep its scorecards as they stand; later events no longer change them."""
    body = await compute(uow.conn, cfg, month, uow.now())
    body |= {"frozen": True, "frozen_at": uow.now().isoformat()}
    await uow.conn.execute(insert(K.scorecards).values(month=month, body=body, frozen_at=uow.now())
                           .on_conflict_do_nothing(index_elements=[K.scorecards.c.month]))


def to_csv(body: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for dept in body["departments"]:
        for f in dept["figures"]:
            bad = [_item_id(t) for t in f["tickets"] if not t["ok"] and not t.get("exempt")]
            exempt = [_item_id(t) for t in f["tickets"] if t.get("exempt")]  # late, exempt: not counted (§9.12)
            writer.writerow((body["month"], dept["department"] or "", f["kpi"], f["title"], f["numerator"],
                             _cell(f["denominator"]), f["rate_percent"] or "", _cell(f["target_percent"]),
                             f["direction"], _cell(f["points"]), f["arithmetic"], " ".join(bad),
                             " ".join(_item_id(t) for t in f["tickets"]), _cell(f.get("value")),
                             _cell(f.get("target")), f.get("unit", "percent"), " ".join(exempt)))
    return buf.getvalue()


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _item_id(item: dict[str, Any]) -> str:
    """A ticket or a fault by its stream id; an agent (calls per agent) by their id."""
    return str(item.get("ticket_id") or item.get("agent") or "")
