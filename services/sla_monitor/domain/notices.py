"""Ahead-of notices (RULEBOOK §4 type 6): latest allowed notice before a planned time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.sla_monitor.domain.calendar import WorkingCalendar
from shared.policy.schema import AheadOfDeadline, Deadline

Calendars = Mapping[str, WorkingCalendar]
DAY = timedelta(days=1)


def calendar_id(spec: Deadline) -> str:
    """The calendar a deadline names; 'default' for the types that name none (read from the model's field
    values: a `getattr` default on a pydantic model goes the slow way, through a raised AttributeError)."""
    return spec.__dict__.get("calendar", "default")


def calendar_named(name: str, calendars: Calendars) -> WorkingCalendar:
    """The calendar of that name, else 'default', else the built-in China calendar."""
    return calendars.get(name) or calendars.get("default") or WorkingCalendar()


def rule_calendar(spec: Deadline, calendars: Calendars) -> WorkingCalendar:
    """The calendar a deadline names (see `calendar_named`)."""
    return calendar_named(calendar_id(spec), calendars)


@dataclass(frozen=True)
class NoticeResult:
    """Latest allowed notice time for a planned event (type 6, ahead-of)."""

    planned: datetime
    latest: datetime
    provisional: bool

    def in_time(self, notice_at: datetime) -> bool:
        """True if a notice at `notice_at` is early enough (inclusive, RULEBOOK §9.1)."""
        return notice_at <= self.latest


def notice_deadline(spec: AheadOfDeadline, planned: datetime, calendars: Calendars) -> NoticeResult:
    """Latest notice: N hours before, or 24:00 of the day before the Nth working day back (§9.1)."""
    if spec.hours is not None:
        return NoticeResult(planned, planned - timedelta(hours=spec.hours), False)
    cal = rule_calendar(spec, calendars)
    nth_back = cal.workday_back(cal.local_date(planned), spec.working_days or 1)
    latest = cal.end_of_day(nth_back - DAY)
    return NoticeResult(planned, latest, cal.provisional_between(nth_back - DAY, cal.local_date(planned)))
