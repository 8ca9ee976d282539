"""Working calendar: zone, daily windows, holidays and 调休 make-up days (RULEBOOK §4 type 2/3)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _cc

from shared.policy.schema import WEEKDAYS, CalendarSpec, Policy, window_minutes

DayMode = Literal["china", "weekly", "every_day"]
Window = tuple[int, int]  # minutes after local midnight, end <= 1440 (24:00)
Span = tuple[datetime, datetime]
CHINA_YEARS: tuple[int, int] = (
    min(d.year for d in (*_cc.holidays, *_cc.workdays)),
    max(d.year for d in (*_cc.holidays, *_cc.workdays)),
)
MAX_SEARCH_DAYS = 3700


class CalendarError(ValueError):
    """The calendar cannot produce working time (e.g. no window for years)."""


@dataclass(frozen=True)
class DayInfo:
    """Whether a local date is a working day, and whether that answer is a guess."""

    workday: bool
    provisional: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """Pure working calendar; every instant in and out is tz-aware UTC."""

    zone: str = "Asia/Shanghai"
    days: DayMode = "china"
    weekly_days: frozenset[int] = frozenset(range(5))
    hours: tuple[Window, ...] = ((510, 720), (810, 1050))
    weekday_hours: tuple[tuple[int, tuple[Window, ...]], ...] = ()
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    declared_years: frozenset[int] = frozenset()

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's zone."""
        return _zone(self.zone)

    def day(self, d: date) -> DayInfo:
        """Working-day status: overrides, then chinesecalendar, else provisional Mon–Fri."""
        return _day_info(self, d)

    def is_workday(self, d: date) -> bool:
        """True if d is a working day."""
        return _day_info(self, d).workday

    def windows(self, d: date) -> tuple[Window, ...]:
        """Local windows of date d (empty on a day off)."""
        if not self.is_workday(d):
            return ()
        return dict(self.weekday_hours).get(d.weekday()) or self.hours

    def utc_windows(self, d: date) -> tuple[Span, ...]:
        """Windows of local date d as UTC instants, converted day by day (DST-safe)."""
        return _utc_windows(self, d)

    def at(self, d: date, minute: int) -> datetime:
        """UTC instant of local wall-clock `minute` after midnight of d (1440 = 24:00)."""
        day = d + timedelta(days=minute // 1440)
        m = minute % 1440
        return datetime.combine(day, time(m // 60, m % 60), tzinfo=self.tz).astimezone(UTC)

    def local(self, t: datetime) -> datetime:
        """Local wall-clock time of a UTC instant."""
        return _aware(t).astimezone(self.tz)

    def local_date(self, t: datetime) -> date:
        """Local date of a UTC instant."""
        return self.local(t).date()

    def end_of_day(self, d: date) -> datetime:
        """24:00 local of d as a UTC instant (RULEBOOK §9.1 'end of day')."""
        return self.at(d, 1440)

    def add_workdays(self, d: date, n: int) -> date:
        """The Nth working day after d (d itself never counts; RULEBOOK §9.1)."""
        return self._walk(d, n, step=1)

    def workday_back(self, d: date, n: int) -> date:
        """The Nth working day counting back from d, d included if it is one."""
        return self._walk(d + timedelta(days=1), n, step=-1)

    def _walk(self, d: date, n: int, step: int) -> date:
        found = 0
        for i in range(1, MAX_SEARCH_DAYS * max(n, 1)):
            day = d + timedelta(days=i * step)
            if self.is_workday(day):
                found += 1
                if found >= n:
                    return day
        raise CalendarError(f"no {n} working days within reach of {d}")

    def provisional_between(self, a: date, b: date) -> bool:
        """True if any date in [a, b] falls in a year whose working days are guessed."""
        lo, hi = min(a, b), max(a, b)
        return any(self._year_guessed(y) for y in range(lo.year, hi.year + 1))

    def _year_guessed(self, year: int) -> bool:
        known = CHINA_YEARS[0] <= year <= CHINA_YEARS[1]
        return self.days == "china" and not known and year not in self.declared_years

    def business_time(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside windows between two instants."""
        a, b = _aware(a), _aware(b)
        total = timedelta(0)
        d = self.local_date(a)
        while d <= self.local_date(b):
            for x, y in self.utc_windows(d):
                lo, hi = max(x, a), min(y, b)
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total

    def whole_days(self) -> WorkingCalendar:
        """Same working days, each counted 00:00–24:00 (clock for working-day rules)."""
        return _derived(self, ((0, 1440),), False)

    def with_windows(self, windows: tuple[Window, ...], every_day: bool) -> WorkingCalendar:
        """Same zone and days (or every calendar day) with other daily windows."""
        return _derived(self, windows, every_day)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1024)
def _derived(cal: WorkingCalendar, windows: tuple[Window, ...], every_day: bool) -> WorkingCalendar:
    """`with_windows`, built once per calendar and windows: rules ask for their clock on every event, and one
    object per derived calendar keeps the per-day caches below hitting by identity."""
    derived = replace(cal, hours=windows, weekday_hours=())
    return replace(derived, days="every_day", holidays=frozenset()) if every_day else derived  # §9.8


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r}; SLA inputs must be tz-aware UTC")
    return t


@lru_cache(maxsize=65536)
def _day_info(cal: WorkingCalendar, d: date) -> DayInfo:
    if d in cal.workdays:
        return DayInfo(True, False)
    if d in cal.holidays:
        return DayInfo(False, False)
    if cal.days == "every_day":
        return DayInfo(True, False)
    if cal.days == "weekly":
        return DayInfo(d.weekday() in cal.weekly_days, False)
    if CHINA_YEARS[0] <= d.year <= CHINA_YEARS[1]:
        try:
            return DayInfo(bool(chinese_calendar.is_workday(d)), False)
        except NotImplementedError:  # chinesecalendar has no data for this date: fall back to Mon–Fri below
            pass
    return DayInfo(d.weekday() < 5, d.year not in cal.declared_years)


@lru_cache(maxsize=65536)
def _utc_windows(cal: WorkingCalendar, d: date) -> tuple[Span, ...]:
    return tuple((cal.at(d, a), cal.at(d, b)) for a, b in cal.windows(d))


def calendar_from_spec(spec: CalendarSpec) -> WorkingCalendar:
    """Build a WorkingCalendar from a policy CalendarSpec."""
    return WorkingCalendar(
        zone=spec.zone,
        days=spec.days,
        weekly_days=frozenset(WEEKDAYS.index(w) for w in spec.weekdays),
        hours=tuple(sorted(window_minutes(w) for w in spec.hours)),
        weekday_hours=tuple(
            (WEEKDAYS.index(wd), tuple(sorted(window_minutes(w) for w in ws)))
            for wd, ws in sorted(spec.weekday_hours.items())
        ),
        holidays=frozenset(spec.holidays),
        workdays=frozenset(spec.workdays),
        declared_years=frozenset(spec.declared_years),
    )


def policy_calendars(policy: Policy) -> dict[str, WorkingCalendar]:
    """All calendars of an effective policy by id ('default' always present)."""
    return {cid: calendar_from_spec(spec) for cid, spec in policy.calendars.items()}
