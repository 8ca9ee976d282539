"""The live board's arithmetic: open tickets counted by state and department, timers as time left or overdue,
and what a search box entry means (ticket number, phone or account)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
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
