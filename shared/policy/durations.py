"""Durations as policy files write them: '30m', '22h', '3d', '1h30m', '90s' or minutes as a number."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(value: Any, *, allow_zero: bool = False) -> timedelta:
    """'30m', '22h', '3d', '1h30m', '90s' or an int of minutes to a positive (or allowed zero) timedelta."""
    if isinstance(value, timedelta):
        td = value
    elif isinstance(value, int) and not isinstance(value, bool):
        td = timedelta(minutes=value)
    elif isinstance(value, str) and value and (m := _DURATION.match(value.strip())):
        d, h, mi, s = (int(x) if x else 0 for x in m.groups())
        td = timedelta(days=d, hours=h, minutes=mi, seconds=s)
    else:
        raise ValueError(f"{value!r} is not a duration like '30m', '22h', '3d' or '1h30m'")
    if td < timedelta(0) or (td == timedelta(0) and not allow_zero):
        raise ValueError("duration must be positive" if not allow_zero else "duration must not be negative")
    return td


def format_duration(td: timedelta) -> str:
    """Inverse of parse_duration for display: 1d2h30m."""
    secs = int(td.total_seconds())
    out = ""
    units = (
        (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
        if secs >= 4 * 86400
        else (("h", 3600), ("m", 60), ("s", 1))
    )
    for unit, size in units:
        if secs >= size:
            out += f"{secs // size}{unit}"
            secs %= size
    return out or "0s"
