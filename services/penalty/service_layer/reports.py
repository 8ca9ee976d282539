"""The complaint statistics (NJ table 4) and satisfaction reports (GX, CS call centre) from the ticket events penalty
has stored (observed events): the queries, then the pure domain (domain/complaints.py, domain/satisfaction.py), and
the reports as CSV and XLSX (RULEBOOK §8)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters.tables import observed
from services.penalty.domain import complaints as dc
from services.penalty.domain import satisfaction as ds
from services.penalty.service_layer.config import PenaltyConfig

COMPLAINT_EVENTS = ("TicketCreated", "TicketReclassified", "TicketDispatched", "TicketRedispatched", "TicketAccepted",
                    "TicketReopened", "TicketLinkedToIncident", "Resolved", "CorrectiveActionFiled")
FAULT_EVENTS = ("NetworkFaultReported", "NetworkFaultLinked", "NetworkFaultFixed", "NetworkFaultReplied")
CALLBACK_EVENTS = ("TicketCreated", "TicketReclassified", *ds.DISPATCHING, "CallbackDone")
COMPLAINT_COLUMNS = ("category", "subcategory", "类型", "具体类别", "count", "content", "cause_analysis", "tickets")
COMPLAINT_DETAIL = ("number", "ticket_id", "received_at", "category", "subcategory", "by", "evidence", "department",
                    "product", "complaint_class", "channel", "description", "causes")
SATISFACTION_COLUMNS = ("period", "department", "callbacks", "reached", "asked", "satisfied", "dissatisfied",
                        "rate_percent", "scored", "average_score", "score_1", "score_2", "score_3", "score_4",
                        "score_5", "dissatisfied_tickets")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bounds(months: list[str], tz: str) -> tuple[datetime, datetime]:
    """From the first local month's first instant to the instant after the last one."""
    zone = ZoneInfo(tz)
    first_year, first_month = (int(x) for x in months[0].split("-"))
    last_year, last_month = (int(x) for x in months[-1].split("-"))
    start = datetime(first_year, first_month, 1, tzinfo=zone)
    end = datetime(last_year + last_month // 12, last_month % 12 + 1, 1, tzinfo=zone)
    return start, end


async def _histories(conn: AsyncConnection, first: str, start: datetime, end: datetime,
                     types: tuple[str, ...]) -> dict[str, dc.History]:
    """The chosen events of every ticket that has a `first` event in [start, end), in field order."""
    ev = observed.events
    touched = select(ev.c.ticket_id).where(ev.c.type == first, ev.c.occurred_at >= start,
                                          ev.c.occurred_at < end).distinct()
    rows = await conn.execute(select(ev.c.ticket_id, ev.c.type, ev.c.event_id, ev.c.occurred_at, ev.c.payload)
                              .where(ev.c.ticket_id.in_(touched), ev.c.type.in_(types))
                              .order_by(ev.c.ticket_id, ev.c.occurred_at, ev.c.sequence))
    out: dict[str, dc.History] = defaultdict(list)
    for r in rows:
        out[str(r.ticket_id)].append((r.type, str(r.event_id), r.occurred_at, r.payload))
    return dict(out)


async def _faults(conn: AsyncConnection) -> list[dc.Fault]:
    """Every fault that was linked to a ticket or an incident, with its layer and causes."""
    ev = observed.events
    linked = select(ev.c.ticket_id).where(ev.c.type == "NetworkFaultLinked").distinct()
    rows = await conn.execute(select(ev.c.type, ev.c.ticket_id, ev.c.payload)
                              .where(ev.c.ticket_id.in_(linked), ev.c.type.in_(FAULT_EVENTS))
                              .order_by(ev.c.ticket_id, ev.c.occurred_at, ev.c.sequence))
    return list(dc.faults_from((r.type, str(r.ticket_id), r.payload) for r in rows).values())


async def complaint_report(conn: AsyncConnection, cfg: PenaltyConfig, month: str) -> dict[str, Any]:
    start, end = bounds([month], cfg.tz)
    histories = await _histories(conn, "TicketCreated", start, end, COMPLAINT_EVENTS)
    return dc.report(histories, await _faults(conn), month, cfg.tz)


def satisfied_from_score(cfg: PenaltyConfig) -> int | None:
    """The score from which a callback counts as satisfied: the policy's satisfaction KPI's (None without one)."""
    return next((k.satisfied_from_score for k in cfg.penalties.kpis
                 if k.measure == "satisfaction" and k.satisfied_from_score is not None), None)


def targets(cfg: PenaltyConfig) -> list[dict[str, Any]]:
    return [{"kpi": k.kpi, "title": k.title, "citation": k.citation, "target_percent": str(k.target_percent)}
            for k in cfg.penalties.kpis if k.measure == "satisfaction"]


async def satisfaction_report(conn: AsyncConnection, cfg: PenaltyConfig, period: str) -> dict[str, Any]:
    months = ds.period_months(period)
    start, end = bounds(months, cfg.tz)
    # a ticket with a callback in the period, read whole: its dispatches may be months before
    histories = await _histories(conn, "CallbackDone", start, end, CALLBACK_EVENTS)
    from_score = satisfied_from_score(cfg)
    body = ds.report(ds.callbacks(histories, months, cfg.tz, from_score), period, cfg.tz, from_score)
    return body | {"targets": targets(cfg)}


def _cell(values: list[str], limit: int = 30_000) -> str:
    """Lines in one cell, kept under a spreadsheet cell's 32,767 characters."""
    text = "\n".join(values)
    return text if len(text) <= limit else text[:limit] + "\n…"


def complaint_rows(body: dict[str, Any]) -> list[list[Any]]:
    out = []
    for r in body["rows"]:
        content = [f"{c['number'] or c['ticket_id']}: {c['description']}" for c in r["complaints"]]
        causes = [f"{c['cause']} ({c['count']})" for c in r["causes"]] + [f"→ {a}" for a in r["actions"]]
        out.append([r["category"], r["subcategory"] or "", r["category_title"], r["subcategory_title"] or "",
                    r["count"], _cell(content), _cell(causes),
                    " ".join(c["number"] or c["ticket_id"] for c in r["complaints"])])
    return out


def complaint_details(body: dict[str, Any]) -> list[list[Any]]:
    return [[c["number"] or "", c["ticket_id"], c["received_at"], r["category"], r["subcategory"] or "", c["by"],
             c["evidence"] or "", c["department"] or "", c["product"] or "", c["complaint_class"] or "",
             c["channel"] or "", c["description"], _cell(c["causes"])]
            for r in body["rows"] for c in r["complaints"]]


def _satisfaction_line(period: str, name: str, r: dict[str, Any]) -> list[Any]:
    return [period, name, r["callbacks"], r["reached"], r["asked"], r["satisfied"], r["dissatisfied"],
            r["rate_percent"] or "", r["scored"], r["average_score"] or "", *r["scores"],
            " ".join(r["dissatisfied_tickets"])]


def satisfaction_rows(body: dict[str, Any]) -> list[list[Any]]:
    """Per department, then the call centre's total."""
    return ([_satisfaction_line(body["period"], r["department"] or "", r) for r in body["rows"]]
            + [_satisfaction_line(body["period"], "total", body["total"])])


def satisfaction_kind_rows(body: dict[str, Any]) -> list[list[Any]]:
    return [_satisfaction_line(body["period"], r["kind"] or "", r) for r in body["by_kind"]]


def to_csv(columns: tuple[str, ...], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def to_xlsx(sheets: list[tuple[str, tuple[str, ...], list[list[Any]]]]) -> bytes:
    """One worksheet per (title, columns, rows)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(columns))
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
