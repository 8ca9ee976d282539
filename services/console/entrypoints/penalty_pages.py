"""The penalty month (ops): entries with their explanation, review (confirm / modify with a reason / cancel), the
appeals queue with its steps, close and publish, CSV/XLSX. All through the penalty service's API."""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.console.domain import permissions
from services.console.entrypoints import web
from services.console.entrypoints.board_pages import _optional

router = APIRouter(route_class=web.ConsoleRoute, include_in_schema=False)
MONTH = re.compile(r"^20\d{2}-(0[1-9]|1[0-2])$")
STATUSES = ("proposed", "confirmed", "modified", "cancelled", "appealed", "upheld", "refunded")


def _month(request: Request, month: str | None) -> str:
    if month and MONTH.match(month):
        return month
    return web.now(request).strftime("%Y-%m")


async def _appeals(request: Request, key: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The appeals of the month's appealed entries (their id is in each entry's history)."""
    up = web.upstreams(request)
    appealed = [e for e in entries if e["status"] == "appealed"][:50]
    explained = await asyncio.gather(*(up.get("penalty", f"/penalties/{e['entry_id']}", key) for e in appealed))
    ids = [next((h["appeal_id"] for h in reversed(x.get("history") or []) if h.get("appeal_id")), None)
           for x in explained]
    found = await asyncio.gather(*(up.get("penalty", f"/appeals/{i}", key) for i in ids if i))
    return list(found)


@router.get("/penalties")
async def penalty_month(request: Request, month: Annotated[str | None, Query(max_length=7)] = None,
                        status: Annotated[str | None, Query(max_length=20)] = None,
                        entry: uuid.UUID | None = None) -> Response:
    user = web.user_for(request, "penalties.read")
    month = _month(request, month)
    up = web.upstreams(request)
    status = status if status in STATUSES else None
    listed, totals = await asyncio.gather(
        up.get("penalty", "/penalties", user.key, {"month": month, "status": status, "limit": 1000}),
        up.get("penalty", "/penalties/totals", user.key, {"month": month}))
    entries = listed["items"]
    appeals = await _appeals(request, user.key, entries)
    shown = None
    if entry is not None:
        shown, _ = await _optional(up.get("penalty", f"/penalties/{entry}", user.key))
    return web.render(request, "penalties.html", user=user, month=month, status=status, statuses=STATUSES,
                      entries=entries, totals=totals, appeals=appeals, shown=shown,
                      done=request.query_params.get("done"), refused=request.query_params.get("refused"))


def _back(month: str) -> str:
    return f"/penalties?month={month}"


@router.post("/penalties/{entry_id}/review")
async def review(request: Request, entry_id: uuid.UUID) -> Response:
    user = web.user_for(request, "penalties.review")
    fields = await web.form(request, user)
    month = _month(request, fields.get("month"))
    action = fields.get("action")
    body: dict[str, Any] = {"action": action}
    if fields.get("reason", "").strip():
        body["reason"] = fields["reason"].strip()
    if action == "modify":
        try:
            body["amount_fen"] = int(Decimal(fields.get("amount", "")) * 100)
        except (InvalidOperation, ValueError):
            return web.redirect(web.flash_url(_back(month), "amount: yuan, e.g. 150.00", ok=False))
    return await _write(request, user, "penalty", f"/penalties/{entry_id}/review", body, fields, _back(month))


@router.post("/penalty-months/{month}/close")
async def close(request: Request, month: str) -> Response:
    user = web.user_for(request, "penalties.close")
    fields = await web.form(request, user)
    month = _month(request, month)
    return await _write(request, user, "penalty", f"/penalty-months/{month}/close", {}, fields, _back(month))


@router.post("/appeals/{appeal_id}/steps/{step}")
async def appeal_step(request: Request, appeal_id: uuid.UUID, step: str) -> Response:
    user = web.user_for(request, "penalties.read")
    if not permissions.may_record_step(user.role, step):
        raise web.NotAllowed()
    fields = await web.form(request, user)
    body: dict[str, Any] = {"approve": fields.get("approve") == "true"}
    if fields.get("note", "").strip():
        body["note"] = fields["note"].strip()
    month = _month(request, fields.get("month"))
    return await _write(request, user, "penalty", f"/appeals/{appeal_id}/steps/{step}", body, fields, _back(month))


@router.get("/penalties-export/{month}.{fmt}")
async def export(request: Request, month: str, fmt: str) -> Response:
    user = web.user_for(request, "penalties.read")
    if not MONTH.match(month) or fmt not in ("csv", "xlsx"):
        return Response(status_code=404)
    got = await web.upstreams(request).download("penalty", "/penalties/published", user.key,
                                                {"month": month, "format": fmt})
    return _file(got)


def _file(got: Any) -> Response:
    headers = {"Content-Disposition": got.disposition} if got.disposition else {}
    return Response(got.content, media_type=got.media_type, headers=headers)


async def _write(request: Request, user: web.User, service: str, path: str, body: dict[str, Any],
                 fields: dict[str, str], back: str) -> Response:
    """A write through the service's API; back to the page with what happened (the API's refusal shown)."""
    from services.console.adapters.upstream import UpstreamError

    try:
        await web.upstreams(request).post(service, path, user.key, body, idempotency_key=fields.get("token"))
    except UpstreamError as exc:
        if exc.status in (401, 403):
            raise
        return web.redirect(web.flash_url(back, exc.message, ok=False))
    return web.redirect(web.flash_url(back, "ok"))
