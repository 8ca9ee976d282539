"""Clocks: which instants count toward a rule's allowance, with pauses subtracted (RULEBOOK §4)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.sla_monitor.domain.calendar import MAX_SEARCH_DAYS, CalendarError, Span, WorkingCalendar

ZERO = timedelta(0)
_FAR = timedelta(days=365 * 200)


@dataclass(frozen=True)
class ElapsedClock:
    """Natural time: every instant counts."""

    def spans(self, t: datetime, forward: bool) -> Iterator[Span]:
        """Counted spans from t onward (forward) or before t (newest first)."""
        yield (t, t + _FAR) if forward else (t - _FAR, t)

    def provisional(self, a: datetime, b: datetime) -> bool:
        """Natural time is never a guess."""
        return False


@dataclass(frozen=True)
class WindowClock:
    """Time counted only inside a calendar's daily windows (business / in-window / working days)."""

    calendar: WorkingCalendar

    def spans(self, t: datetime, forward: bool) -> Iterator[Span]:
        """Counted spans from t onward (forward) or before t (newest first)."""
        d = self.calendar.local_date(t)
        step = timedelta(days=1 if forward else -1)
        for _ in range(MAX_SEARCH_DAYS):
            wins = self.calendar.utc_windows(d)
            for a, b in wins if forward else reversed(wins):
                if forward and b > t:
                    yield max(a, t), b
                elif not forward and a < t:
                    yield a, min(b, t)
            d += step
        raise CalendarError(f"no working window within {MAX_SEARCH_DAYS} days of {t.isoformat()}")

    def provisional(self, a: datetime, b: datetime) -> bool:
        """True if the span touches a year whose working days are guessed."""
        cal = self.calendar
        return cal.provisional_between(cal.local_date(a), cal.local_date(b))


Clock = ElapsedClock | WindowClock
Pauses = Sequence[Span]


def normalize(pauses: Iterable[Span]) -> tuple[Span, ...]:
    """Sort and merge overlapping pause intervals, dropping empty ones."""
    out: list[Span] = []
    for a, b in sorted(p for p in pauses if p[1] > p[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


def _minus(span: Span, pauses: Pauses) -> list[Span]:
    """Parts of span not covered by (normalized) pauses, oldest first."""
    cur, end = span
    out: list[Span] = []
    for a, b in pauses:
        if b <= cur:
            continue
        if a >= end:
            break
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
        if cur >= end:
            break
    if cur < end:
        out.append((cur, end))
    return out


def active(clock: Clock, t: datetime, pauses: Pauses = (), forward: bool = True) -> Iterator[Span]:
    """Counted, unpaused spans from t onward (or backward from t, newest first)."""
    norm = normalize(pauses)
    for span in clock.spans(t, forward):
        parts = _minus(span, norm)
        yield from parts if forward else reversed(parts)


def measure(clock: Clock, a: datetime, b: datetime, pauses: Pauses = ()) -> timedelta:
    """Counted, unpaused time between a and b on this clock."""
    total = ZERO
    if b <= a:
        return total
    if not pauses and isinstance(clock, ElapsedClock):  # natural time, nothing paused: plain arithmetic
        return b - a
    for x, y in active(clock, a, pauses):
        if x >= b:
            break
        total += min(y, b) - x
    return total


def advance(clock: Clock, a: datetime, amount: timedelta, pauses: Pauses = ()) -> datetime:
    """Earliest instant at which `amount` of counted, unpaused time has passed since a."""
    if amount <= ZERO:
        return a
    if not pauses and isinstance(clock, ElapsedClock):  # natural time, nothing paused: plain arithmetic
        return a + amount
    for x, y in active(clock, a, pauses):
        if amount <= y - x:
            return x + amount
        amount -= y - x
    raise CalendarError("clock ran out of working time")  # pragma: no cover - spans raise first


def retreat(clock: Clock, b: datetime, amount: timedelta, pauses: Pauses = ()) -> datetime:
    """Latest instant before b from which `amount` of counted, unpaused time reaches b."""
    if amount <= ZERO:
        return b
    if not pauses and isinstance(clock, ElapsedClock):  # natural time, nothing paused: plain arithmetic
        return b - amount
    for x, y in active(clock, b, pauses, forward=False):
        if amount <= y - x:
            return y - amount
        amount -= y - x
    raise CalendarError("clock ran out of working time")  # pragma: no cover - spans raise first
