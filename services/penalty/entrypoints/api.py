"""Penalty ledger read API (issue 10): per ticket, filtered lists, one entry explained, totals, published list."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response

from services.penalty.adapters import repository as repo
from services.penalty.adapters.tables import observed
from services.penalty.service_layer import views
from shared import limits
from shared.errors import NotFound
from shared.http.auth import Principal, Role, require
from shared.http.errors import DomainError
from shared.inputs import Line
from shared.service import RuntimeDep

router = APIRouter(tags=["penalties"])
Reader = Annotated[Principal, Depends(require(Role.OPS, Role.FINANCE, Role.SUPERVISOR, Role.COMPREHENSIVE,
                                              Role.DEPUTY_GM, Role.GM))]
Month = Annotated[str, Query(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM, the local month")]
Status = Literal["proposed", "confirmed", "modified", "cancelled", "appealed", "upheld", "refunded"]


@router.get("/tickets/{ticket_id}/penalties", summary="What penalty has seen of a ticket, and its ledger entries")
async def ticket_penalties(ticket_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        entries = await repo.list_entries(uow.conn, {"ticket_id": ticket_id})
        try:
            view = await observed.view(uow, ticket_id, "penalty")
        except (DomainError, NotFound):  # not seen yet: the entries (e.g. from a breach alone) still show
            if not entries:
                raise
            view = {"ticket_id": str(ticket_id), "service": "penalty", "events_applied": 0, "events": []}
    view["entries"] = [views.entry_view(e, rt.config) for e in entries]
    view["total_fen"] = sum(e["amount_fen"] for e in view["entries"] if e["status"] != "cancelled")
    return view


@router.get("/penalties", summary="Ledger entries, filtered (oldest first)")
async def list_penalties(
    rt: RuntimeDep, _: Reader,
    month: Month | None = None,
    department: Line(limits.DEPARTMENT) | None = None,
    person: Line(limits.PERSON) | None = None,
    clause: Line(limits.RULE_ID) | None = None,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    filters = {"month": month, "department": department, "person": person, "clause": clause, "status": status}
    async with rt.new_uow() as uow:
        entries = await repo.list_entries(uow.conn, filters, limit)
    return {"items": [views.entry_view(e, rt.config) for e in entries]}


@router.get("/penalties/totals", summary="Monthly totals per department (payer) or per person, in fen")
async def penalty_totals(rt: RuntimeDep, _: Reader, month: Month,
                         by: Literal["department", "person"] = "department") -> dict[str, Any]:
    async with rt.new_uow() as uow:
        entries = await repo.list_entries(uow.conn, {"month": month}, limit=1_000_000)
        closed = month in await repo.closed_months(uow.conn)
    return {"month": month, "closed": closed, "by": by, "totals": views.totals(entries, by)}


@router.get("/penalties/published", summary="TT-13: the month's published list (JSON, CSV or XLSX)",
            responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument."
                                                      "spreadsheetml.sheet": {}}}})
async def published(rt: RuntimeDep, _: Reader, month: Month,
                    format: Literal["json", "csv", "xlsx"] = "json") -> Any:  # noqa: A002 - the query name
    async with rt.new_uow() as uow:
        entries = await repo.list_entries(uow.conn, {"month": month}, limit=1_000_000)
        closed = month in await repo.closed_months(uow.conn)
    rows = views.published_rows(entries, rt.config)
    if format == "csv":
        return PlainTextResponse(views.to_csv(rows), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="penalties-{month}.csv"'})
    if format == "xlsx":
        return Response(views.to_xlsx(rows, month),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="penalties-{month}.xlsx"'})
    return {"month": month, "closed": closed, "columns": list(views.COLUMNS), "rows": [list(r) for r in rows]}


@router.get("/penalties/{entry_id}", summary="One entry with its explanation: clause, events, arithmetic")
async def get_penalty(entry_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        entry = await repo.get_entry(uow.conn, entry_id)
    if entry is None:
        raise DomainError(404, f"no penalty entry {entry_id}")
    return views.entry_view(entry, rt.config, explain=True)
