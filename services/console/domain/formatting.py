"""How the console shows numbers and times: money from minor units, instants in the operator's zone, durations."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SYMBOLS = {"CNY": "¥", "GBP": "£"}


def money(minor: int | None, currency: str = "CNY") -> str:
    """¥1,234.50 from 123450 fen (£ from pence); a minus sign before the symbol; '' for None."""
    if minor is None:
        return ""
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(int(minor)), 100)
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{units:,}.{cents:02d}"


def parse_instant(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def local_time(value: str | datetime | None, tz: str, seconds: bool = False) -> str:
    """An ISO-8601 instant as the operator reads it: 2026-03-02 09:00 in `tz` ('' for None)."""
    at = parse_instant(value)
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration(seconds: float | None, lang: str = "zh") -> str:
    """A span, coarse enough to read at a glance: 2天3小时, 3小时5分, 45分 (2 d 3 h, 3 h 5 min, 45 min).
    Its sign is dropped: the caller says whether it is time left or overdue."""
    if seconds is None:
        return ""
    total = int(abs(seconds)) // 60
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = ({"d": "天", "h": "小时", "m": "分"} if lang == "zh" else {"d": " d", "h": " h", "m": " min"})
    parts = [(days, units["d"]), (hours, units["h"])] if days else [(hours, units["h"]), (minutes, units["m"])]
    shown = [f"{n}{u}" for n, u in parts if n]
    sep = "" if lang == "zh" else " "
    return sep.join(shown) or f"0{units['m']}"
