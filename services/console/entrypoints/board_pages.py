"""The live board (dispatch GET /tickets; sla_monitor /timers/at-risk, /timers/breached; open network/system faults,
internal mail and forum posts from dispatch with their own timers), the ticket page (dispatch timeline, sla_monitor
timers, penalty entries, compensation claims) and the page of one such work item (its timeline and timers)."""

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
ITEM_TIMERS = 50  # open work items whose timers the board reads each refresh
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
    tickets, (listed, items_note) = await asyncio.gather(_open_tickets(request, user.key, chosen | search),
                                                         _work_items(request, user, department))
    numbers = {t["ticket_id"]: t["number"] for t in tickets}
    item_numbers = {str(i[board.WORK_ITEMS[s][1]]): i["number"] for s, items in (listed or {}).items() for i in items}
    at_risk = breached = item_risk = item_late = None
    timers_note = None
    if permissions.can(user.role, "timers.read"):
        dept = {"department": department} if department else {}
        (risk, note1), (late, note2) = await asyncio.gather(
            _optional(up.get("sla_monitor", "/timers/at-risk", user.key, dept | {"limit": 200})),
            _optional(up.get("sla_monitor", "/timers/breached", user.key, dept | {"open_only": "true",
                                                                                   "limit": 200})))
        timers_note = note1 or note2
        narrowed = bool(set(chosen) - {"department"} or search)
        ticket_risk, _ = board.split_timers(risk["timers"] if risk else [], item_numbers)
        ticket_late, _ = board.split_timers(late["timers"] if late else [], item_numbers)

        def keep(timers: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [t for t in timers if not narrowed or t["ticket_id"] in numbers]

        at_risk = board.timer_rows(keep(ticket_risk), numbers)
        breached = board.timer_rows(keep(ticket_late), numbers)
        if listed is not None:
            item_risk, item_late = await _item_timers(request, user, listed, item_numbers)
    work_items = (board.work_item_rows(listed, [*(item_risk or []), *(item_late or [])])
                  if listed is not None else None)
    template = "board_live.html" if request.headers.get("x-console-refresh") else "board.html"
    return web.render(request, template, user=user, grid=board.grid(tickets), tickets=tickets[:200],
                      ticket_count=len(tickets), at_risk=at_risk, breached=breached, timers_note=timers_note,
                      work_items=work_items, items_note=items_note, item_risk=item_risk, item_late=item_late,
                      filters=chosen, q=q or "", kinds=KINDS, segments=SEGMENTS)


async def _item_timers(request: Request, user: web.User, listed: dict[str, list[dict[str, Any]]],
                       numbers: dict[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(at risk, breached) timers of the open work items, the oldest ITEM_TIMERS first, each read from sla_monitor
    (the global lists are the oldest deadlines of every ticket and would crowd them out)."""
    up = web.upstreams(request)
    items = sorted(((s, str(i[board.WORK_ITEMS[s][1]]), str(i.get("opened_at") or "")) for s, found in listed.items()
                    for i in found), key=lambda x: x[2])[:ITEM_TIMERS]
    answers = await asyncio.gather(*(_optional(up.get("sla_monitor", f"/tickets/{i}/timers", user.key))
                                     for _, i, _ in items))  # 404: no timer for the item
    links = {i: f"/work-items/{s}/{i}" for s, i, _ in items}
    timers = [t for page, _ in answers for t in (page or {}).get("timers", [])]
    at_risk, late = board.item_timers(timers, web.now(request))
    return ([r | {"href": links[r["ticket_id"]]} for r in board.timer_rows(at_risk, numbers)],
            [r | {"href": links[r["ticket_id"]]} for r in board.timer_rows(late, numbers)])


async def _work_items(request: Request, user: web.User, department: str | None) -> tuple[dict | None, str | None]:
    """Open network/system faults, mail and forum posts (dispatch), department-filtered where dispatch can; a part
    the role may not read is left out with why (None: the role reads none of them)."""
    if not permissions.can(user.role, "work_items.read"):
        return None, None
    up = web.upstreams(request)
    calls = [(series, up.get("dispatch", f"/{series}", user.key,
                             {"state": state, "limit": 200} | ({"department": department}
                                                              if department and series != "forum-posts" else {})))
             for series, (states, _) in board.WORK_ITEMS.items() for state in states]
    answers = await asyncio.gather(*(_optional(call) for _, call in calls))
    listed: dict[str, list[dict[str, Any]]] = {series: [] for series in board.WORK_ITEMS}
    notes = []
    for (series, _), (page, note) in zip(calls, answers, strict=True):
        listed[series] += [i for i in (page or {}).get("items", [])
                           if not department or i.get("department") == department]  # forum posts: filtered here
        if note:
            notes.append(note)
    return listed, (notes[0] if notes else None)


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


@router.get("/work-items/{series}/{item_id}")
async def work_item_page(request: Request, series: str, item_id: uuid.UUID) -> Response:
    """A network/system fault, mail or forum post: its acts (who, role, field and recorded time) and its timers."""
    user = web.user_for(request, "work_items.read")
    if series not in board.WORK_ITEMS:
        return Response(status_code=404)
    up = web.upstreams(request)
    item = await up.get("dispatch", f"/{series}/{item_id}", user.key)
    timers = None
    if permissions.can(user.role, "timers.read"):
        timers = await _optional(up.get("sla_monitor", f"/tickets/{item_id}/timers", user.key))
    return web.render(request, "work_item.html", user=user, item=item, series=series, timers=timers)
