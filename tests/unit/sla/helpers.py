"""Shared helpers for SLA unit tests: local wall-clock to UTC and calendars."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.sla_monitor.domain.calendar import WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
CHINA = WorkingCalendar()
CALS = {"default": CHINA}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """Asia/Shanghai wall-clock time as a UTC instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI).astimezone(UTC)


def ldn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Europe/London wall-clock time as a UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=LONDON).astimezone(UTC)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
