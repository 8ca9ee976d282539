"""The live board's arithmetic: open tickets counted by state and department, timers as time left or overdue,
what a search box entry means (ticket number, phone or account), and the open work that is not a customer ticket
(network and system faults, internal mail, forum posts) with its timers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

#: dispatch states in the order a ticket goes through them (RULEBOOK §3); closed and archived are not open
OPEN_STATES = ("received", "dispatched", "accepted", "contact-established", "appointment-booked", "on-site", "paused",
               "reopened", "resolved", "called-back", "escalated")
NUMBER = re.compile(r"^20\d{2}-[A-Z]{2}-\d{1,12}$")
PHONE = re.compile(r"^\+?[\d\s\-()]{5,40}$")


@dataclass(frozen=True)
class Grid:
    """Open tickets counted per state (rows) and department (columns)."""

    states: list[str]
    departments: list[str]
    counts: dict[tuple[str, str], int]
    state_totals: dict[str, int]
    department_totals: dict[str, int]
    total: int


def grid(tickets: Iterable[dict[str, Any]]) -> Grid:
    counts: Counter[tuple[str, str]] = Counter()
    for t in tickets:
        if t["state"] in OPEN_STATES:
            counts[(t["state"], t.get("department") or "")] += 1
    states = [s for s in OPEN_STATES if any(k[0] == s for k in counts)]
    departments = sorted({d for _, d in counts})
    state_totals = {s: sum(n for (st, _), n in counts.items() if st == s) for s in states}
    department_totals = {d: sum(n for (_, dp), n in counts.items() if dp == d) for d in departments}
    return Grid(states, departments, dict(counts), state_totals, department_totals, sum(counts.values()))


def search_filter(text: str) -> dict[str, str]:
    """The dispatch query a search box entry stands for: a ticket number, a phone (any spelling), else an account."""
    text = text.strip()
    if not text:
        return {}
    if NUMBER.match(text.upper()):
        return {"number": text.upper()}
    if PHONE.match(text) and sum(c.isdigit() for c in text) >= 5:
        return {"phone": text}
    return {"account": text}


def timer_rows(timers: Iterable[dict[str, Any]], numbers: dict[str, str]) -> list[dict[str, Any]]:
    """Timers as board rows, most urgent first: `overdue` when no time is left, with the ticket's number."""
    rows = []
    for t in timers:
        left = t.get("remaining_seconds")
        rows.append(t | {"number": numbers.get(t["ticket_id"]), "overdue": left is not None and left < 0})
    return sorted(rows, key=lambda r: (r["remaining_seconds"] is None, r["remaining_seconds"] or 0, r["deadline"]))


#: work that is not a customer ticket (dispatch): its list path, the states in which it is open, the id's key
WORK_ITEMS: dict[str, tuple[tuple[str, ...], str]] = {
    "network-faults": (("reported", "responded", "on-site", "fixed"), "fault_id"),
    "mail": (("received",), "mail_id"),
    "forum-posts": (("published",), "post_id"),
}


def work_item_rows(listed: Mapping[str, Iterable[dict[str, Any]]], timers: Iterable[dict[str, Any]],
                   ) -> list[dict[str, Any]]:
    """Open network/system faults, mail and forum posts as board rows (`series`, `id`), each with its open timers
    (`at_risk`, `breached`: how many) and the least time left (`remaining_seconds`, negative when overdue). Items with a
    breached timer first, then the least time left, then the oldest."""
    by_item: dict[str, dict[tuple[Any, Any], dict[str, Any]]] = {}
    for t in timers:  # a timer on both lists (at risk, and breached) counts once
        by_item.setdefault(str(t["ticket_id"]), {})[(t.get("rule_id"), t.get("round"))] = t
    rows = []
    for series, items in listed.items():
        key = WORK_ITEMS[series][1]
        for item in items:
            mine = [t for t in by_item.get(str(item[key]), {}).values() if t.get("remaining_seconds") is not None]
            left = min((t["remaining_seconds"] for t in mine), default=None)
            late = sum(1 for t in mine if t["remaining_seconds"] < 0 or t.get("breached_at"))
            rows.append({**item, "series": series, "id": str(item[key]), "breached": late,
                         "at_risk": len(mine) - late, "remaining_seconds": left})
    return sorted(rows, key=lambda r: (not r["breached"], r["remaining_seconds"] is None, r["remaining_seconds"] or 0,
                                       str(r.get("opened_at") or "")))


def split_timers(timers: Iterable[dict[str, Any]], item_ids: Iterable[str]) -> tuple[list[dict[str, Any]],
                                                                                       list[dict[str, Any]]]:
    """(timers of customer tickets, timers of the given work items)."""
    ids = set(item_ids)
    tickets, items = [], []
    for t in timers:
        (items if str(t["ticket_id"]) in ids else tickets).append(t)
    return tickets, items


def item_timers(timers: Iterable[dict[str, Any]], now: datetime, within: timedelta = timedelta(minutes=60),
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(at risk, breached) among a work item's timers, as sla_monitor's lists count them: breached, still open with a
    breach that stands; at risk, running (not paused) and past its warning instant or due within `within`."""
    at_risk, breached = [], []
    for t in timers:
        if t.get("state") == "breached" and not t.get("retracted"):
            breached.append(t)
        elif t.get("state") == "running" and (datetime.fromisoformat(t["warning_at"]) <= now
                                              or datetime.fromisoformat(t["deadline"]) <= now + within):
            at_risk.append(t)
    return at_risk, breached
