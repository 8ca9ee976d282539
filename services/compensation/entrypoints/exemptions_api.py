"""Read-only: the exemptions recorded on tickets (CT-3.2) with the customers' disputes of them (CT-3.3.1), whether
each still stands, the claims it covers, and the policy's reason codes (what `POST /tickets/{id}/exemptions` takes).

No `from __future__ import annotations`: FastAPI must see the response models."""

import uuid
from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import observed
from services.compensation.domain.claims import Exemption, standing
from services.compensation.service_layer.config import CompensationConfig
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.errors import DomainError
from shared.service import RuntimeDep

router = APIRouter(tags=["compensation"])
Reader = Annotated[Principal, Depends(require(Role.FINANCE, Role.OPS, Role.SUPERVISOR, Role.AGENT))]


class ExemptionShown(BaseModel):
    exemption_id: str
    ticket_id: str
    promise: str | None
    code: str
    cause: str | None
    note: str
    recording_ref: str | None
    recorded_by: str
    recorded_at: str
    disputed: bool
    disputed_at: str | None
    disputed_by: str | None
    dispute_note: str | None
    stands: bool
    standing: str
    claims: list[str]


class ReasonCodes(BaseModel):
    scheme: str
    reasons: dict[str, str]
    force_majeure: list[str]
    not_exempt: dict[str, str]
    dispute_clause: str


class TicketExemptions(BaseModel):
    ticket_id: str
    exemptions: list[ExemptionShown]
    codes: list[ReasonCodes]


class ExemptionList(BaseModel):
    exemptions: list[ExemptionShown]
    codes: list[ReasonCodes]


def codes(cfg: CompensationConfig) -> list[dict[str, Any]]:
    return [{"scheme": name, "reasons": dict(s.exemptions.reasons), "force_majeure": list(s.exemptions.force_majeure),
             "not_exempt": dict(s.exemptions.not_exempt), "dispute_clause": s.exemptions.dispute_clause}
            for name, s in cfg.schemes.schemes.items()]


async def _shown(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each exemption with its CT-3.3.1 verdict (the ticket's call recordings count as evidence) and its claims."""
    tickets = list({r["ticket_id"] for r in rows})
    e, c = observed.events, T.claims
    recordings: dict[Any, list[str]] = defaultdict(list)
    claims: dict[Any, list[tuple[str, str]]] = defaultdict(list)
    if tickets:
        for r in await conn.execute(select(e.c.ticket_id, e.c.payload).where(
                e.c.ticket_id.in_(tickets), e.c.type == "CallRecordingAttached").order_by(e.c.occurred_at)):
            recordings[r.ticket_id].append(r.payload["recording_ref"])
        for r in await conn.execute(select(c.c.ticket_id, c.c.claim_id, c.c.promise).where(c.c.ticket_id.in_(tickets))
                                    .order_by(c.c.created_at)):
            claims[r.ticket_id].append((str(r.claim_id), r.promise))
    iso = (lambda t: t.isoformat() if t else None)
    out = []
    for r in rows:
        ex = Exemption(str(r["exemption_id"]), r["code"], r["note"], r["promise"], r["cause"], r["recording_ref"],
                       r["disputed_at"] is not None, r["dispute_note"])
        stands, why = standing(ex, tuple(recordings[r["ticket_id"]]))
        out.append({"exemption_id": str(r["exemption_id"]), "ticket_id": str(r["ticket_id"]), "promise": r["promise"],
                    "code": r["code"], "cause": r["cause"], "note": r["note"], "recording_ref": r["recording_ref"],
                    "recorded_by": r["recorded_by"], "recorded_at": r["recorded_at"].isoformat(),
                    "disputed": r["disputed_at"] is not None, "disputed_at": iso(r["disputed_at"]),
                    "disputed_by": r["disputed_by"], "dispute_note": r["dispute_note"], "stands": stands,
                    "standing": why, "claims": [cid for cid, promise in claims[r["ticket_id"]]
                                                if r["promise"] in (None, promise)]})
    return out


@router.get("/tickets/{ticket_id}/exemptions", response_model=TicketExemptions, responses=error_responses(404),
            summary="CT-3.2 / CT-3.3.1: the ticket's exemptions with their disputes, whether each stands, its claims")
async def ticket_exemptions(ticket_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    x, t = T.exemptions, observed.tickets
    async with rt.engine.connect() as conn:
        if (await conn.execute(select(t.c.ticket_id).where(t.c.ticket_id == ticket_id))).first() is None:
            raise DomainError(404, f"ticket {ticket_id} not seen by compensation (yet)")
        rows = [dict(r) for r in (await conn.execute(select(x).where(x.c.ticket_id == ticket_id)
                                                     .order_by(x.c.recorded_at))).mappings()]
        shown = await _shown(conn, rows)
    return {"ticket_id": str(ticket_id), "exemptions": shown, "codes": codes(rt.config)}


@router.get("/exemptions", response_model=ExemptionList,
            summary="CT-3.2 / CT-3.3.1: exemptions recorded, newest first; `disputed` filters on the dispute")
async def list_exemptions(rt: RuntimeDep, _: Reader, disputed: bool | None = None,
                          limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    x = T.exemptions
    query = select(x).order_by(x.c.recorded_at.desc(), x.c.exemption_id).limit(limit)
    if disputed is not None:
        query = query.where(x.c.disputed_at.is_not(None) if disputed else x.c.disputed_at.is_(None))
    async with rt.engine.connect() as conn:
        rows = [dict(r) for r in (await conn.execute(query)).mappings()]
        shown = await _shown(conn, rows)
    return {"exemptions": shown, "codes": codes(rt.config)}
