"""Policy file schema: calendars, timer rules and their deadline types (RULEBOOK §4), field-time limits."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import pairwise
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.policy.compensation import CompensationPolicy
from shared.policy.durations import parse_duration
from shared.policy.penalties import PenaltyPolicy

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class Strict(BaseModel):
    """Base for policy models: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def hhmm_minutes(text: str) -> int:
    """'HH:MM' (00:00..24:00) to minutes after local midnight."""
    m = _HHMM.match(text)
    if not m or int(m[1]) * 60 + int(m[2]) > 1440:
        raise ValueError(f"{text!r} is not a time HH:MM between 00:00 and 24:00")
    return int(m[1]) * 60 + int(m[2])


def window_minutes(text: str) -> tuple[int, int]:
    """'HH:MM-HH:MM' to a (start, end) pair of minutes; end after start."""
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"{text!r} is not a window HH:MM-HH:MM")
    a, b = hhmm_minutes(parts[0].strip()), hhmm_minutes(parts[1].strip())
    if b <= a:
        raise ValueError(f"window {text!r} must end after it starts")
    return a, b


def _check_hhmm(text: str) -> str:
    hhmm_minutes(text)
    return text


def _check_window(text: str) -> str:
    window_minutes(text)
    return text


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


def _parse_limit(value: Any) -> timedelta:
    return parse_duration(value, allow_zero=True)


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


HHMM = Annotated[str, AfterValidator(_check_hhmm)]
WindowText = Annotated[str, AfterValidator(_check_window)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Names = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
Limit = Annotated[timedelta, BeforeValidator(_parse_limit)]

#: API roles (shared.http.auth.Role values; a unit test keeps the two in step).
ApiRole = Literal["ivr", "agent", "dispatcher", "handler", "technician", "supervisor", "deputy-gm", "finance",
                  "ops", "admin", "nms", "comprehensive", "gm"]


class CalendarSpec(Strict):
    """A working calendar: zone, day mode, daily windows, holidays and 调休 make-up days."""

    zone: Annotated[str, AfterValidator(_check_zone)] = "Asia/Shanghai"
    days: Literal["china", "weekly", "every_day"] = "china"
    weekdays: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    hours: tuple[WindowText, ...] = Field(default=("08:30-12:00", "13:30-17:30"), min_length=1)
    weekday_hours: dict[Weekday, tuple[WindowText, ...]] = {}
    holidays: tuple[date, ...] = ()
    workdays: tuple[date, ...] = ()
    declared_years: tuple[int, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> CalendarSpec:
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates both holiday and working day: {', '.join(map(str, both))}")
        for windows in (self.hours, *self.weekday_hours.values()):
            spans = sorted(window_minutes(w) for w in windows)
            if any(a[1] > b[0] for a, b in pairwise(spans)):
                raise ValueError(f"overlapping windows {list(windows)}")
        return self


class ElapsedDeadline(Strict):
    """Type 1: N of natural time."""

    type: Literal["elapsed"]
    duration: Duration


class BusinessDeadline(Strict):
    """Type 2: N counted only inside the calendar's working windows."""

    type: Literal["business"]
    duration: Duration
    calendar: str = "default"


class WorkingDaysDeadline(Strict):
    """Type 3: 24:00 of the Nth working day after the start date (RULEBOOK §9.1)."""

    type: Literal["working_days"]
    days: int = Field(ge=1)
    calendar: str = "default"


class CutoffDeadline(Strict):
    """Type 4: started strictly before HH:MM → 24:00 that day; else start + N natural hours."""

    type: Literal["cutoff"]
    before: HHMM
    after_hours: int | None = Field(default=None, ge=1)
    calendar: str = "default"


class InWindowDeadline(Strict):
    """Type 5: N counted only inside listed daily windows, every calendar day by default (§9.8)."""

    type: Literal["in_window"]
    duration: Duration
    windows: tuple[WindowText, ...] = Field(min_length=1)
    every_day: bool = True
    calendar: str = "default"


class AheadOfDeadline(Strict):
    """Type 6: a notice at least N working days or N hours before a planned time."""

    type: Literal["ahead_of"]
    working_days: int | None = Field(default=None, ge=1)
    hours: int | None = Field(default=None, ge=1)
    calendar: str = "default"

    @model_validator(mode="after")
    def _one_unit(self) -> AheadOfDeadline:
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("give exactly one of working_days or hours")
        return self


class AppointmentDeadline(Strict):
    """The end of the agreed appointment window (CT-2.4.1, RULEBOOK §9.12)."""

    type: Literal["appointment"]


class PromisedDeadline(Strict):
    """The due date a dispatcher set by hand (issue 8): an internal timer of its own, warnings only, no money;
    it never moves a policy deadline. Not for policy files: Gongdan adds the one rule that uses it."""

    type: Literal["promised"]


Deadline = Annotated[
    (
        ElapsedDeadline
        | BusinessDeadline
        | WorkingDaysDeadline
        | CutoffDeadline
        | InWindowDeadline
        | AheadOfDeadline
        | AppointmentDeadline
        | PromisedDeadline
    ),
    Field(discriminator="type"),
]


class Condition(Strict):
    """Ticket attributes a rule applies to; every given field must match (lists: any of)."""

    kind: Names = ()
    segment: Names = ()
    product: Names = ()
    area: Names = ()
    channel: Names = ()
    priority: Names = ()
    linked_incident: bool | None = None
    flags: Names = ()
    start_before: HHMM | None = None
    start_from: HHMM | None = None
    any_of: tuple[Condition, ...] = ()
    none_of: tuple[Condition, ...] = ()


class PausePolicy(Strict):
    """Pause reasons whose time is excluded from this timer (RULEBOOK §4 Pause)."""

    reasons: Names = ()


class TimerRule(Strict):
    """One SLA timer: start → stop events, deadline, pause policy and its source clause."""

    rule_id: str = Field(pattern=r"^[A-Z]{2}-[A-Za-z0-9.-]+$")
    family: str | None = None
    title: str = ""
    source: str = Field(min_length=1)
    applies_to: Condition = Condition()
    start: Names = Field(min_length=1)
    stop: Names = Field(min_length=1)
    pause: PausePolicy = PausePolicy()
    deadline: Deadline
    warning: float = Field(default=0.8, gt=0, lt=1)
    notes: str = ""

    @property
    def family_id(self) -> str:
        """Family for §9.11 most-specific selection; defaults to the rule id."""
        return self.family or self.rule_id


class FieldTimePolicy(Strict):
    """Field time (issue 3): how far before now each API role may set `occurred_at`; unlisted: not at all."""

    max_backdate: dict[ApiRole, Limit] = {}
    # RULEBOOK §9.13: an act recorded this long after it happened is flagged as backdated (timeline, audit).
    flag_backdated_after: Duration = timedelta(hours=1)

    def limit(self, role: str) -> timedelta:
        """How far `role` may backdate; zero when the policy does not list it."""
        return next((limit for name, limit in self.max_backdate.items() if name == role), timedelta(0))


class Policy(Strict):
    """An effective policy after includes and overrides are applied."""

    pack: str
    name: str = ""
    packs: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    calendars: dict[str, CalendarSpec]
    timers: tuple[TimerRule, ...]
    field_time: FieldTimePolicy = FieldTimePolicy()
    penalties: PenaltyPolicy = PenaltyPolicy()  # issue 10: penalty clauses (shared/policy/penalties.py)
    compensation: CompensationPolicy = CompensationPolicy()  # issue 11: schemes (shared/policy/compensation.py)

    def timer(self, rule_id: str) -> TimerRule:
        """The timer rule with this id (KeyError if absent)."""
        for rule in self.timers:
            if rule.rule_id == rule_id:
                return rule
        raise KeyError(rule_id)


class PolicyFileHead(Strict):
    """Top-level keys of one policy file; entries are validated after merging."""

    pack: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = ""
    description: str = ""
    include: Names = ()
    calendars: dict[str, dict[str, Any]] = {}
    timers: tuple[dict[str, Any], ...] = ()
    overrides: dict[str, dict[str, Any]] = {}
    disable: Names = ()
    field_time: dict[str, Any] = {}
    penalties: dict[str, Any] = {}  # issue 10: merged by shared/policy/penalty_loader.py
    compensation: dict[str, Any] = {}  # issue 11: merged by shared/policy/compensation_loader.py
