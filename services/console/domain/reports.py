"""What the reports and scorecard screens compute from the services' answers (pure): the same-day figures summed per
district, money totals per currency, the published penalty list as rows, the default periods, and the scorecard
trend (a series per KPI over the months) that the chart draws."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

#: the reports of the /reports screen, in the order of its tabs: name -> (service, path, period kind, downloadable)
REPORTS: dict[str, tuple[str, str, str, bool]] = {
    "same-day": ("compensation", "/reports/same-day", "range", True),
    "compensation-list": ("compensation", "/reports/compensation-list", "range", True),
    "paid": ("compensation", "/reports/paid", "month", True),
    "penalty-list": ("penalty", "/penalties/published", "month", True),
    "complaints": ("penalty", "/reports/complaints", "month", True),  # NJ table 4
    "satisfaction": ("penalty", "/reports/satisfaction", "month", True),  # GX, CS call centre
}
#: what the satisfaction report covers around the chosen month (GX: monthly, quarterly, annual reports)
SCOPES = ("month", "quarter", "year")
#: the scorecard measures the trend chart draws (the policy's `penalties: kpis:` measure of each KPI)
TREND_MEASURES = ("on-time", "satisfaction", "effective-callback")
MONTH = re.compile(r"^20\d{2}-(0[1-9]|1[0-2])$")
RANGE_DAYS = 7


def month_of(value: str | None, today: date) -> str:
    """A YYYY-MM from the query, else the current month."""
    return value if value and MONTH.match(value) else today.strftime("%Y-%m")


def satisfaction_query(month: str, scope: str | None) -> dict[str, str]:
    """penalty's query for the satisfaction of the month, of its quarter or of its year."""
    year, mon = month.split("-")
    if scope == "quarter":
        return {"quarter": f"{year}-Q{(int(mon) - 1) // 3 + 1}"}
    if scope == "year":
        return {"year": year}
    return {"month": month}


def table4_spans(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Table 4's rows with `span`: on a category's first row, how many rows it has (its 类型 cell spans them);
    0 on the rows after it."""
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        first = i == 0 or rows[i - 1].get("category") != row.get("category")
        span = 0
        if first:
            span = 1
            while i + span < len(rows) and rows[i + span].get("category") == row.get("category"):
                span += 1
        out.append({**row, "span": span})
    return out


def below_target(rate_percent: str | None, target_percent: str | None) -> bool | None:
    """Is the rate (percent) short of the target (percent)? None when either is missing."""
    try:
        return Decimal(str(rate_percent)) < Decimal(str(target_percent)) if rate_percent and target_percent else None
    except InvalidOperation:
        return None


def day_of(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def period(from_: str | None, to: str | None, today: date, days: int = RANGE_DAYS) -> tuple[date, date]:
    """A date range from the query; by default the last `days` days to today. Reversed ends are swapped."""
    last = day_of(to) or today
    first = day_of(from_) or last - timedelta(days=days - 1)
    return (first, last) if first <= last else (last, first)


def months_back(month: str, count: int) -> list[str]:
    """`count` months ending with `month`, oldest first: months_back('2026-02', 3) == ['2025-12', '2026-01', '2026-02']."""
    year, mon = (int(x) for x in month.split("-"))
    out = []
    for _ in range(max(count, 1)):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
    return out[::-1]


def _rate(on_time: int, late: int) -> float | None:
    judged = on_time + late
    return round(on_time / judged, 4) if judged else None


def same_day_by_district(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The CT-5 daily figures summed over the period per district and promise, with the rate on time / (on time +
    late) (late-exempt and open outside it, as the service counts them), and a grand total row (district None)."""
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"on_time": 0, "late": 0, "late_exempt": 0,
                                                                       "open": 0})
    for r in rows:
        row = sums[(str(r.get("district") or "unknown"), str(r.get("promise") or ""))]
        for k in row:
            row[k] += int(r.get(k) or 0)
    out = [{"district": d, "promise": p, **n, "rate": _rate(n["on_time"], n["late"])}
           for (d, p), n in sorted(sums.items())]
    total = {k: sum(r[k] for r in out) for k in ("on_time", "late", "late_exempt", "open")}
    out.append({"district": None, "promise": None, **total, "rate": _rate(total["on_time"], total["late"])})
    return out


def percent(rate: float | str | Decimal | None, fraction: bool = True) -> str:
    """A rate as people read it: 0.9512 -> '95.12%' (fraction=False: '95.12' is already percent); '' for None."""
    if rate is None or rate == "":
        return ""
    try:
        value = Decimal(str(rate)) * (100 if fraction else 1)
    except InvalidOperation:
        return str(rate)
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def totals_by_currency(rows: Iterable[Mapping[str, Any]], where: Mapping[str, Any] | None = None,
                       amount: str = "amount") -> dict[str, int]:
    """Sum of `amount` (minor units) per currency over the rows matching `where` (field -> value)."""
    out: dict[str, int] = {}
    for r in rows:
        if where and any(r.get(k) != v for k, v in where.items()):
            continue
        currency = str(r.get("currency") or "CNY")
        out[currency] = out.get(currency, 0) + int(r.get(amount) or 0)
    return out


def published_rows(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """penalty GET /penalties/published (JSON: columns + rows as lists) as one dict per entry."""
    columns = list(body.get("columns") or [])
    return [dict(zip(columns, row, strict=False)) for row in body.get("rows") or []]


def payer_name(row: Mapping[str, Any]) -> str:
    """A totals row's payer: the department id, or the kind alone when it has none."""
    return str(row.get("payer_id") or row.get("payer_kind") or "")


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def departments_of(bodies: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every department named by some scorecard body (sorted; the platform-wide figures have None and are skipped)."""
    return sorted({d["department"] for b in bodies for d in b.get("departments") or [] if d.get("department")})


def figures_of(body: Mapping[str, Any], department: str | None) -> list[dict[str, Any]]:
    """One month's figures of the department (every department's when None), each with its department."""
    out = []
    for dept in body.get("departments") or []:
        if department is None or dept.get("department") == department:
            out.extend({**f, "department": dept.get("department")} for f in dept.get("figures") or [])
    return out


def trend(bodies: Sequence[Mapping[str, Any]], department: str | None,
          measures: Sequence[str] = TREND_MEASURES) -> dict[str, Any]:
    """The chart's data: the months (oldest first) and one series per KPI of the chosen measures, its rate in percent
    per month (None where the month has no figure for it). A KPI the department never has a figure for is left out."""
    months = [str(b["month"]) for b in bodies]
    kpis: dict[str, dict[str, Any]] = {}
    for b in bodies:
        for k in b.get("kpis") or []:
            if k.get("measure") in measures and k["kpi"] not in kpis:
                kpis[k["kpi"]] = {"kpi": k["kpi"], "title": k.get("title", k["kpi"]), "measure": k["measure"],
                                  "target": _number(k.get("target_percent"))}
    series = []
    for kpi, meta in kpis.items():
        values: list[float | None] = []
        for b in bodies:
            found = [f for f in figures_of(b, department) if f.get("kpi") == kpi and f.get("denominator")]
            num, den = sum(int(f["numerator"]) for f in found), sum(int(f["denominator"]) for f in found)
            values.append(round(100 * num / den, 2) if den else None)
        if any(v is not None for v in values):
            series.append({**meta, "values": values})
    series.sort(key=lambda s: (measures.index(s["measure"]), s["kpi"]))
    return {"months": months, "series": series}
