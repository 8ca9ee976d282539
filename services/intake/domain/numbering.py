"""Human-readable ticket numbers `2025-KF-000123`: year, department code, padded sequence (NJ numbering)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_WIDTH = 6
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
_DEPARTMENT = re.compile(r"[A-Z][A-Z0-9]{1,7}")
_NUMBER = re.compile(r"(?P<year>\d{4})-(?P<department>[A-Z][A-Z0-9]{1,7})-(?P<sequence>\d+)")


class InvalidTicketNumber(ValueError):
    """A string that is not a ticket number in canonical form."""


@dataclass(frozen=True)
class TicketNumber:
    """The parts of a ticket number; `str()` gives the canonical form."""

    year: int
    department: str
    sequence: int
    width: int = DEFAULT_WIDTH

    def __post_init__(self) -> None:
        if not 1000 <= self.year <= 9999:
            raise InvalidTicketNumber(f"year {self.year} is not four digits")
        if not _DEPARTMENT.fullmatch(self.department):
            raise InvalidTicketNumber(f"department code {self.department!r} must be 2-8 of A-Z0-9")
        if self.sequence < 1:
            raise InvalidTicketNumber(f"sequence {self.sequence} must be at least 1")
        if self.width < 1:
            raise InvalidTicketNumber(f"width {self.width} must be at least 1")

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.department}-{self.sequence:0{self.width}d}"


def format_ticket_number(year: int, department: str, sequence: int, width: int = DEFAULT_WIDTH) -> str:
    """`2025-KF-000123`; a sequence wider than `width` is written in full, never truncated."""
    return str(TicketNumber(year, department, sequence, width))


def number_for(created_at: datetime, department: str, sequence: int, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """The number of a ticket created at `created_at`: the year is the operator's local year."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must be timezone-aware")
    return format_ticket_number(created_at.astimezone(tz).year, department, sequence)


def parse_ticket_number(text: str, width: int = DEFAULT_WIDTH) -> TicketNumber:
    """Parse a canonical number; other padding than `width` is refused so a ticket has one spelling."""
    match = _NUMBER.fullmatch(text.strip())
    if match is None:
        raise InvalidTicketNumber(f"{text!r} is not YEAR-DEPT-SEQUENCE like 2025-KF-000123")
    number = TicketNumber(int(match["year"]), match["department"], int(match["sequence"]), width)
    if str(number) != text.strip():
        raise InvalidTicketNumber(f"{text!r} is not canonical; expected {number}")
    return number
