"""The live board (dispatch GET /tickets; sla_monitor /timers/at-risk, /timers/breached) and the ticket page
(dispatch timeline, sla_monitor timers, penalty entries, compensation claims)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.console.adapters.upstream import UpstreamError
from services.console.domain import board, permissions
from services.console.entrypoints import web
from shared.events.vocabulary import Segment, TicketKind

router = APIRouter(route_class=web.ConsoleRoute, include_in_schema=False)
FILTERS = ("department", "kind", "segment", "incident")
Short = Annotated[str | None, Query(max_length=100)]


async def _optional(call: Any) -> tuple[Any, str | None]:
    """An upstream part of a page: its answer, or None with why it is missing (the page still renders)."""
    try:
        return await call, None
    except UpstreamError as exc:
        if exc.status == 401:
            raise
        return None, "not_visible" if exc.status == 403 else f"{exc.service}: {exc.message}"


async def _open_tickets(request: Request, key: str, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Every open ticket matching the filters: one dispatch query per open state (closed ones never load)."""
    up = web.upstreams(request)
    if any(k in filters for k in ("number", "phone", "account")):
        return (await up.get("dispatch", "/tickets", key, filters | {"limit": 500}))["items"]
    pages = await asyncio.gather(*(up.get("dispatch", "/tickets", key, filters | {"state": s, "limit": 500})
                                   for s in board.OPEN_STATES))
    return [t for page in pages for t in page["items"]]


@router.get("/board")
async def live_board(request: Request, department: Short = None, kind: Short = None, segment: Short = None,
                     incident: Short = None, q: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    user = web.user_for(request, "tickets.read")
    chosen = {k: v for k, v in (("department", department), ("kind", kind), ("segment", segment),
                                ("incident", incident)) if v}
    if chosen.get("kind") not in (None, *KINDS):
        chosen.pop("kind")  # a hand-typed URL: an unknown value filters nothing rather than failing the page
    if chosen.get("segment") not in (None, *SEGMENTS):
        chosen.pop("segment")
    search = board.search_filter(q or "")
    if incident:
        try:
            uuid.UUID(incident)
        except ValueError:
            chosen.pop("incident")
    up = web.upstreams(request)
    tickets = await _open_tickets(request, user.key, chosen | search)
    numbers = {t["ticket_id"]: t["number"] for t in tickets}
    at_risk = breached = None
    timers_note = None
    if permissions.can(user.role, "timers.read"):
        dept = {"department": department} if department else {}
        (risk, note1), (late, note2) = await asyncio.gather(
            _optional(up.get("sla_monitor", "/timers/at-risk", user.key, dept | {"limit": 200})),
            _optional(up.get("sla_monitor", "/timers/breached", user.key, dept | {"open_only": "true",
                                                                                   "limit": 200})))
        timers_note = note1 or note2
        narrowed = bool(set(chosen) - {"department"} or search)

        def keep(timers: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [t for t in timers if not narrowed or t["ticket_id"] in numbers]

        at_risk = board.timer_rows(keep(risk["timers"]), numbers) if risk else []
        breached = board.timer_rows(keep(late["timers"]), numbers) if late else []
    template = "board_live.html" if request.headers.get("x-console-refresh") else "board.html"
    return web.render(request, template, user=user, grid=board.grid(tickets), tickets=tickets[:200],
                      ticket_count=len(tickets), at_risk=at_risk, breached=breached, timers_note=timers_note,
                      filters=chosen, q=q or "", kinds=KINDS, segments=SEGMENTS)


KINDS = tuple(k.value for k in TicketKind)
SEGMENTS = tuple(s.value for s in Segment)


@router.get("/tickets/{ticket_id}")
async def ticket_page(request: Request, ticket_id: uuid.UUID) -> Response:
    user = web.user_for(request, "tickets.read")
    up = web.upstreams(request)
    ticket = await up.get("dispatch", f"/tickets/{ticket_id}", user.key)

    async def nothing() -> None:
        return None

    def part(capability: str, service: str, path: str) -> Any:
        if not permissions.can(user.role, capability):
            return nothing()
        return _optional(up.get(service, path, user.key))

    timers, penalties, claims = await asyncio.gather(
        part("timers.read", "sla_monitor", f"/tickets/{ticket_id}/timers"),
        part("penalties.read", "penalty", f"/tickets/{ticket_id}/penalties"),
        part("claims.read", "compensation", f"/tickets/{ticket_id}/claims"))
    return web.render(request, "ticket.html", user=user, ticket=ticket, timers=timers, penalties=penalties,
                      claims=claims)
