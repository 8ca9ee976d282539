"""Issue 13: the shortcuts and caches of the pure core give the same answers as the long way round."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from services.sla_monitor.domain import timers as tm
from services.sla_monitor.domain.clocks import ElapsedClock, WindowClock, active, advance, measure, retreat
from services.sla_monitor.domain.deadlines import clock_for
from services.sla_monitor.domain.notices import calendar_id
from services.sla_monitor.service_layer.config import DEFAULT_POLICY, INTERNAL_RULES
from shared.policy import load_policy
from shared.policy.schema import AppointmentDeadline, BusinessDeadline, ElapsedDeadline, InWindowDeadline
from tests.unit.sla.helpers import CALS, CHINA, sh

H = timedelta(hours=1)
T0 = sh(2026, 3, 2, 9, 17, 5)


def test_calendar_id_is_the_named_calendar_else_default() -> None:
    assert calendar_id(BusinessDeadline(type="business", duration="2h", calendar="nj")) == "nj"
    assert calendar_id(BusinessDeadline(type="business", duration="2h")) == "default"
    assert calendar_id(ElapsedDeadline(type="elapsed", duration="2h")) == "default"
    assert calendar_id(AppointmentDeadline(type="appointment")) == "default"


def test_derived_calendars_are_built_once_and_equal_the_plain_copy() -> None:
    assert CHINA.whole_days() is CHINA.whole_days()
    assert CHINA.whole_days() == replace(CHINA, hours=((0, 1440),), weekday_hours=())
    windows = ((480, 1200),)
    assert CHINA.with_windows(windows, True) is CHINA.with_windows(windows, True)
    assert CHINA.with_windows(windows, True) == replace(CHINA, hours=windows, weekday_hours=(), days="every_day",
                                                        holidays=frozenset())
    assert CHINA.with_windows(windows, False) == replace(CHINA, hours=windows, weekday_hours=())


def test_clock_for_a_rule_is_built_once() -> None:
    spec = InWindowDeadline(type="in_window", duration="1h", windows=("08:00-20:00",))
    assert clock_for(spec, CALS) is clock_for(spec, CALS)
    assert clock_for(spec, CALS) == WindowClock(CHINA.with_windows(((480, 1200),), True))


@pytest.mark.parametrize("amount", [timedelta(0), timedelta(seconds=1), 3 * H, timedelta(days=40)])
def test_natural_time_without_pauses_is_plain_arithmetic(amount: timedelta) -> None:
    clock = ElapsedClock()

    def walked_forward(a, n):  # the span walk the shortcut skips
        for x, y in active(clock, a):
            if n <= y - x:
                return x + n
            n -= y - x

    assert advance(clock, T0, amount) == T0 + amount == (walked_forward(T0, amount) if amount else T0)
    assert retreat(clock, T0, amount) == T0 - amount
    assert measure(clock, T0, T0 + amount) == amount
    assert measure(clock, T0 + amount, T0) == timedelta(0)
    paused = ((T0 + timedelta(seconds=1), T0 + timedelta(seconds=1)),)  # empty: nothing paused
    assert advance(clock, T0, amount, paused) == T0 + amount


def test_a_started_timer_is_the_blank_timer_rescheduled() -> None:
    rules = load_policy(DEFAULT_POLICY).timers + INTERNAL_RULES
    runnable = [r for r in rules if tm.runnable(r)]
    assert any(isinstance(r.deadline, ElapsedDeadline) for r in runnable)
    for rule in runnable:
        end = T0 + 30 * H if tm.needs_appointment(rule) or tm.is_promise(rule) else None
        started = tm.start(rule, uuid.UUID(int=1), 2, "TicketCreated", T0, CALS, "dept", "p", end)
        blank = tm.Timer(ticket_id=uuid.UUID(int=1), family=rule.family_id, rule_id="", round=2,
                         start_event="TicketCreated", start_at=T0, deadline=T0, warning_at=T0, calendar="",
                         department="dept", person="p", appointment_end=end)
        assert started == tm.reschedule(blank, rule, CALS), rule.rule_id

