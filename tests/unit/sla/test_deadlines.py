"""Hand-computed deadlines for every rule type of RULEBOOK §4 (Asia/Shanghai = UTC+8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter

from services.sla_monitor.domain.deadlines import compute_deadline, notice_deadline
from shared.policy.schema import AheadOfDeadline, Deadline
from tests.unit.sla.helpers import CALS, sh

SPEC: TypeAdapter[Deadline] = TypeAdapter(Deadline)
CALLBACK = {"type": "in_window", "duration": "60m", "windows": ["09:00-12:00", "14:30-18:00"]}


def due(spec: dict, start, **kw):
    """Deadline of a spec given as policy YAML data."""
    return compute_deadline(SPEC.validate_python(spec), start, CALS, **kw)


def test_elapsed_22h():  # TT-6
    assert due({"type": "elapsed", "duration": "22h"}, sh(2025, 6, 9, 10)).deadline == sh(2025, 6, 10, 8)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (sh(2025, 6, 9, 10), "4h", sh(2025, 6, 9, 15, 30)),  # across the 12:00-13:30 lunch break
        (sh(2025, 6, 9, 10), "2h", sh(2025, 6, 9, 12)),  # lands on a window end: 12:00, not 13:30
        (sh(2025, 6, 9, 7), "1h", sh(2025, 6, 9, 9, 30)),  # created before opening: counts from 08:30
        (sh(2025, 6, 9, 12, 30), "30m", sh(2025, 6, 9, 14)),  # created in lunch: counts from 13:30
        (sh(2025, 6, 6, 17), "1h", sh(2025, 6, 9, 9)),  # Fri 17:00: 30 min Fri, 30 min Mon
        (sh(2025, 6, 7, 10), "30m", sh(2025, 6, 9, 9)),  # created Saturday: next opening Mon 08:30
        (sh(2025, 9, 27, 10), "30m", sh(2025, 9, 28, 9)),  # Sat → 调休 working Sunday 28 Sep
        (sh(2025, 9, 30, 17), "1h", sh(2025, 10, 9, 9)),  # National Day break skipped
    ],
)
def test_business(start, duration, expected):
    assert due({"type": "business", "duration": duration}, start).deadline == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (sh(2025, 6, 6, 10), 1, sh(2025, 6, 10)),  # Fri → first working day after: Mon 24:00
        (sh(2025, 6, 7, 10), 1, sh(2025, 6, 10)),  # Saturday start: start date never counts
        (sh(2025, 6, 9, 0), 1, sh(2025, 6, 11)),  # Mon 00:00 → Tue 24:00 (§9.1)
        (sh(2025, 9, 25, 10), 3, sh(2025, 9, 30)),  # Fri 26, Sun 28 (调休), Mon 29 → 29th 24:00
        (sh(2025, 9, 30, 15), 1, sh(2025, 10, 10)),  # after National Day: Thu 9 Oct 24:00
        (sh(2025, 9, 30, 15), 3, sh(2025, 10, 12)),  # 9, 10 and Sat 11 Oct (调休) → 11th 24:00
    ],
)
def test_working_days(start, days, expected):
    result = due({"type": "working_days", "days": days}, start)
    assert result.deadline == expected
    assert result.provisional is False


@pytest.mark.parametrize(
    ("start", "expected", "branch"),
    [
        (sh(2025, 6, 9, 15, 59, 59), sh(2025, 6, 10), "before"),  # strictly before 16:00 → 24:00
        (sh(2025, 6, 9, 16, 0, 0), sh(2025, 6, 10, 16), "after"),  # 16:00:00 → +24 h (§9.1)
        (sh(2025, 6, 9, 0, 0, 0), sh(2025, 6, 10), "before"),
        (sh(2025, 6, 9, 23, 30), sh(2025, 6, 10, 23, 30), "after"),
    ],
)
def test_cutoff_16h_boundary(start, expected, branch):  # CT-2.4.2
    result = due({"type": "cutoff", "before": "16:00", "after_hours": 24}, start)
    assert (result.deadline, result.branch) == (expected, branch)


def test_cutoff_without_after_branch_refuses_late_start():  # CT-2.4.1: sameday-install only before 16:00
    assert due({"type": "cutoff", "before": "16:00"}, sh(2025, 6, 9, 15)).deadline == sh(2025, 6, 10)
    with pytest.raises(ValueError):
        due({"type": "cutoff", "before": "16:00"}, sh(2025, 6, 9, 16))


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (sh(2025, 6, 9, 10), sh(2025, 6, 9, 11)),
        (sh(2025, 6, 9, 11, 30), sh(2025, 6, 9, 15)),  # 30 min before noon, 30 min after 14:30
        (sh(2025, 6, 9, 12), sh(2025, 6, 9, 15, 30)),  # resolved at noon: callback from 14:30
        (sh(2025, 6, 9, 17, 30), sh(2025, 6, 10, 9, 30)),  # 30 min today, 30 min from 09:00
        (sh(2025, 6, 9, 20), sh(2025, 6, 10, 10)),  # evening: next morning
        (sh(2025, 10, 4, 10), sh(2025, 10, 4, 11)),  # National Day Saturday: windows run every day (§9.8)
    ],
)
def test_in_window_callback(start, expected):  # TT-8.14
    assert due(CALLBACK, start).deadline == expected


def test_in_window_friday_evening_carries_to_saturday_every_day():
    assert due({**CALLBACK, "duration": "3m"}, sh(2025, 6, 6, 17, 58)).deadline == sh(2025, 6, 7, 9, 1)


def test_in_window_working_days_only_fri_1658_to_mon_0901():
    spec = {"type": "in_window", "duration": "3m", "windows": ["09:00-17:00"], "every_day": False}
    assert due(spec, sh(2025, 6, 6, 16, 58)).deadline == sh(2025, 6, 9, 9, 1)


def test_appointment_deadline():  # CT-2.4.1, §9.12
    end = sh(2025, 6, 10, 12)
    assert due({"type": "appointment"}, sh(2025, 6, 9, 17), appointment_end=end).deadline == end
    with pytest.raises(ValueError):
        due({"type": "appointment"}, sh(2025, 6, 9, 17))


def _notice(**kw):
    return AheadOfDeadline(type="ahead_of", **kw)


def test_ahead_of_one_working_day():  # NJ-4.3.2c, §9.1
    result = notice_deadline(_notice(working_days=1), sh(2025, 6, 11, 10), CALS)
    assert result.latest == sh(2025, 6, 11)  # Tue 10 Jun 24:00
    assert result.in_time(sh(2025, 6, 10, 23, 59, 59)) and result.in_time(sh(2025, 6, 11))
    assert not result.in_time(sh(2025, 6, 11, 0, 0, 1))


def test_ahead_of_one_working_day_monday_allows_weekend_notice():
    result = notice_deadline(_notice(working_days=1), sh(2025, 6, 9, 9), CALS)
    assert result.latest == sh(2025, 6, 9)  # Sun 8 Jun 24:00: Mon is the 1 working day after Sat/Sun
    assert result.in_time(sh(2025, 6, 7, 12))


def test_ahead_of_seven_working_days_across_national_day():  # GX-5.4.4
    # Back from Mon 13 Oct: 13, Sat 11 (调休), 10, 9, 30 Sep, 29, Sun 28 (调休) → by 27 Sep 24:00.
    result = notice_deadline(_notice(working_days=7), sh(2025, 10, 13, 9), CALS)
    assert result.latest == sh(2025, 9, 28)
    assert not result.provisional


def test_ahead_of_hours():  # GX-5.4.4 temporary outage
    result = notice_deadline(_notice(hours=24), sh(2025, 6, 10, 9), CALS)
    assert result.latest == sh(2025, 6, 9, 9)
    assert result.in_time(sh(2025, 6, 9, 9)) and not result.in_time(sh(2025, 6, 9, 9, 0, 1))


def test_ahead_of_is_not_a_running_timer():
    with pytest.raises(ValueError):
        due({"type": "ahead_of", "hours": 24}, sh(2025, 6, 9))


def test_unknown_year_2031_gives_provisional_mon_fri_results():
    # 2031-01-03 is a Friday; 2031 is outside chinesecalendar's data → Mon–Fri guess.
    result = due({"type": "working_days", "days": 1}, sh(2031, 1, 3, 10))
    assert result.deadline == sh(2031, 1, 7)  # Mon 6 Jan 24:00
    assert result.provisional is True
    business = due({"type": "business", "duration": "1h"}, sh(2031, 1, 3, 17))
    assert business.deadline == sh(2031, 1, 6, 9)
    assert business.provisional is True
    assert due({"type": "elapsed", "duration": "1h"}, sh(2031, 1, 3)).provisional is False


def test_known_year_is_not_provisional():
    assert due({"type": "business", "duration": "1h"}, sh(2025, 6, 9)).provisional is False


def test_warning_at_80_percent():
    assert due({"type": "elapsed", "duration": "22h"}, sh(2025, 6, 9, 10)).warning_at() == sh(
        2025, 6, 10, 3, 36
    )
    # 4 business hours from Mon 10:00: 3h12m counted = 2h to noon + 1h12m from 13:30.
    assert due({"type": "business", "duration": "4h"}, sh(2025, 6, 9, 10)).warning_at() == sh(
        2025, 6, 9, 14, 42
    )
    assert due({"type": "elapsed", "duration": "10m"}, sh(2025, 6, 9)).warning_at(0.5) == sh(2025, 6, 9, 0, 5)
    with pytest.raises(ValueError):
        due({"type": "elapsed", "duration": "10m"}, sh(2025, 6, 9)).warning_at(0)


def test_met_is_inclusive():  # §9.1
    result = due({"type": "elapsed", "duration": "30m"}, sh(2025, 6, 9, 10))
    assert result.met(sh(2025, 6, 9, 10, 30))
    assert not result.met(sh(2025, 6, 9, 10, 30, 1))


def test_consumed_and_remaining_on_business_clock():
    result = due({"type": "business", "duration": "4h"}, sh(2025, 6, 9, 10))
    assert result.consumed(sh(2025, 6, 9, 13)) == timedelta(hours=2)
    assert result.remaining(sh(2025, 6, 9, 13)) == timedelta(hours=2)
    assert result.remaining(sh(2025, 6, 9, 16)) == timedelta(minutes=-30)


def test_ahead_of_in_unknown_year_is_provisional():
    result = notice_deadline(_notice(working_days=1), sh(2031, 1, 8, 10), CALS)
    assert result.latest == sh(2031, 1, 8)  # Tue 7 Jan 2031 24:00 under the Mon–Fri guess
    assert result.provisional is True


def test_in_window_on_working_days_skips_national_day():
    spec = {"type": "in_window", "duration": "30m", "windows": ["09:00-17:00"], "every_day": False}
    assert due(spec, sh(2025, 9, 30, 16, 45)).deadline == sh(2025, 10, 9, 9, 15)


def test_business_deadline_on_london_calendar_across_dst():
    from services.sla_monitor.domain.calendar import WorkingCalendar
    from tests.unit.sla.helpers import ldn

    cals = {"default": WorkingCalendar(zone="Europe/London", days="weekly", hours=((540, 720), (780, 1020)))}
    spec = SPEC.validate_python({"type": "business", "duration": "3h"})
    result = compute_deadline(spec, ldn(2025, 3, 28, 15), cals)  # Fri 15:00 GMT: 2 h Fri, 1 h Mon
    assert result.deadline == ldn(2025, 3, 31, 10)
    assert result.deadline.hour == 9  # 10:00 BST is 09:00 UTC


def test_in_window_every_day_ignores_operator_holidays():  # RULEBOOK §9.8: hotline is 7×24
    from datetime import date

    from services.sla_monitor.domain.calendar import calendar_from_spec
    from shared.policy.schema import CalendarSpec

    cals = {"default": calendar_from_spec(CalendarSpec(holidays=(date(2025, 6, 9),)))}
    callback = SPEC.validate_python(CALLBACK)
    assert compute_deadline(callback, sh(2025, 6, 9, 10), cals).deadline == sh(2025, 6, 9, 11)
    business = SPEC.validate_python({"type": "business", "duration": "1h"})
    assert compute_deadline(business, sh(2025, 6, 9, 10), cals).deadline == sh(2025, 6, 10, 9, 30)
