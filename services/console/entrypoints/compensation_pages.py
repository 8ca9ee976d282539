"""Compensation (finance): claims with their evidence, exemptions (CT-3.2) and disputes (CT-3.3.1), payments at risk,
payout batches (cut, CSV/XLSX, mark lines paid or failed) and each batch's reconciliation, through the compensation
service's API; recording an exemption (ops, supervisor) or a customer's dispute (agent, supervisor) as the API allows;
and dead letters (ops): every consuming service's parked events, replayed after a fix."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from services.console.adapters.upstream import DEFAULT_PORTS
from services.console.domain import exemptions, permissions
from services.console.entrypoints import web
from services.console.entrypoints.board_pages import _optional
from services.console.entrypoints.penalty_pages import _file, _write

router = APIRouter(route_class=web.ConsoleRoute, include_in_schema=False)
CLAIM_STATUSES = ("open", "met", "due", "exempt", "void")
CONSUMERS = tuple(DEFAULT_PORTS)  # every service but the console consumes a topic


@router.get("/compensation")
async def compensation(request: Request, status: Annotated[str | None, Query(max_length=10)] = None,
                       batch: uuid.UUID | None = None, claim: uuid.UUID | None = None) -> Response:
    user = web.user_for(request, "claims.read")
    up = web.upstreams(request)
    status = status if status in CLAIM_STATUSES else None
    claims, overdue, (listed, exemptions_note) = await asyncio.gather(
        up.get("compensation", "/claims", user.key, {"status": status, "limit": 500}),
        up.get("compensation", "/payments/overdue", user.key),
        _optional(up.get("compensation", "/exemptions", user.key, {"limit": 1000})))
    batches = shown = reconciliation = None
    if permissions.can(user.role, "payouts.read"):
        batches = (await up.get("compensation", "/payout-batches", user.key))["batches"]
        chosen = batch or (uuid.UUID(batches[0]["batch_id"]) if batches else None)
        if chosen is not None:
            shown, reconciliation = await asyncio.gather(
                up.get("compensation", f"/payout-batches/{chosen}", user.key),
                up.get("compensation", f"/payout-batches/{chosen}/reconciliation", user.key))
    picked = codes = None
    if claim is not None:
        picked = await up.get("compensation", f"/claims/{claim}", user.key)
        of_ticket = await up.get("compensation", f"/tickets/{picked['ticket_id']}/exemptions", user.key)
        picked["exemptions"] = [e for e in of_ticket["exemptions"] if picked["claim_id"] in e["claims"]]
        codes = exemptions.codes_for(of_ticket["codes"], picked["scheme"])
    now = web.now(request).strftime("%Y-%m-%dT%H:%M")
    return web.render(request, "compensation.html", user=user, claims=claims["claims"], overdue=overdue,
                      status=status, statuses=CLAIM_STATUSES, batches=batches, batch=shown,
                      reconciliation=reconciliation, now=now, done=request.query_params.get("done"),
                      refused=request.query_params.get("refused"),
                      exemptions=exemptions.by_claim((listed or {}).get("exemptions") or []),
                      exemptions_note=exemptions_note, exemption_state=exemptions.state, claim=picked, codes=codes)


def _claim_page(claim_id: uuid.UUID | str) -> str:
    return f"/compensation?claim={claim_id}"


@router.post("/compensation/claims/{claim_id}/exemptions")
async def record_exemption(request: Request, claim_id: uuid.UUID) -> Response:
    """CT-3.2: an exemption with its reason code and evidence note, for the claim's promise."""
    user = web.user_for(request, "exemptions.record")
    fields = await web.form(request, user)
    try:
        ticket_id = uuid.UUID(fields.get("ticket_id", ""))
    except ValueError:
        return web.redirect(web.flash_url(_claim_page(claim_id), "ticket_id: the claim's ticket", ok=False))
    body = {k: fields[k].strip() for k in ("code", "note", "promise", "cause", "recording_ref")
            if fields.get(k, "").strip()}
    return await _write(request, user, "compensation", f"/tickets/{ticket_id}/exemptions", body, fields,
                        _claim_page(claim_id))


@router.post("/compensation/exemptions/{exemption_id}/disputes")
async def dispute_exemption(request: Request, exemption_id: uuid.UUID) -> Response:
    """CT-3.3.1: the customer disputes the exemption; without a call recording it is void."""
    user = web.user_for(request, "exemptions.dispute")
    fields = await web.form(request, user)
    back = "/compensation"
    try:
        back = _claim_page(uuid.UUID(fields.get("claim", "")))
    except ValueError:
        pass
    body = {k: fields[k].strip() for k in ("note", "recording_ref") if fields.get(k, "").strip()}
    return await _write(request, user, "compensation", f"/exemptions/{exemption_id}/disputes", body, fields, back)


def _back(batch_id: uuid.UUID | str | None = None) -> str:
    return f"/compensation?batch={batch_id}" if batch_id else "/compensation"


@router.post("/payout-batches")
async def cut(request: Request) -> Response:
    user = web.user_for(request, "payouts.cut")
    fields = await web.form(request, user)
    try:
        local = datetime.fromisoformat(fields.get("cut_off", ""))
    except ValueError:
        return web.redirect(web.flash_url(_back(), "cut_off: a date and time", ok=False))
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(web.config(request).tz))
    body = {"cut_off": local.isoformat(), "currency": fields.get("currency") or "CNY"}
    return await _write(request, user, "compensation", "/payout-batches", body, fields, _back())


@router.post("/payout-batches/{batch_id}/lines/{line_id}/{outcome}")
async def mark(request: Request, batch_id: uuid.UUID, line_id: uuid.UUID, outcome: str) -> Response:
    user = web.user_for(request, "payouts.mark")
    fields = await web.form(request, user)
    if outcome not in ("paid", "failed"):
        return Response(status_code=404)
    body = ({"top_up_ref": fields.get("top_up_ref", "").strip()} if outcome == "paid"
            else {"reason": fields.get("reason", "").strip()})
    return await _write(request, user, "compensation", f"/payout-batches/{batch_id}/lines/{line_id}/{outcome}", body,
                        fields, _back(batch_id))


@router.get("/payout-batches/{batch_id}/export.{fmt}")
async def export(request: Request, batch_id: uuid.UUID, fmt: str) -> Response:
    user = web.user_for(request, "payouts.read")
    if fmt not in ("csv", "xlsx"):
        return Response(status_code=404)
    return _file(await web.upstreams(request).download("compensation", f"/payout-batches/{batch_id}/export",
                                                       user.key, {"format": fmt}))


@router.get("/dead-letters")
async def dead_letters(request: Request) -> Response:
    user = web.user_for(request, "dead_letters.read")
    up = web.upstreams(request)
    answers = await asyncio.gather(*(_optional(up.get(s, "/dead-letters", user.key)) for s in CONSUMERS))
    services = [{"service": s, "parked": (page or {}).get("items", []), "note": note}
                for s, (page, note) in zip(CONSUMERS, answers, strict=True)]
    return web.render(request, "dead_letters.html", user=user, services=services,
                      done=request.query_params.get("done"), refused=request.query_params.get("refused"))


@router.post("/dead-letters/{service}/{parked_id}/replay")
async def replay(request: Request, service: str, parked_id: int) -> Response:
    user = web.user_for(request, "dead_letters.replay")
    fields = await web.form(request, user)
    if service not in CONSUMERS:
        return Response(status_code=404)
    return await _write(request, user, service, f"/dead-letters/{parked_id}/replay", {}, fields, "/dead-letters")
