"""Penalty arithmetic (RULEBOOK §5, §9.2–9.7, §9.15): pure, integer fen, every result explains itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.policy.penalties import fen_text


@dataclass(frozen=True)
class Computation:
    """An amount with its arithmetic in words and the numbers behind it."""

    fen: int
    text: str
    numbers: dict[str, Any] = field(default_factory=dict)


def fixed(fen: int) -> Computation:
    return Computation(fen, f"fixed {fen_text(fen)}", {"fixed_fen": fen})


def span_text(minutes: int) -> str:
    """'2 h 10 min', '45 min', '3 d 2 h 0 min'."""
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours or days else []) + [f"{mins} min"]
    return " ".join(parts)


def per_unit(rate_fen: int, unit: str, units: int, overdue_minutes: int, paused_seconds: int) -> Computation:
    """Started units late × rate (§9.2: customer-paused time already subtracted from the lateness)."""
    plural = unit if units == 1 else f"{unit}s"
    text = f"{units} started {plural} × {fen_text(rate_fen)} = {fen_text(units * rate_fen)}"
    text += f"; {span_text(overdue_minutes)} late"
    if paused_seconds:
        text += f" after {span_text(paused_seconds // 60)} customer pause (not counted)"
    return Computation(units * rate_fen, text, {"unit": unit, "units": units, "rate_fen": rate_fen,
                                                "overdue_minutes": overdue_minutes, "paused_seconds": paused_seconds})


def delta(rate_fen: int, unit: str, assessed_units: int, final_units: int, overdue_minutes: int,
          paused_seconds: int) -> Computation:
    """The final lateness of a breach that was still open when first assessed: the units not yet charged."""
    more = final_units - assessed_units
    final = per_unit(rate_fen, unit, final_units, overdue_minutes, paused_seconds)
    text = (f"final {final.text}; {assessed_units} already assessed at the breach, "
            f"{more:+d} × {fen_text(rate_fen)} = {fen_text(more * rate_fen)}")
    return Computation(more * rate_fen, text, {**final.numbers, "assessed_units": assessed_units,
                                               "final_units": final_units})


def tier_amount(tiers: tuple[int, ...], prior: int) -> int:
    """The amount of the (prior+1)th case: tiers in order, the last repeating."""
    return tiers[min(prior, len(tiers) - 1)]


def tiered(tiers: tuple[int, ...], prior: int, department: str | None, year: int) -> Computation:
    """'first 1,000, each further 2,000' counted per responsible department per local calendar year (§9.7)."""
    fen = tier_amount(tiers, prior)
    n = prior + 1
    text = f"case {n} of {department or 'the department'} in {year}: {fen_text(fen)}"
    return Computation(fen, text, {"tiers_fen": list(tiers), "case_in_year": n, "year": year,
                                   "department": department})


def multiplied(base: Computation, factor: int, why: str) -> Computation:
    if factor == 1:
        return base
    fen = base.fen * factor
    return Computation(fen, f"{base.text}; ×{factor} ({why}) = {fen_text(fen)}",
                       {**base.numbers, "multipliers": [*base.numbers.get("multipliers", []), {factor: why}]})


def refund(penalty_fen: int, percent: int) -> Computation:
    """NJ-4.3.6: an approved appeal refunds `percent` of the penalty (integer fen, half up)."""
    fen = (penalty_fen * percent + 50) // 100
    return Computation(fen, f"{percent}% of {fen_text(penalty_fen)} = {fen_text(fen)} refunded",
                       {"penalty_fen": penalty_fen, "percent": percent})


def local_month(at: datetime, tz: str) -> str:
    """'YYYY-MM' of the local calendar month of `at` (§9.15)."""
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m")


def local_year(at: datetime, tz: str) -> int:
    return at.astimezone(ZoneInfo(tz)).year


def next_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{year + mon // 12}-{mon % 12 + 1:02d}"


def open_month(month: str, closed: set[str]) -> str:
    """The month itself when open, else the first open month after it (§9.15: closed months are locked)."""
    while month in closed:
        month = next_month(month)
    return month
