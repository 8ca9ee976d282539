"""CT-5 reports and the CT-4.9.1 contractor split, each as JSON, CSV or XLSX (roles finance, ops)."""

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy import and_, select

from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import directory
from services.compensation.domain.reports import ClaimFact, contractor_split, same_day_figures
from services.compensation.service_layer.config import CompensationConfig
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.errors import DomainError
from shared.policy.compensation import CtScheme
from shared.service import RuntimeDep

router = APIRouter(tags=["reports"])
Reader = Annotated[Principal, Depends(require(Role.FINANCE, Role.OPS))]
Format = Annotated[Literal["json", "csv", "xlsx"], Query()]
Month = Annotated[str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$", description="YYYY-MM, local")]
Day = Annotated[date | None, Query(description="Local date; default today")]
From = Annotated[date | None, Query(alias="from", description="Local date; default `to`, else today")]
EXPORTS = {200: {"content": {"application/json": {}, "text/csv": {},
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}}


def _zone(cfg: CompensationConfig) -> ZoneInfo:
    ct = [s for s in cfg.schemes.schemes.values() if isinstance(s, CtScheme)]
    return ZoneInfo(ct[0].zone if ct else "Asia/Shanghai")


def _ct_schemes(cfg: CompensationConfig) -> list[str]:
    return [k for k, s in cfg.schemes.schemes.items() if isinstance(s, CtScheme)]


def _fact(row: Any, zone: ZoneInfo) -> ClaimFact:
    ev = row["evidence"] or {}
    start = datetime.fromisoformat(ev["start"]) if ev.get("start") else None
    completion = row["completion"]
    return ClaimFact(ticket_id=str(row["ticket_id"]), number=row["number"], promise=row["promise"],
                     status=row["status"], district=(ev.get("eligibility") or {}).get("district"),
                     start_day=start.astimezone(zone).date() if start else None,
                     completion_month=completion.astimezone(zone).strftime("%Y-%m") if completion else None,
                     amount=row["amount"])


def _bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    if not (2000 <= first.year <= 2099 and 2000 <= last.year <= 2099):
        raise DomainError(422, "dates must be in 2000-2099 (datetime_range)")
    return (datetime.combine(first, time(0), tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone))


def _month(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    first = date.fromisoformat(f"{month}-01")
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _bounds(first, nxt - timedelta(days=1), zone)


def export(name: str, columns: list[str], rows: list[dict[str, Any]], fmt: str, extra: dict[str, Any]) -> Any:
    """JSON ({..., rows}), or the rows as CSV / XLSX with a header line."""
    if fmt == "json":
        return {**extra, "rows": rows}
    values = [[r.get(c) if not isinstance(r.get(c), list) else " ".join(r.get(c)) for c in columns] for r in rows]
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(values)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = name[:31]
    sheet.append(columns)
    for row in values:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return Response(buf.getvalue(), headers=headers,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/reports/same-day", responses={**EXPORTS, **error_responses(422)},
            summary="CT-5: daily same-day install/repair figures per district (on time, late, late-exempt, rate)")
async def same_day(rt: RuntimeDep, _: Reader, from_: From = None,
                   to: Day = None, format: Format = "json") -> Any:
    cfg: CompensationConfig = rt.config
    zone = _zone(cfg)
    today = rt.clock.now().astimezone(zone).date()
    first, last = from_ or to or today, to or from_ or today
    if last < first or (last - first).days > 366:
        raise DomainError(422, "`from` must be on or before `to`, at most a year apart")
    lo, hi = _bounds(first, last, zone)
    c = T.claims
    async with rt.engine.connect() as conn:  # a same-day deadline falls at most a few days after its start
        rows = (await conn.execute(select(c).where(c.c.scheme.in_(_ct_schemes(cfg)), c.c.deadline >= lo,
                                                   c.c.deadline < hi + timedelta(days=3)))).mappings().all()
    facts = [f for f in (_fact(r, zone) for r in rows) if f.start_day and first <= f.start_day <= last]
    figures = same_day_figures(facts)
    columns = ["day", "district", "promise", "on_time", "late", "late_exempt", "open", "rate"]
    return export(f"same-day-{first}-{last}", columns, figures, format,
                  {"from": first.isoformat(), "to": last.isoformat(),
                   "rate_rule": "on time / (on time + late); late-exempt outside the rate (RULEBOOK §9.12)"})


AUDIT_COLUMNS = ["number", "account", "customer", "scheme", "clause", "promise", "status", "days_late", "amount",
                 "unit", "currency", "deadline", "completion", "exemption", "payout_state", "top_up_ref",
                 "arithmetic"]


@router.get("/reports/compensation-list", responses={**EXPORTS, **error_responses(422)},
            summary="CT-5: the compensation list for audit: every late claim completed in the period, with why")
async def audit_list(rt: RuntimeDep, _: Reader, from_: From = None,
                     to: Day = None, format: Format = "json") -> Any:
    zone = _zone(rt.config)
    today = rt.clock.now().astimezone(zone).date()
    first, last = from_ or to or today, to or from_ or today
    if last < first:
        raise DomainError(422, "`from` must be on or before `to`")
    lo, hi = _bounds(first, last, zone)
    c = T.claims
    async with rt.engine.connect() as conn:
        rows = (await conn.execute(select(c).where(c.c.status.in_(("due", "exempt", "void")), c.c.completion >= lo,
                                                   c.c.completion < hi).order_by(c.c.completion))).mappings().all()
    iso = (lambda t: t.isoformat() if t else None)
    out = [{"claim_id": str(r["claim_id"]), "ticket_id": str(r["ticket_id"]), "number": r["number"],
            "account": r["account"], "customer": r["customer_name"], "scheme": r["scheme"], "clause": r["clause"],
            "promise": r["promise"], "status": r["status"], "days_late": r["days_late"], "amount": r["amount"],
            "unit": r["unit"], "currency": r["currency"], "deadline": iso(r["deadline"]),
            "completion": iso(r["completion"]), "exemption": ((r["evidence"] or {}).get("exemption") or {}).get("code"),
            "payout_state": r["payout_state"], "top_up_ref": r["top_up_ref"],
            "arithmetic": (r["evidence"] or {}).get("arithmetic", "")} for r in rows]
    return export(f"compensation-list-{first}-{last}", AUDIT_COLUMNS, out, format,
                  {"from": first.isoformat(), "to": last.isoformat()})


PAID_COLUMNS = ["paid_at", "batch", "number", "account", "customer", "amount", "unit", "currency", "clause",
                "top_up_ref", "kind", "reason"]


@router.get("/reports/paid", responses={**EXPORTS, **error_responses(422)},
            summary="CT-5: the monthly list of compensation paid (by the local month it was marked paid), and "
                    "clawbacks of paid claims that stopped being payable (by the month recorded)")
async def paid_list(rt: RuntimeDep, _: Reader, month: Month, format: Format = "json") -> Any:
    """Rows of `kind` `payment` (amount paid, `paid_at` when it was marked paid) and `clawback` (a paid claim an
    exemption recorded afterwards made not payable, CT-3.2: the paid amount negative, `paid_at` when the clawback
    was recorded; a clawback cancelled since, because a dispute voided the exemption, is not listed). `totals`:
    paid per currency; `clawbacks`: clawed back per currency; `net`: the difference."""
    lo, hi = _month(month, _zone(rt.config))
    c, ln, b, cb = T.claims, T.lines, T.batches, T.clawbacks
    async with rt.engine.connect() as conn:
        rows = (await conn.execute(
            select(c, b.c.number.label("batch_number"), ln.c.amount.label("line_amount"))
            .join(ln, and_(ln.c.claim_id == c.c.claim_id, ln.c.status == "paid")).join(b, b.c.batch_id == ln.c.batch_id)
            .where(c.c.payout_state == "paid", c.c.paid_at >= lo, c.c.paid_at < hi)
            .order_by(c.c.paid_at))).mappings().all()
        clawed = (await conn.execute(
            select(cb, c.c.number, c.c.account, c.c.customer_name, c.c.clause, c.c.top_up_ref,
                   b.c.number.label("batch_number"))
            .join(c, c.c.claim_id == cb.c.claim_id).join(b, b.c.batch_id == cb.c.batch_id)
            .where(cb.c.state == "open", cb.c.recorded_at >= lo, cb.c.recorded_at < hi)
            .order_by(cb.c.recorded_at))).mappings().all()
    out = [{"claim_id": str(r["claim_id"]), "paid_at": r["paid_at"].isoformat(), "batch": r["batch_number"],
            "number": r["number"], "account": r["account"], "customer": r["customer_name"],
            "amount": r["line_amount"], "unit": r["unit"], "currency": r["currency"], "clause": r["clause"],
            "top_up_ref": r["top_up_ref"], "kind": "payment", "reason": ""} for r in rows]
    backs = [{"claim_id": str(r["claim_id"]), "paid_at": r["recorded_at"].isoformat(), "batch": r["batch_number"],
              "number": r["number"], "account": r["account"], "customer": r["customer_name"],
              "amount": -r["amount"], "unit": r["unit"], "currency": r["currency"], "clause": r["clause"],
              "top_up_ref": r["top_up_ref"], "kind": "clawback", "reason": r["reason"]} for r in clawed]
    totals: dict[str, int] = {}
    for r in out:
        totals[r["currency"]] = totals.get(r["currency"], 0) + r["amount"]
    clawbacks: dict[str, int] = {}
    for r in backs:
        clawbacks[r["currency"]] = clawbacks.get(r["currency"], 0) - r["amount"]
    net = {k: totals.get(k, 0) - clawbacks.get(k, 0) for k in sorted({*totals, *clawbacks})}
    return export(f"paid-{month}", PAID_COLUMNS, out + backs, format,
                  {"month": month, "totals": totals, "clawbacks": clawbacks, "net": net})


SPLIT_COLUMNS = ["month", "contractor", "districts", "tickets", "installer_overtime", "late_exempt", "overtime_rate",
                 "compensation", "contractor_share", "operator_share", "arithmetic"]


@router.get("/reports/contractor-split", responses={**EXPORTS, **error_responses(422)},
            summary="CT-4.9.1: per outsourced area, the share of compensation above 5% overtime charged to it")
async def split(rt: RuntimeDep, _: Reader, month: Month, format: Format = "json") -> Any:
    cfg: CompensationConfig = rt.config
    zone = _zone(cfg)
    lo, hi = _month(month, zone)
    c, d = T.claims, directory.departments
    async with rt.engine.connect() as conn:
        rows = (await conn.execute(select(c).where(c.c.scheme.in_(_ct_schemes(cfg)), c.c.completion >= lo,
                                                   c.c.completion < hi))).mappings().all()
        contractors = (await conn.execute(select(d.c.id, d.c.districts).where(d.c.kind == "contractor",
                                                                               d.c.active))).all()
    served = {r.id: list(r.districts or []) for r in contractors}
    out = contractor_split([_fact(r, zone) for r in rows], served, month)
    return export(f"contractor-split-{month}", SPLIT_COLUMNS, out, format,
                  {"month": month, "threshold": "5% of tickets (CT-4.9.1)"})
