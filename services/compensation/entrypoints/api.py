"""Compensation HTTP API: claims with their evidence, exemptions and disputes, field-time confirmations, payment
deadlines, customer notices. No `from __future__ import annotations`: FastAPI must see the body types."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from services.compensation.adapters import repository as repo
from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import tracking
from services.compensation.domain.decide import decide
from services.compensation.domain.facts import fold
from services.compensation.service_layer import commands as cmd
from services.compensation.service_layer.claims import gather_inputs
from services.compensation.service_layer.config import CompensationConfig
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.errors import DomainError
from shared.http.idempotency import IdempotencyKey, idempotent_json
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep, ServiceRuntime

router = APIRouter(tags=["compensation"])
Reader = Annotated[Principal, Depends(require(Role.FINANCE, Role.OPS, Role.SUPERVISOR, Role.AGENT))]
Exempter = Annotated[Principal, Depends(require(Role.SUPERVISOR, Role.DISPATCHER, Role.OPS))]
Disputer = Annotated[Principal, Depends(require(Role.AGENT, Role.SUPERVISOR))]
Supervisor = Annotated[Principal, Depends(require(Role.SUPERVISOR))]
Work = Callable[[UnitOfWork], Awaitable[dict[str, Any]]]
LimitQ = Annotated[int, Query(ge=1, le=1000)]


async def run_write(rt: ServiceRuntime, principal: Principal, key: str | None, path: str, body: BaseModel | None,
                    status: int, work: Work) -> JSONResponse:
    """One write under Idempotency-Key: a retry with the same key answers the first response, changes nothing."""
    return await idempotent_json(rt.new_uow, rt.spec.tables, principal.name, key,
                                 ("POST", path, body.model_dump(mode="json") if body else {}), status, work)


def payment_state(row: dict[str, Any], now: Any, cfg: CompensationConfig) -> str | None:
    """CT-3.4: `due` (time left), `at-risk` (within at_risk_before of the limit), `missed`, `paid`; `clawback`: paid,
    then no longer payable (an exemption recorded after payment), the amount to be recovered; None: nothing due."""
    if row["payout_state"] == "paid":
        return "paid" if row["status"] == "due" else "clawback"
    if row["status"] != "due" or row["payment_due_at"] is None:
        return None
    scheme = cfg.schemes.schemes.get(row["scheme"])
    at_risk = scheme.payment.at_risk_before if scheme else timedelta(days=2)
    if now > row["payment_due_at"]:
        return "missed"
    return "at-risk" if now >= row["payment_due_at"] - at_risk else "due"


def view(row: dict[str, Any], now: Any, cfg: CompensationConfig) -> dict[str, Any]:
    return {**cmd.claim_view(row), "payment": payment_state(row, now, cfg)}


@router.get("/tickets/{ticket_id}/claims", summary="The ticket's claims with their evidence; open ones priced now")
async def ticket_claims(ticket_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    cfg: CompensationConfig = rt.config
    now = rt.clock.now()
    async with rt.engine.connect() as conn:
        rows = await repo.claims_of(conn, ticket_id)
        facts, inputs = await gather_inputs(conn, ticket_id, fold(str(ticket_id),
                                                                   await repo.ticket_facts(conn, ticket_id)))
    if facts.entered_at is None:
        raise DomainError(404, f"ticket {ticket_id} not seen by compensation (yet)")
    live = {(c.scheme, c.promise): c for c in decide(cfg.schemes, cfg.cutoffs, facts, inputs, now,
                                                      cfg.flag_backdated_after)}
    claims = []
    for row in rows:
        shown = view(row, now, cfg)
        current = live.get((row["scheme"], row["promise"]))
        if row["status"] == "open" and current is not None:  # an open ticket keeps accruing (RULEBOOK §6)
            shown["accrued_so_far"] = {"amount": current.amount, "days_late": current.days_late,
                                       "arithmetic": current.arithmetic, "as_of": now.isoformat()}
        claims.append(shown)
    return {"ticket_id": str(ticket_id), "number": facts.number, "claims": claims}


@router.get("/claims", summary="Claims by status, scheme or payment deadline state")
async def list_claims(rt: RuntimeDep, _: Reader,
                      status: Annotated[Literal["open", "met", "due", "exempt", "void"] | None, Query()] = None,
                      scheme: Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9-]+$")] = None,
                      payment: Annotated[Literal["due", "at-risk", "missed", "paid", "clawback"] | None,
                                         Query()] = None,
                      limit: LimitQ = 200) -> dict[str, Any]:
    cfg: CompensationConfig = rt.config
    now = rt.clock.now()
    c = T.claims
    query = select(c).order_by(c.c.created_at)
    if status:
        query = query.where(c.c.status == status)
    if scheme:
        query = query.where(c.c.scheme == scheme)
    if payment:
        query = (query.where(c.c.payout_state == "paid") if payment in ("paid", "clawback")
                 else query.where(c.c.status == "due"))
    async with rt.engine.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
    shown = [view(r, now, cfg) for r in rows]
    if payment:
        shown = [r for r in shown if r["payment"] == payment]
    return {"as_of": now.isoformat(), "claims": shown[:limit]}


@router.get("/claims/{claim_id}", summary="One claim with its evidence")
async def read_claim(claim_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.engine.connect() as conn:
        row = (await conn.execute(select(T.claims).where(T.claims.c.claim_id == claim_id))).mappings().first()
    if row is None:
        raise DomainError(404, f"no claim {claim_id}")
    return view(dict(row), rt.clock.now(), rt.config)


@router.get("/payments/overdue", summary="CT-3.4: payable claims at risk of, or past, their 7-day payment limit")
async def payment_deadlines(rt: RuntimeDep, _: Reader, limit: LimitQ = 200) -> dict[str, Any]:
    """`at_risk` and `missed` as of now; a missed one carries `breach` once the payment-deadline worker has
    recorded it (and published CompensationPaymentMissed): see also `GET /payments/breaches`."""
    now = rt.clock.now()
    c, b = T.claims, tracking.payment_breaches
    async with rt.engine.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(
            select(c, b.c.detected_at.label("breach_detected_at"))
            .outerjoin(b, b.c.claim_id == c.c.claim_id)
            .where(c.c.status == "due", c.c.payout_state.is_distinct_from("paid"))
            .order_by(c.c.payment_due_at).limit(limit))).mappings()]
    shown = []
    for r in rows:
        item = view(r, now, rt.config)
        item["breach"] = ({"detected_at": r["breach_detected_at"].isoformat()}
                          if r["breach_detected_at"] is not None else None)
        shown.append(item)
    return {"as_of": now.isoformat(), "at_risk": [r for r in shown if r["payment"] == "at-risk"],
            "missed": [r for r in shown if r["payment"] == "missed"]}


@router.get("/payments/breaches", summary="CT-3.4: every missed payment limit on record, open or closed")
async def payment_breaches(rt: RuntimeDep, _: Reader,
                           state: Annotated[Literal["open", "closed", "all"], Query()] = "all",
                           limit: LimitQ = 200) -> dict[str, Any]:
    """One record per claim whose limit passed while it was payable and unpaid; `closed_how`: paid-late, exempt,
    void once settled."""
    b, c = tracking.payment_breaches, T.claims
    query = (select(b, c.c.number, c.c.promise, c.c.clause, c.c.currency, c.c.unit, c.c.customer_name,
                    c.c.account).join(c, c.c.claim_id == b.c.claim_id).order_by(b.c.payment_due_at).limit(limit))
    if state != "all":
        query = query.where(b.c.closed_at.is_(None) if state == "open" else b.c.closed_at.is_not(None))
    async with rt.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    iso = (lambda t: t.isoformat() if t else None)
    return {"breaches": [{
        "claim_id": str(r["claim_id"]), "ticket_id": str(r["ticket_id"]), "number": r["number"],
        "scheme": r["scheme"], "promise": r["promise"], "clause": r["clause"], "amount": r["amount"],
        "currency": r["currency"], "unit": r["unit"], "account": r["account"], "customer": r["customer_name"],
        "payment_due_at": iso(r["payment_due_at"]), "detected_at": iso(r["detected_at"]),
        "state": "closed" if r["closed_at"] else "open", "closed_at": iso(r["closed_at"]),
        "closed_how": r["closed_how"]} for r in rows]}


@router.post("/tickets/{ticket_id}/exemptions", status_code=201, responses=error_responses(404, 422),
             summary="CT-3.2: record an exemption (reason code + evidence note); voids a payable claim")
async def exempt(ticket_id: uuid.UUID, body: cmd.RecordExemption, rt: RuntimeDep, principal: Exempter,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Published as CompensationExemptionRecorded (RULEBOOK §9.12: the breach stays, "late, exempt"). A payable
    claim it covers is voided: taken out of its open payout batch if batched, clawed back if already paid."""
    return await run_write(rt, principal, idempotency_key, f"/tickets/{ticket_id}/exemptions", body, 201,
                           lambda uow: cmd.record_exemption(uow, ticket_id, body, principal.name))


@router.post("/exemptions/{exemption_id}/disputes", status_code=200, responses=error_responses(404, 409),
             summary="CT-3.3.1: the customer disputes an exemption; without a call recording it is void")
async def dispute(exemption_id: uuid.UUID, body: cmd.DisputeExemption, rt: RuntimeDep, principal: Disputer,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """A voided exemption is published as CompensationExemptionVoided; its claims are payable again (a clawback
    recorded for it is cancelled: the customer keeps the payment). 409 when already disputed."""
    return await run_write(rt, principal, idempotency_key, f"/exemptions/{exemption_id}/disputes", body, 200,
                           lambda uow: cmd.dispute(uow, exemption_id, body, principal.name))


@router.post("/tickets/{ticket_id}/completion-confirmations", status_code=200, responses=error_responses(404),
             summary="RULEBOOK §9.13: a supervisor confirms a backdated completion's field time")
async def confirm(ticket_id: uuid.UUID, body: cmd.ConfirmFieldTime, rt: RuntimeDep, principal: Supervisor,
                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(rt, principal, idempotency_key, f"/tickets/{ticket_id}/completion-confirmations", body,
                           200, lambda uow: cmd.confirm_field_time(uow, ticket_id, body, principal.name))


@router.get("/notifications", summary="Customer notices (CT-4.6): the message, and how its delivery went")
async def notifications(rt: RuntimeDep, _: Reader, ticket_id: uuid.UUID | None = None,
                        status: Annotated[Literal["pending", "sent", "failed", "suppressed"] | None, Query()] = None,
                        limit: LimitQ = 200) -> dict[str, Any]:
    """With the dev notifier (no GONGDAN_SMS_GATEWAY_URL) this table is where the messages go (`channel` dev)."""
    n = T.notifications
    query = select(n).order_by(n.c.created_at).limit(limit)
    if ticket_id:
        query = query.where(n.c.ticket_id == ticket_id)
    if status:
        query = query.where(n.c.status == status)
    async with rt.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    iso = (lambda t: t.isoformat() if t else None)
    return {"notifications": [{"notification_id": str(r["notification_id"]), "claim_id": str(r["claim_id"]),
                               "ticket_id": str(r["ticket_id"]), "phone": r["phone"], "language": r["language"],
                               "message": r["message"], "status": r["status"], "channel": r["channel"],
                               "attempts": r["attempts"], "last_error": r["last_error"],
                               "created_at": r["created_at"].isoformat(), "sent_at": iso(r["sent_at"])}
                              for r in rows]}
