"""CT-5 reports and the CT-4.9.1 contractor split, computed from stored claims (pure).

Same-day figures (CT-5, RULEBOOK §9.12): per local day the promise started (system entry), district and promise
(install, repair): on time (`met`), late (`due`: payable), late-exempt (`exempt`, outside the rate), still open;
rate = on time / (on time + late), None when neither.

Contractor split (CT-4.9.1), per local month of completion and outsourced area (a contractor department and the
districts the directory says it serves): tickets = the CT promises completed there that month (on time, late or
late-exempt); installer-caused overtime = the late ones that are not exempt (an exemption names a cause that is not
the installer's: customer, third party, force majeure, rural). When overtime exceeds 5% of tickets, the share
above 5% is charged to the contractor: contractor = floor(compensation × (overtime − 5% × tickets) / overtime), in
fen, and the operator bears the rest (so the two add up to what was paid to customers, to the fen).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

THRESHOLD = Fraction(5, 100)
SAME_DAY_PROMISES = ("install", "repair")


@dataclass(frozen=True)
class ClaimFact:
    """What a report needs of one stored claim."""

    ticket_id: str
    number: str
    promise: str
    status: str  # open | met | due | exempt | void
    district: str | None
    start_day: date | None  # local day the promise started
    completion_month: str | None  # local YYYY-MM of the counted completion
    amount: int


def same_day_figures(claims: Iterable[ClaimFact]) -> list[dict[str, Any]]:
    counts: dict[tuple[date, str, str], dict[str, int]] = defaultdict(
        lambda: {"on_time": 0, "late": 0, "late_exempt": 0, "open": 0})
    names = {"met": "on_time", "due": "late", "exempt": "late_exempt", "open": "open"}
    for c in claims:
        if c.promise not in SAME_DAY_PROMISES or c.start_day is None or c.status not in names:
            continue
        counts[(c.start_day, c.district or "unknown", c.promise)][names[c.status]] += 1
    rows = []
    for (day, district, promise), n in sorted(counts.items()):
        judged = n["on_time"] + n["late"]
        rate = round(n["on_time"] / judged, 4) if judged else None
        rows.append({"day": day.isoformat(), "district": district, "promise": promise, **n, "rate": rate})
    return rows


def contractor_of(districts_served: Mapping[str, list[str]]) -> dict[str, str]:
    """district -> the contractor serving it (the first by id when several do)."""
    out: dict[str, str] = {}
    for contractor in sorted(districts_served):
        for district in districts_served[contractor]:
            out.setdefault(district, contractor)
    return out


def contractor_split(claims: Iterable[ClaimFact], districts_served: Mapping[str, list[str]],
                     month: str) -> list[dict[str, Any]]:
    """One row per contractor with completed promises in `month` (YYYY-MM)."""
    area = contractor_of(districts_served)
    per: dict[str, dict[str, Any]] = {}
    for c in claims:
        if (c.completion_month != month or c.promise not in SAME_DAY_PROMISES
                or c.status not in ("met", "due", "exempt") or c.district not in area):
            continue
        row = per.setdefault(area[c.district], {"tickets": 0, "late": 0, "late_exempt": 0, "compensation": 0})
        row["tickets"] += 1
        if c.status == "due":
            row["late"] += 1
            row["compensation"] += c.amount
        elif c.status == "exempt":
            row["late_exempt"] += 1
    out = []
    for contractor, r in sorted(per.items()):
        charged, words = split(r["tickets"], r["late"], r["compensation"])
        out.append({"month": month, "contractor": contractor, "districts": sorted(districts_served[contractor]),
                    "tickets": r["tickets"], "installer_overtime": r["late"], "late_exempt": r["late_exempt"],
                    "overtime_rate": round(r["late"] / r["tickets"], 4) if r["tickets"] else 0.0,
                    "compensation": r["compensation"], "contractor_share": charged,
                    "operator_share": r["compensation"] - charged, "arithmetic": words})
    return out


def split(tickets: int, overtime: int, compensation: int) -> tuple[int, str]:
    """(fen charged to the contractor, the arithmetic in words)."""
    allowance = THRESHOLD * tickets
    if tickets == 0 or overtime <= allowance:
        return 0, (f"{overtime} installer-caused late of {tickets} tickets is within 5% ({float(allowance):g}): "
                   "the operator bears it all (CT-4.9.1)")
    excess = overtime - allowance
    charged = int(compensation * excess / overtime)  # floor: a fraction of a fen stays with the operator
    return charged, (f"{overtime} installer-caused late of {tickets} tickets > 5% ({float(allowance):g}); "
                     f"{float(excess):g} above it: {compensation} fen × {float(excess):g} / {overtime} = {charged} fen "
                     "charged to the contractor (CT-4.9.1)")
