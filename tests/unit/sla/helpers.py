"""Shared helpers for SLA unit tests: local wall-clock to UTC and calendars."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.sla_monitor.domain.calendar import Span, WorkingCalendar
from services.sla_monitor.domain.rules import Pause
from shared.policy import TimerRule
from shared.policy.loader import PolicyError, load_policy

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


def write(tmp_path: Path, text: str, name: str = "operator.yaml") -> Path:
    """An operator policy file for a test."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def fails(path: Path) -> PolicyError:
    """The error loading `path` raises."""
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return info.value


def pauses_for(rule: TimerRule, pauses: Iterable[Pause]) -> tuple[Span, ...]:
    """The pause intervals a rule excludes (reasons named by its pause policy): expected values for tests."""
    reasons = set(rule.pause.reasons)
    return tuple((p.start, p.end) for p in pauses if p.reason in reasons)
