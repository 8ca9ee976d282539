"""Deadline arithmetic for the SLA rule types of RULEBOOK §4, with pauses and rule changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from services.sla_monitor.domain.calendar import Span, WorkingCalendar
from services.sla_monitor.domain.clocks import (
    ZERO,
    Clock,
    ElapsedClock,
    WindowClock,
    advance,
    measure,
    normalize,
    retreat,
)
from services.sla_monitor.domain.notices import Calendars, NoticeResult, notice_deadline, rule_calendar
from shared.policy.schema import (
    AppointmentDeadline,
    BusinessDeadline,
    CutoffDeadline,
    Deadline,
    ElapsedDeadline,
    InWindowDeadline,
    PromisedDeadline,
    WorkingDaysDeadline,
    hhmm_minutes,
    window_minutes,
)

__all__ = [
    "DeadlineResult",
    "Lateness",
    "NoticeResult",
    "base_deadline",
    "carry_over",
    "clock_for",
    "compute_deadline",
    "lateness",
    "notice_deadline",
    "switch_rule",
]

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Lateness:
    """How late an act was, after customer-paused time is subtracted (RULEBOOK §9.2)."""

    late: timedelta

    def started(self, unit: timedelta) -> int:
        """Started units late: ceil(late / unit); 0 when on time (§9.2)."""
        return -((-self.late) // unit) if self.late > ZERO else 0

    @property
    def minutes(self) -> int:
        """Started minutes late."""
        return self.started(timedelta(minutes=1))

    @property
    def hours(self) -> int:
        """Started hours late (TT-9.12: exactly 3 h is 3, 3 h 0 min 1 s is 4)."""
        return self.started(HOUR)

    @property
    def days(self) -> int:
        """Started 24 h days late (NJ-4.3.2b/d, CT-3.1 decision)."""
        return self.started(DAY)


@dataclass(frozen=True)
class DeadlineResult:
    """A timer's deadline on its rule's clock, with the pauses already credited."""

    start: datetime
    deadline: datetime
    budget: timedelta
    clock: Clock
    provisional: bool = False
    pauses: tuple[Span, ...] = ()
    branch: str | None = None
    exceeded_on_change: bool = field(default=False)

    def warning_at(self, fraction: float = 0.8) -> datetime:
        """Instant when `fraction` of the allowance is consumed (RULEBOOK §4: default 80%)."""
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be in (0, 1]")
        return min(advance(self.clock, self.start, self.budget * fraction, self.pauses), self.deadline)

    def consumed(self, at: datetime) -> timedelta:
        """Allowance used by `at` on this rule's clock, pauses excluded."""
        return measure(self.clock, self.start, at, self.pauses)

    def remaining(self, at: datetime) -> timedelta:
        """Allowance left at `at` (negative once past the deadline, on this clock)."""
        if at > self.deadline:
            return -measure(self.clock, self.deadline, at, self.pauses)
        return measure(self.clock, at, self.deadline, self.pauses)

    def met(self, done_at: datetime) -> bool:
        """Inclusive boundary: done exactly at the deadline is met (RULEBOOK §9.1)."""
        return done_at <= self.deadline

    def lateness(self, done_at: datetime) -> Lateness:
        """Natural lateness of `done_at`, customer pauses after the deadline subtracted."""
        return lateness(self.deadline, done_at, self.pauses)

    @property
    def paused(self) -> timedelta:
        """Total natural paused time recorded on this timer."""
        return sum((b - a for a, b in self.pauses), ZERO)


def lateness(deadline: datetime, done_at: datetime, pauses: tuple[Span, ...] = ()) -> Lateness:
    """Natural lateness past an already pause-shifted deadline; later pauses are subtracted."""
    if done_at <= deadline:
        return Lateness(ZERO)
    return Lateness(measure(ElapsedClock(), deadline, done_at, pauses))


def clock_for(spec: Deadline, calendars: Calendars) -> Clock:
    """The clock a rule measures time on (what a pause or a consumed minute is worth)."""
    return _clock(spec, rule_calendar(spec, calendars))


@lru_cache(maxsize=1024)
def _clock(spec: Deadline, cal: WorkingCalendar) -> Clock:
    """`clock_for`, built once per rule and calendar (both immutable) instead of at every event."""
    if isinstance(spec, BusinessDeadline):
        return WindowClock(cal)
    if isinstance(spec, InWindowDeadline):
        wins = tuple(sorted(window_minutes(w) for w in spec.windows))
        return WindowClock(cal.with_windows(wins, spec.every_day))
    if isinstance(spec, WorkingDaysDeadline):
        return WindowClock(cal.whole_days())
    if spec.type == "ahead_of":
        raise ValueError("ahead_of is a notice check, not a running timer; use notice_deadline")
    return ElapsedClock()


def base_deadline(
    spec: Deadline, start: datetime, calendars: Calendars, appointment_end: datetime | None = None
) -> tuple[datetime, str | None]:
    """Deadline with no pauses, and the cutoff branch taken ('before'/'after') if any."""
    cal = rule_calendar(spec, calendars)
    if isinstance(spec, ElapsedDeadline):
        return start + spec.duration, None
    if isinstance(spec, (BusinessDeadline, InWindowDeadline)):
        return advance(clock_for(spec, calendars), start, spec.duration), None
    if isinstance(spec, WorkingDaysDeadline):
        return cal.end_of_day(cal.add_workdays(cal.local_date(start), spec.days)), None
    if isinstance(spec, CutoffDeadline):
        local = cal.local(start)
        since_midnight = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second)
        started_before = since_midnight + timedelta(microseconds=local.microsecond) < timedelta(
            minutes=hhmm_minutes(spec.before)
        )
        if started_before:  # RULEBOOK §9.1: strict, 16:00:00 takes the after branch
            return cal.end_of_day(local.date()), "before"
        if spec.after_hours is None:
            raise ValueError(f"started at/after {spec.before} and the rule has no after_hours branch")
        return start + timedelta(hours=spec.after_hours), "after"  # natural hours (CT-2.4.2)
    if isinstance(spec, AppointmentDeadline | PromisedDeadline):  # a given instant: the window's end, the promise
        if appointment_end is None:
            raise ValueError(f"{spec.type} deadline needs its end (CT-2.4.1, §9.12; the promised due date)")
        return appointment_end, None
    raise ValueError("ahead_of is a notice check, not a running timer; use notice_deadline")


def _budget(spec: Deadline, start: datetime, clock: Clock, base: datetime) -> timedelta:
    if isinstance(spec, (ElapsedDeadline, BusinessDeadline, InWindowDeadline)):
        return spec.duration
    return measure(clock, start, base)


def compute_deadline(
    spec: Deadline,
    start: datetime,
    calendars: Calendars,
    pauses: tuple[Span, ...] = (),
    *,
    appointment_end: datetime | None = None,
) -> DeadlineResult:
    """Deadline from `start`, shifted by closed pauses (clip an open one at now) on the rule's clock."""
    return carry_over(spec, start, ZERO, start, calendars, pauses, appointment_end=appointment_end)


def carry_over(
    spec: Deadline,
    start: datetime,
    consumed: timedelta,
    at: datetime,
    calendars: Calendars,
    pauses: tuple[Span, ...] = (),
    *,
    appointment_end: datetime | None = None,
) -> DeadlineResult:
    """New deadline when a different rule matches mid-flight: time consumed and pauses carry (§4)."""
    clock = clock_for(spec, calendars)
    base, branch = base_deadline(spec, start, calendars, appointment_end)
    budget = _budget(spec, start, clock, base)
    norm = normalize(pauses)
    left = budget - consumed
    if left >= ZERO:
        deadline = advance(clock, at, left, norm)
    else:
        deadline = retreat(clock, at, -left, norm)
    return DeadlineResult(
        start=start,
        deadline=deadline,
        budget=budget,
        clock=clock,
        provisional=_provisional(spec, calendars, start, deadline),
        pauses=norm,
        branch=branch,
        exceeded_on_change=left < ZERO,
    )


def switch_rule(
    old: DeadlineResult,
    spec: Deadline,
    at: datetime,
    calendars: Calendars,
    pauses: tuple[Span, ...] | None = None,
    *,
    appointment_end: datetime | None = None,
) -> DeadlineResult:
    """Re-evaluate a running timer under a new rule at `at`, keeping consumed time and pauses."""
    consumed = old.consumed(at)
    kept = old.pauses if pauses is None else pauses
    return carry_over(spec, old.start, consumed, at, calendars, kept, appointment_end=appointment_end)


def _provisional(spec: Deadline, calendars: Calendars, a: datetime, b: datetime) -> bool:
    if isinstance(spec, ElapsedDeadline):
        return False
    cal = rule_calendar(spec, calendars)
    return cal.provisional_between(cal.local_date(a), cal.local_date(b))
