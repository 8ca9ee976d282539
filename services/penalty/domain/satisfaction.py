"""Satisfaction reports (RULEBOOK §8 GX monthly / quarterly / annual; §5.3 CS call-centre satisfaction ≥98%) from
the callbacks' answers (CallbackDone, TT-8.13). Pure.

Each callback in the period counts once, for the department the ticket was dispatched to when the call was made
(none: never dispatched). A reached customer who answered `satisfied` counts as satisfied or not; one who gave only a
1–5 score is satisfied when the score is at least `satisfied_from_score` (the policy's satisfaction KPI, as the CS
scorecard counts it), else the answer is not counted; an unreached customer was not asked. The rate is satisfied /
asked, to 0.01% half up; the total row is the whole call centre's."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.events.classification import classification_change

History = list[tuple[str, str, datetime, dict[str, Any]]]  # (type, event id, occurred_at, payload), field order
MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")
QUARTER = re.compile(r"^(20\d{2})-Q([1-4])$")
YEAR = re.compile(r"^(20\d{2})$")
CENT = Decimal("0.01")
DISPATCHING = ("TicketDispatched", "TicketRedispatched", "TicketAccepted", "TicketReopened")


def period_months(period: str) -> list[str]:
    """The local months of a period: '2026-03', a quarter '2026-Q1' (three months) or a year '2026' (twelve)."""
    if m := MONTH.match(period):
        return [period]
    if m := QUARTER.match(period):
        first = (int(m.group(2)) - 1) * 3 + 1
        return [f"{m.group(1)}-{n:02d}" for n in range(first, first + 3)]
    if m := YEAR.match(period):
        return [f"{m.group(1)}-{n:02d}" for n in range(1, 13)]
    raise ValueError(f"not a month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY): {period!r}")


@dataclass(frozen=True)
class Callback:
    ticket_id: str
    number: str | None
    event_id: str
    at: datetime
    department: str | None
    kind: str | None
    agent: str | None
    reached: bool
    satisfied: bool | None  # the answer as judged (None: not asked, or not reached)
    score: int | None


def judged(p: Mapping[str, Any], satisfied_from_score: int | None) -> bool | None:
    """Satisfied or not, from the answer (or the score where only a score was given); None: not asked."""
    if not p.get("reached"):
        return None
    if p.get("satisfied") is not None:
        return bool(p["satisfied"])
    score = p.get("satisfaction_score")
    if score is not None and satisfied_from_score is not None:
        return int(score) >= satisfied_from_score
    return None


def callbacks(histories: Mapping[str, History], months: Iterable[str], tz: str,
              satisfied_from_score: int | None) -> list[Callback]:
    """Every callback made in the period's local months, with the department and kind of the ticket at that time."""
    wanted = set(months)
    zone = ZoneInfo(tz)
    out = []
    for tid, history in histories.items():
        number = department = kind = None
        for name, eid, at, p in history:
            if name == "TicketCreated":
                number = p.get("number")
            kind = classification_change(name, p).get("kind", kind)
            if name in DISPATCHING:
                department = p.get("department") or department
            elif name == "CallbackDone" and at.astimezone(zone).strftime("%Y-%m") in wanted:
                score = p.get("satisfaction_score") if p.get("reached") else None
                out.append(Callback(tid, number, eid, at, department, kind, p.get("actor"), bool(p.get("reached")),
                                    judged(p, satisfied_from_score), score))
    return sorted(out, key=lambda c: (c.at, c.ticket_id, c.event_id))


def _percent(numerator: int, denominator: int) -> str | None:
    if not denominator:
        return None
    return str((Decimal(numerator) * 100 / denominator).quantize(CENT, rounding=ROUND_HALF_UP))


def _row(key: str, name: str | None, calls: list[Callback]) -> dict[str, Any]:
    asked = [c for c in calls if c.satisfied is not None]
    satisfied = sum(1 for c in asked if c.satisfied)
    scores = [c.score for c in calls if c.score is not None]
    average = (str((Decimal(sum(scores)) / len(scores)).quantize(CENT, rounding=ROUND_HALF_UP)) if scores else None)
    counts = Counter(scores)
    return {key: name, "callbacks": len(calls), "reached": sum(1 for c in calls if c.reached), "asked": len(asked),
            "satisfied": satisfied, "dissatisfied": len(asked) - satisfied, "rate_percent": _percent(satisfied,
                                                                                                    len(asked)),
            "scored": len(scores), "average_score": average, "scores": [counts.get(n, 0) for n in range(1, 6)],
            "dissatisfied_tickets": sorted({c.number or c.ticket_id for c in asked if not c.satisfied})}


def report(calls: list[Callback], period: str, tz: str, satisfied_from_score: int | None) -> dict[str, Any]:
    """Per department, per ticket kind, and the call centre's total."""
    by_department: dict[str | None, list[Callback]] = {}
    by_kind: dict[str | None, list[Callback]] = {}
    for c in calls:
        by_department.setdefault(c.department, []).append(c)
        by_kind.setdefault(c.kind, []).append(c)
    return {
        "period": period, "months": period_months(period), "time_zone": tz,
        "satisfied_from_score": satisfied_from_score,
        "rows": [_row("department", d, by_department[d]) for d in sorted(by_department, key=lambda d: d or "")],
        "by_kind": [_row("kind", k, by_kind[k]) for k in sorted(by_kind, key=lambda k: k or "")],
        "total": _row("department", None, calls),
    }
