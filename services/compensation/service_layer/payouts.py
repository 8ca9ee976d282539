"""Payout batches for finance (issue 11): cut, mark lines paid or failed, reconcile to the minor unit, export.

A batch takes every payable (`due`), unpaid claim completed by the cut-off that is in no pending or paid line. A
claim is in at most one live line (a partial unique index), so it is never in two open batches and never paid
twice; a failed line frees its claim for a later batch. An open ticket's claim is not payable: it is paid once, in
the first batch cut after it completes.

A claim that stops being payable once batched (an exemption recorded late, CT-3.2) leaves its open batch before
payment (line `removed`, total recomputed) or, already paid, gets a clawback (service_layer/claims.py); a claim
payable again (the exemption voided, CT-3.3.1) goes into a later batch, or has its clawback cancelled."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, text, update

from services.compensation.adapters import repository as repo
from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import journal as J
from services.compensation.domain.claims import DUE
from shared.errors import Conflict, NotFound
from shared.events.compensation import CompensationPaid
from shared.messaging.unit_of_work import UnitOfWork

EXPORT_COLUMNS = ("line", "account", "customer", "amount", "unit", "currency", "ticket number", "clause",
                  "reason", "status", "top-up reference")


async def cut_batch(uow: UnitOfWork, cut_off: datetime, currency: str, by: str) -> dict[str, Any]:
    """One batch of the payable, unbatched claims completed by `cut_off` (409 when there is none)."""
    await uow.conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('payout-cut', 11))"))
    c, ln = T.claims, T.lines
    live = select(ln.c.claim_id).where(ln.c.status.in_(("pending", "paid")))
    rows = (await uow.conn.execute(
        select(c.c.claim_id, c.c.amount).where(c.c.status == DUE, c.c.payout_state.is_(None), c.c.currency == currency,
                                               c.c.completion <= cut_off, c.c.amount > 0, c.c.claim_id.not_in(live))
        .order_by(c.c.completion, c.c.claim_id).with_for_update())).all()
    if not rows:
        raise Conflict(f"no payable {currency} claims completed by {cut_off.isoformat()} outside a batch",
                          current_state="nothing-to-pay")
    batch_id, now = uuid.uuid4(), uow.now()
    count = (await uow.conn.execute(select(func.count()).select_from(T.batches))).scalar_one()
    number = f"{now.year}-PB-{count + 1:05d}"
    total = sum(r.amount for r in rows)
    await uow.conn.execute(T.batches.insert().values(
        batch_id=batch_id, number=number, cut_off=cut_off, currency=currency, status="open", total=total,
        line_count=len(rows), created_by=by, created_at=now))
    await uow.conn.execute(ln.insert(), [{"line_id": uuid.uuid4(), "batch_id": batch_id, "claim_id": r.claim_id,
                                          "amount": r.amount, "status": "pending"} for r in rows])
    await uow.conn.execute(update(c).where(c.c.claim_id.in_([r.claim_id for r in rows]))
                           .values(payout_state="batched", updated_at=now))
    await uow.conn.execute(J.insert().values(kind="cut", ref=batch_id, at=now))
    return await batch_view(uow, batch_id)


async def mark_line(uow: UnitOfWork, batch_id: uuid.UUID, line_id: uuid.UUID, *, paid: bool, reference: str,
                    by: str) -> dict[str, Any]:
    """Paid (with the top-up reference) or failed (the claim goes into a later batch)."""
    ln, c = T.lines, T.claims
    ticket_id = (await uow.conn.execute(select(c.c.ticket_id).join(ln, ln.c.claim_id == c.c.claim_id)
                                        .where(ln.c.line_id == line_id, ln.c.batch_id == batch_id))).scalar()
    if ticket_id is None:
        raise NotFound(f"no line {line_id} in batch {batch_id}")
    await repo.lock_ticket(uow.conn, ticket_id)  # the order a recomputation locks in: ticket, its claims, lines
    line = (await uow.conn.execute(select(ln).where(ln.c.line_id == line_id).with_for_update())).one()
    if line.status != "pending":
        raise Conflict(f"the line is already {line.status}", current_state=line.status)
    now = uow.now()
    await uow.conn.execute(update(ln).where(ln.c.line_id == line_id).values(
        status="paid" if paid else "failed", top_up_ref=reference if paid else None,
        failure_reason=None if paid else reference, marked_by=by, marked_at=now))
    await uow.conn.execute(J.insert().values(kind="mark", ref=line_id, at=now))
    if paid:
        await uow.conn.execute(update(c).where(c.c.claim_id == line.claim_id).values(
            payout_state="paid", paid_at=now, top_up_ref=reference, updated_at=now))
        claim = (await uow.conn.execute(select(c).where(c.c.claim_id == line.claim_id))).mappings().one()
        payload = CompensationPaid(ticket_id=claim["ticket_id"], claim_id=claim["claim_id"], scheme=claim["scheme"],
                                   promise=claim["promise"], clause=claim["clause"], amount=line.amount,
                                   currency=claim["currency"], unit=claim["unit"], batch_id=batch_id,
                                   top_up_ref=reference)
        uow.emit([payload], stream=claim["ticket_id"], first_sequence=await repo.next_sequence(uow.conn),
                 occurred_at=now)
    else:
        await uow.conn.execute(update(c).where(c.c.claim_id == line.claim_id).values(payout_state=None,
                                                                                     updated_at=now))
    pending = (await uow.conn.execute(select(func.count()).where(ln.c.batch_id == batch_id,
                                                                 ln.c.status == "pending"))).scalar_one()
    if pending == 0:
        await uow.conn.execute(update(T.batches).where(T.batches.c.batch_id == batch_id).values(status="settled"))
    return await batch_view(uow, batch_id)


async def _clawbacks(uow: UnitOfWork, batch_id: uuid.UUID) -> list[dict[str, Any]]:
    cb, c = T.clawbacks, T.claims
    rows = (await uow.conn.execute(
        select(cb, c.c.number, c.c.account, c.c.customer_name, c.c.clause).join(c, c.c.claim_id == cb.c.claim_id)
        .where(cb.c.batch_id == batch_id).order_by(cb.c.recorded_at, cb.c.clawback_id))).mappings().all()
    iso = (lambda t: t.isoformat() if t else None)
    return [{"clawback_id": str(r["clawback_id"]), "claim_id": str(r["claim_id"]), "line_id": str(r["line_id"]),
             "ticket_id": str(r["ticket_id"]), "number": r["number"], "account": r["account"],
             "customer": r["customer_name"], "clause": r["clause"], "amount": r["amount"], "unit": r["unit"],
             "currency": r["currency"], "reason": r["reason"], "exemption_code": r["exemption_code"],
             "state": r["state"], "recorded_at": iso(r["recorded_at"]), "cancelled_at": iso(r["cancelled_at"]),
             "cancel_reason": r["cancel_reason"]} for r in rows]


async def _lines(uow: UnitOfWork, batch_id: uuid.UUID) -> list[dict[str, Any]]:
    ln, c = T.lines, T.claims
    rows = (await uow.conn.execute(
        select(ln, c.c.ticket_id, c.c.number, c.c.account, c.c.customer_name, c.c.customer_phone, c.c.clause,
               c.c.unit, c.c.currency, c.c.promise, c.c.evidence)
        .join(c, c.c.claim_id == ln.c.claim_id).where(ln.c.batch_id == batch_id)
        .order_by(c.c.completion, ln.c.line_id))).mappings().all()
    return [dict(r) for r in rows]


async def batch_view(uow: UnitOfWork, batch_id: uuid.UUID) -> dict[str, Any]:
    b = (await uow.conn.execute(select(T.batches).where(T.batches.c.batch_id == batch_id))).mappings().first()
    if b is None:
        raise NotFound(f"no payout batch {batch_id}")
    shown = [{
        "line_id": str(r["line_id"]), "claim_id": str(r["claim_id"]), "ticket_id": str(r["ticket_id"]),
        "number": r["number"], "account": r["account"], "customer": r["customer_name"], "amount": r["amount"],
        "unit": r["unit"], "clause": r["clause"], "reason": r["evidence"].get("arithmetic", ""),
        "status": r["status"], "top_up_ref": r["top_up_ref"], "failure_reason": r["failure_reason"]}
        for r in await _lines(uow, batch_id)]
    # `lines` are the batch's live lines (pending, paid, failed): they add up to `total`. A line whose claim stopped
    # being payable before payment left the batch (`removed`, with why); a paid one that did is clawed back.
    return {**_batch(b), "lines": [x for x in shown if x["status"] != "removed"],
            "removed": [x for x in shown if x["status"] == "removed"], "clawbacks": await _clawbacks(uow, batch_id)}


def _batch(b: Any) -> dict[str, Any]:
    return {"batch_id": str(b["batch_id"]), "number": b["number"], "cut_off": b["cut_off"].isoformat(),
            "currency": b["currency"], "status": b["status"], "total": b["total"], "line_count": b["line_count"],
            "created_by": b["created_by"], "created_at": b["created_at"].isoformat()}


async def list_batches(uow: UnitOfWork, limit: int) -> list[dict[str, Any]]:
    rows = (await uow.conn.execute(select(T.batches).order_by(T.batches.c.created_at.desc()).limit(limit))).mappings()
    return [_batch(b) for b in rows]


async def reconciliation(uow: UnitOfWork, batch_id: uuid.UUID) -> dict[str, Any]:
    """Lines = batch total; paid lines = the claims marked paid through this batch; all to the minor unit. Beside
    them: the lines removed before payment (`removed`, not in the total) and the open clawbacks of paid claims that
    stopped being payable (`clawbacks`; `net_paid` = paid − clawbacks)."""
    view = await batch_view(uow, batch_id)
    ln, c = T.lines, T.claims
    lines_total = sum(line["amount"] for line in view["lines"])
    by_status = {s: sum(x["amount"] for x in view["lines"] if x["status"] == s) for s in ("pending", "paid", "failed")}
    claims_paid = (await uow.conn.execute(
        select(func.coalesce(func.sum(c.c.amount), 0)).select_from(ln.join(c, and_(c.c.claim_id == ln.c.claim_id)))
        .where(ln.c.batch_id == batch_id, ln.c.status == "paid", c.c.payout_state == "paid"))).scalar_one()
    clawed = sum(x["amount"] for x in view["clawbacks"] if x["state"] == "open")
    return {"batch_id": view["batch_id"], "number": view["number"], "currency": view["currency"],
            "batch_total": view["total"], "lines_total": lines_total, "paid": by_status["paid"],
            "pending": by_status["pending"], "failed": by_status["failed"], "claims_marked_paid": int(claims_paid),
            "removed": sum(x["amount"] for x in view["removed"]), "removed_lines": len(view["removed"]),
            "clawbacks": clawed, "clawback_count": sum(x["state"] == "open" for x in view["clawbacks"]),
            "net_paid": by_status["paid"] - clawed,
            "balanced": lines_total == view["total"] and by_status["paid"] == int(claims_paid)}


def export_rows(view: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(i, x["account"], x["customer"], x["amount"], x["unit"], view["currency"], x["number"], x["clause"],
             x["reason"], x["status"], x["top_up_ref"] or "") for i, x in enumerate(view["lines"], start=1)]


def to_csv(view: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_rows(view))
    writer.writerow(("total", "", "", view["total"], "", view["currency"], "", "", "", "", ""))
    return out.getvalue()


def to_xlsx(view: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = view["number"]
    sheet.append(EXPORT_COLUMNS)
    for row in export_rows(view):
        sheet.append(list(row))
    sheet.append(["total", "", "", view["total"], "", view["currency"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
