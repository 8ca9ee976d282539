"""KPI scorecards per month and department (RULEBOOK §5.3, §9.11) from what penalty has seen: the SLA timer
outcomes (SlaMet / SlaBreached / SlaBreachRetracted / SlaBreachClosed) and the ticket events. Closing a month
freezes its scorecards as they stand (later events no longer change them)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters.tables import kpi as K
from services.penalty.adapters.tables import observed
from services.penalty.domain import kpi as dk
from services.penalty.service_layer.config import PenaltyConfig
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.penalties import FixedAmount

RELEVANT = ("TicketCreated", "TicketDispatched", "TicketRedispatched", "Resolved", "CallbackDone",
            "TicketReopened", "DuplicateReportLinked", "CustomerChurned", "TicketArchived", "TicketReclassified")
NOT_MEASURED = [
    {"kpi": "calls per agent (≥2,200 a month; −1 per 100 short to 1,800, −2 per 100 to 1,600, zero below 1,500)",
     "why": "no event records a handled call: TicketCreated.created_by names the API key that logged the ticket "
            "(an IVR system logs for many agents), and calls that end without a ticket are not events"},
    {"kpi": "network reliability (core ≥99.9%, backbone 1 − downtime/8,760 h ≥99.5%), aggregation device fault "
            "rate with repeat failures of a device counted 1, 2, 4, 8",
     "why": "NetworkFaultReported carries the layer but no device id, and no event gives the managed-device count"},
    {"kpi": "egress faults (more than 3 a month: −5 each, zero above 5)",
     "why": "no event or fault layer marks an egress (出口) fault"},
]
CSV_COLUMNS = ("month", "department", "kpi", "title", "numerator", "denominator", "rate_percent", "target_percent",
               "direction", "points", "arithmetic", "tickets_not_ok", "tickets")


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    zone = ZoneInfo(tz)
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)
    return start, end


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


def clause_fen(cfg: PenaltyConfig, clause_id: str | None) -> int | None:
    if clause_id is None:
        return None
    try:
        amount = cfg.penalties.clause(clause_id).amount
    except KeyError:
        return None
    return amount.fen if isinstance(amount, FixedAmount) else None


async def compute(conn: AsyncConnection, cfg: PenaltyConfig, month: str) -> dict[str, Any]:
    """Every KPI of the policy for the month, per department, from the stored facts."""
    kpis = cfg.penalties.kpis
    start, end = month_bounds(month, cfg.tz)
    window = timedelta(days=max((k.window_days or 0 for k in kpis), default=0))
    timers = await _timers(conn, start, end)
    histories = await _histories(conn, start, end)
    creations = await _creations(conn, start, end + window)
    departments: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for kpi in kpis:
        cases = dk.cases_for(kpi, month, cfg.tz, timers, histories, creations)
        for fig in dk.figures(kpi, cases, clause_fen(cfg, kpi.clause)):
            departments[fig["department"]].append(fig)
    return {
        "month": month, "time_zone": cfg.tz, "frozen": False, "frozen_at": None,
        "kpis": [k.model_dump(mode="json") for k in kpis],
        "departments": [{"department": d, "figures": departments[d]} for d in sorted(departments, key=lambda d: d or "")],
        "not_measured": NOT_MEASURED,
    }


async def scorecards(conn: AsyncConnection, cfg: PenaltyConfig, month: str, department: str | None) -> dict[str, Any]:
    """The frozen scorecards of a closed month, else computed now; optionally one department's."""
    row = (await conn.execute(select(K.scorecards).where(K.scorecards.c.month == month))).mappings().first()
    body = dict(row["body"]) if row else await compute(conn, cfg, month)
    if department is not None:
        body["departments"] = [d for d in body["departments"] if d["department"] == department]
    return body


async def freeze(uow: UnitOfWork, cfg: PenaltyConfig, month: str) -> None:
    """Closing the month: keep its scorecards as they stand; later events no longer change them."""
    body = await compute(uow.conn, cfg, month)
    body |= {"frozen": True, "frozen_at": uow.now().isoformat()}
    await uow.conn.execute(insert(K.scorecards).values(month=month, body=body, frozen_at=uow.now())
                           .on_conflict_do_nothing(index_elements=[K.scorecards.c.month]))


def to_csv(body: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for dept in body["departments"]:
        for f in dept["figures"]:
            bad = [t["ticket_id"] for t in f["tickets"] if not t["ok"]]
            writer.writerow((body["month"], dept["department"] or "", f["kpi"], f["title"], f["numerator"],
                             f["denominator"], f["rate_percent"] or "", f["target_percent"], f["direction"],
                             f["points"] if f["points"] is not None else "", f["arithmetic"], " ".join(bad),
                             " ".join(t["ticket_id"] for t in f["tickets"])))
    return buf.getvalue()
