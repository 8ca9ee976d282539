"""What /readyz reports about deadlines on a guessed calendar (issue 4: provisional also in /readyz)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.sla_monitor.adapters.repository import provisional_spans
from services.sla_monitor.domain.calendar import CHINA_YEARS, WorkingCalendar
from services.sla_monitor.domain.notices import calendar_named
from shared.service import ServiceRuntime


def undeclared_years(spans: list[tuple[str, int, int, int]],
                     calendars: dict[str, WorkingCalendar]) -> list[int]:
    """Years the open provisional timers touch that neither the calendar package nor the policy declares."""
    years: set[int] = set()
    for name, first, last, _ in spans:
        cal = calendar_named(name, calendars)
        years |= {y for y in range(first, last + 1) if cal.provisional_between(date(y, 1, 1), date(y, 1, 1))}
    return sorted(years)


async def sla_readiness(runtime: ServiceRuntime) -> dict[str, Any]:
    """Provisional deadlines do not fail readiness; they are reported so an operator declares the year."""
    async with runtime.engine.connect() as conn:
        spans = await provisional_spans(conn)
    count = sum(n for *_, n in spans)
    return {"calendar": "provisional" if count else "ok", "provisional_open_timers": count,
            "undeclared_years": undeclared_years(spans, runtime.config.calendars),
            "calendar_years_known": list(CHINA_YEARS)}
