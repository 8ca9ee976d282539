"""SQL of the CT exemptions penalty keeps for the scorecards (RULEBOOK §9.12): as compensation announced them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.penalty.adapters.tables import kpi
from services.penalty.domain.kpi import Exemption

X = kpi.exemptions


async def record(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Keep an announced exemption; announced again (it came into force again), it stands again."""
    stmt = insert(X).values(**values, voided_at=None, void_reason=None)
    await conn.execute(stmt.on_conflict_do_update(index_elements=[X.c.exemption_id], set_={
        k: stmt.excluded[k] for k in (*values, "voided_at", "void_reason") if k != "exemption_id"}))


async def void(conn: AsyncConnection, exemption_id: uuid.UUID, at: datetime, reason: str) -> None:
    await conn.execute(update(X).where(X.c.exemption_id == exemption_id).values(voided_at=at, void_reason=reason))


async def of_timers_due(conn: AsyncConnection, start: datetime, end: datetime,
                        family_of: Callable[[str], str]) -> dict[str, list[Exemption]]:
    """Every exemption announced for a ticket with a timer due in [start, end), standing or voided, by ticket id;
    each with the rule families of its rules under the policy (`family_of`)."""
    t = kpi.timers
    due = select(t.c.ticket_id).where(t.c.deadline >= start, t.c.deadline < end)
    out: dict[str, list[Exemption]] = {}
    for r in (await conn.execute(select(X).where(X.c.ticket_id.in_(due)))).mappings():
        out.setdefault(str(r["ticket_id"]), []).append(Exemption(
            exemption_id=str(r["exemption_id"]), ticket_id=str(r["ticket_id"]), code=r["code"], cause=r["cause"],
            promise=r["promise"], families=frozenset(family_of(rule) for rule in r["rule_ids"]),
            recorded_at=r["recorded_at"], voided_at=r["voided_at"]))
    return out
