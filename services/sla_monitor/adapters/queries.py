"""Read-side queries over sla_timers for the API: a ticket's timers, at-risk and breached lists, achievement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.sla_monitor.adapters.repository import T, exemptions_of, to_timer
from services.sla_monitor.adapters.tables import sla_exemptions, sla_timers
from services.sla_monitor.domain.exemptions import exempt_annotation
from services.sla_monitor.domain.timers import Timer


@dataclass(frozen=True)
class TimerFilter:
    """Optional filters shared by the timer lists."""

    rule_id: str | None = None
    department: str | None = None
    limit: int = 100


def _filtered(f: TimerFilter, *where):
    stmt = select(sla_timers).where(*where)
    if f.rule_id:
        stmt = stmt.where(T.rule_id == f.rule_id)
    if f.department:
        stmt = stmt.where(T.department == f.department)
    return stmt.order_by(T.deadline, T.id).limit(f.limit)


async def at_risk(conn: AsyncConnection, now: datetime, within: timedelta, f: TimerFilter) -> list[Timer]:
    """Open, running, not yet breached timers past their warning instant or due within `within`."""
    stmt = _filtered(f, T.status == "open", T.breached_at.is_(None), T.paused_since.is_(None),
                     or_(T.warning_at <= now, T.deadline <= now + within))
    return [to_timer(r) for r in (await conn.execute(stmt)).mappings().all()]


async def breached(conn: AsyncConnection, f: TimerFilter, *, open_only: bool, since: datetime | None,
                   until: datetime | None) -> list[Timer]:
    """Timers whose breach stands (not retracted), optionally still open, deadline in [since, until)."""
    where = [T.breached_at.is_not(None), T.retracted_at.is_(None)]
    if open_only:
        where.append(T.status == "open")
    if since is not None:
        where.append(T.deadline >= since)
    if until is not None:
        where.append(T.deadline < until)
    return [to_timer(r) for r in (await conn.execute(_filtered(f, *where))).mappings().all()]


@dataclass(frozen=True)
class Achievement:
    """Per-rule outcome counts for timers whose deadline fell in the period (RULEBOOK §9.11); a breach of an
    exempt ticket is `late_exempt`, outside the rate (RULEBOOK §9.12)."""

    rule_id: str
    met: int
    missed: int
    late_exempt: int = 0

    @property
    def rate(self) -> float | None:
        """Share met on time; None when nothing was decided."""
        total = self.met + self.missed
        return round(self.met / total, 4) if total else None


_MISSED = or_(T.status == "late", and_(T.status == "open", T.breached_at.is_not(None)))


async def achievement(conn: AsyncConnection, since: datetime, until: datetime,
                      family_of: Callable[[str], str | None]) -> list[Achievement]:
    """Met vs missed (late, or breached and still open) per rule, deadline in [since, until); missed timers whose
    ticket has a standing exemption covering them count as late-exempt instead."""
    period = (T.deadline >= since, T.deadline < until, T.status != "cancelled")
    met, missed = func.count(case((T.status == "met", 1))), func.count(case((_MISSED, 1)))
    stmt = select(T.rule_id, met, missed).where(*period).group_by(T.rule_id).order_by(T.rule_id)
    counts = {r[0]: [r[1], r[2], 0] for r in (await conn.execute(stmt)).all()}
    exempted = select(sla_timers).where(*period, _MISSED, T.ticket_id.in_(
        select(sla_exemptions.c.ticket_id).where(sla_exemptions.c.voided_at.is_(None))))
    timers = [to_timer(r) for r in (await conn.execute(exempted)).mappings().all()]
    standing = await exemptions_of(conn, [t.ticket_id for t in timers])
    for t in timers:
        if exempt_annotation(t, standing.get(t.ticket_id, []), family_of) is not None:
            counts[t.rule_id][1] -= 1
            counts[t.rule_id][2] += 1
    return [Achievement(rule, met_, missed_, exempt) for rule, (met_, missed_, exempt) in counts.items()
            if met_ + missed_ + exempt]
