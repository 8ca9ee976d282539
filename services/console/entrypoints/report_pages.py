"""Reports (finance, ops), each as a table and as the service's own CSV/XLSX: CT-5 same-day figures per district and
the compensation audit list (compensation /reports/same-day, /reports/compensation-list), compensation paid per
month (/reports/paid), the TT-13 monthly penalty list with totals per department and person (penalty
/penalties/published, /penalties/totals), the NJ table-4 complaint statistics (penalty /reports/complaints) and
callback satisfaction for a month, quarter or year (GX; CS call centre; penalty /reports/satisfaction). Department
scorecards (penalty GET /scorecards) per month with a trend chart drawn by plotly.js, served from the plotly wheel by
the console itself (never a CDN)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from services.console.domain import reports
from services.console.entrypoints import web
from services.console.entrypoints.penalty_pages import _file

router = APIRouter(route_class=web.ConsoleRoute, include_in_schema=False)
Short = Annotated[str | None, Query(max_length=20)]
TREND_MONTHS = (3, 6, 12)
STATIC = Path(__file__).parent.parent / "static"
#: plotly.js adds its few CSS rules (hover layer, axes) to an empty <style> element it creates, through the CSSOM;
#: the hash is that of the empty string, so only an empty style element is allowed, nothing inline with content
CHART_STYLES = "; style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"


def _plotly_js() -> Path | None:
    """plotly.min.js as the plotly wheel ships it (None: plotly is not installed; the tables still show)."""
    try:
        import plotly
    except ImportError:
        return None
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


@router.get("/static/lib/{name}")
async def library(name: str) -> Response:
    """The chart code: plotly.js from its wheel, and the console's few lines that draw with it."""
    path = {"plotly.min.js": _plotly_js(), "charts.js": STATIC / "charts.js"}.get(name)
    if path is None:
        return Response(status_code=404)
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


def _query(request: Request, report: str, from_: str | None, to: str | None, month: str | None,
           scope: str | None = None) -> dict[str, str]:
    """The upstream query of a report, its period defaulted (the last 7 days; the current month)."""
    today = web.now(request).date()
    if reports.REPORTS[report][2] == "range":
        first, last = reports.period(from_, to, today)
        return {"from": first.isoformat(), "to": last.isoformat()}
    if report == "satisfaction":
        return reports.satisfaction_query(reports.month_of(month, today), scope)
    return {"month": reports.month_of(month, today)}


def _console_query(request: Request, report: str, from_: str | None, to: str | None, month: str | None,
                   scope: str | None) -> dict[str, str]:
    """The console's own query of a report (what its download links carry)."""
    today = web.now(request).date()
    if reports.REPORTS[report][2] == "range":
        first, last = reports.period(from_, to, today)
        return {"from": first.isoformat(), "to": last.isoformat()}
    shown = {"month": reports.month_of(month, today)}
    return shown | ({"scope": scope} if report == "satisfaction" and scope in reports.SCOPES else {})


async def _context(request: Request, user: web.User, report: str, query: dict[str, str]) -> tuple[list, dict]:
    """The report's rows and what its section shows beside them."""
    service, path, _, _ = reports.REPORTS[report]
    up = web.upstreams(request)
    if report == "penalty-list":
        body, by_dept, by_person = await asyncio.gather(
            up.get(service, path, user.key, query),
            up.get("penalty", "/penalties/totals", user.key, query | {"by": "department"}),
            up.get("penalty", "/penalties/totals", user.key, query | {"by": "person"}))
        rows = reports.published_rows(body)
        return rows, {"closed": body.get("closed"), "by_department": by_dept["totals"],
                      "by_person": by_person["totals"], "total": sum(int(r.get("amount_fen") or 0) for r in rows)}
    body = await up.get(service, path, user.key, query)
    rows = body["rows"]
    if report == "same-day":
        return rows, {"districts": reports.same_day_by_district(rows)}
    if report == "compensation-list":
        return rows, {"totals": reports.totals_by_currency(rows, {"status": "due"})}
    if report == "complaints":
        return reports.table4_spans(rows), {"body": body}
    if report == "satisfaction":
        target = next(iter(body.get("targets") or []), None)
        below = reports.below_target(body["total"]["rate_percent"], target and target["target_percent"])
        return rows, {"body": body, "target": target, "below": below}
    return rows, {"totals": body.get("totals") or {}}


@router.get("/reports")
async def report_page(request: Request, report: Short = None, from_: Annotated[str | None, Query(
        alias="from", max_length=10)] = None, to: Short = None, month: Short = None, scope: Short = None) -> Response:
    user = web.user_for(request, "reports.read")
    report = report if report in reports.REPORTS else next(iter(reports.REPORTS))
    query = _query(request, report, from_, to, month, scope)
    rows, context = await _context(request, user, report, query)
    shown = _console_query(request, report, from_, to, month, scope)
    download = urlencode(shown)
    return web.render(request, "reports.html", user=user, report=report, names=list(reports.REPORTS), query=query,
                      shown=shown, scopes=reports.SCOPES, rows=rows, download=download, percent=reports.percent,
                      payer=reports.payer_name, **context)


@router.get("/reports/{report}.{fmt}")
async def report_file(request: Request, report: str, fmt: str, from_: Annotated[str | None, Query(
        alias="from", max_length=10)] = None, to: Short = None, month: Short = None, scope: Short = None) -> Response:
    user = web.user_for(request, "reports.read")
    if report not in reports.REPORTS or fmt not in ("csv", "xlsx"):
        return Response(status_code=404)
    service, path, _, _ = reports.REPORTS[report]
    query = _query(request, report, from_, to, month, scope) | {"format": fmt}
    return _file(await web.upstreams(request).download(service, path, user.key, query))


@router.get("/scorecards")
async def scorecards(request: Request, month: Short = None, department: Annotated[str | None, Query(
        max_length=100)] = None, months: int = 6) -> Response:
    user = web.user_for(request, "scorecards.read")
    month = reports.month_of(month, web.now(request).date())
    months = months if months in TREND_MONTHS else 6
    up = web.upstreams(request)
    department = department or None
    window = reports.months_back(month, months)
    current = await up.get("penalty", "/scorecards", user.key, {"month": month})
    departments = reports.departments_of([current])
    if department is None:
        bodies = [current]
    else:
        earlier = await asyncio.gather(*(up.get("penalty", "/scorecards", user.key, {"month": m,
                                                                                      "department": department})
                                         for m in window[:-1]))
        bodies = [*earlier, {**current, "departments": [d for d in current["departments"]
                                                         if d["department"] == department]}]
    tables = [{"month": b["month"], "frozen": b.get("frozen"), "figures": reports.figures_of(b, department)}
              for b in reversed(bodies)]
    chart = reports.trend(bodies, department) if department else None
    response = web.render(request, "scorecards.html", user=user, month=month, department=department,
                          departments=sorted(set(departments) | ({department} if department else set())),
                          months=months, month_choices=TREND_MONTHS, tables=tables, chart=chart,
                          not_measured=current.get("not_measured") or [], percent=reports.percent,
                          plotly=_plotly_js() is not None)
    response.headers["Content-Security-Policy"] += CHART_STYLES
    return response


@router.get("/scorecards-export/{month}.csv")
async def scorecards_file(request: Request, month: str,
                          department: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    user = web.user_for(request, "scorecards.read")
    if not reports.MONTH.match(month):
        return Response(status_code=404)
    return _file(await web.upstreams(request).download("penalty", "/scorecards", user.key,
                                                       {k: v for k, v in {"month": month, "department": department,
                                                                   "format": "csv"}.items() if v}))
