"""Working calendar: chinesecalendar, 调休, overrides, provisional years, DST (RULEBOOK §4)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.sla_monitor.domain.calendar import CHINA_YEARS, WorkingCalendar, calendar_from_spec
from services.sla_monitor.domain.clocks import WindowClock, advance, measure
from shared.policy.schema import CalendarSpec
from tests.unit.sla.helpers import CHINA, ldn, sh, utc

H = timedelta(hours=1)
LONDON_OFFICE = WorkingCalendar(zone="Europe/London", days="weekly", hours=((540, 1020),))


def test_chinese_calendar_knows_2025():
    assert CHINA_YEARS[0] <= 2025 <= CHINA_YEARS[1]


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2025, 9, 26), True),  # Friday
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, 调休 make-up working day for National Day
        (date(2025, 10, 1), False),  # National Day
        (date(2025, 10, 6), False),  # Mid-autumn, inside the National Day break
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休 make-up working day
        (date(2025, 10, 12), False),
    ],
)
def test_national_day_2025_and_make_up_days(day, workday):
    info = CHINA.day(day)
    assert info.workday is workday
    assert info.provisional is False


def test_year_unknown_to_chinesecalendar_is_provisional_mon_to_fri():
    assert CHINA_YEARS[1] < 2031
    assert CHINA.day(date(2031, 1, 1)).workday is True  # a Wednesday; holiday unknown → guessed
    assert CHINA.day(date(2031, 1, 1)).provisional is True
    assert CHINA.day(date(2031, 1, 4)).workday is False  # Saturday
    assert CHINA.provisional_between(date(2030, 12, 31), date(2031, 1, 2))
    assert not CHINA.provisional_between(date(2025, 1, 1), date(2025, 12, 31))


def test_declared_year_with_operator_holidays_is_not_provisional():
    cal = calendar_from_spec(
        CalendarSpec(declared_years=(2031,), holidays=(date(2031, 1, 1),), workdays=(date(2031, 1, 4),))
    )
    assert cal.day(date(2031, 1, 1)).workday is False
    assert cal.day(date(2031, 1, 4)).workday is True
    assert cal.day(date(2031, 1, 2)).provisional is False


def test_operator_overrides_beat_chinesecalendar():
    cal = calendar_from_spec(CalendarSpec(holidays=(date(2025, 6, 9),), workdays=(date(2025, 10, 2),)))
    assert cal.is_workday(date(2025, 6, 9)) is False
    assert cal.is_workday(date(2025, 10, 2)) is True


def test_business_time_one_day_with_lunch_break():
    assert CHINA.business_time(sh(2025, 6, 9, 8), sh(2025, 6, 9, 18)) == timedelta(hours=7, minutes=30)
    assert CHINA.business_time(sh(2025, 6, 9, 12), sh(2025, 6, 9, 13, 30)) == timedelta(0)


def test_make_up_sunday_uses_default_windows():
    assert CHINA.business_time(sh(2025, 9, 28), sh(2025, 9, 29)) == timedelta(hours=7, minutes=30)


def test_add_workdays_skips_national_day():
    assert CHINA.add_workdays(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert CHINA.add_workdays(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert CHINA.workday_back(date(2025, 10, 9), 2) == date(2025, 9, 30)


def test_london_business_minutes_across_spring_dst_change():
    # Fri 28 Mar 2025 GMT, Mon 31 Mar 2025 BST (clocks went forward Sun 30 Mar 01:00 UTC).
    assert ldn(2025, 3, 31, 9) == utc(2025, 3, 31, 8)
    assert LONDON_OFFICE.business_time(ldn(2025, 3, 28, 9), ldn(2025, 3, 31, 17)) == 16 * H
    assert LONDON_OFFICE.business_time(ldn(2025, 3, 24), ldn(2025, 3, 31)) == 40 * H
    assert advance(WindowClock(LONDON_OFFICE), ldn(2025, 3, 28, 16), 2 * H) == utc(2025, 3, 31, 9)


def test_london_business_minutes_across_autumn_dst_change():
    # Clocks went back Sun 26 Oct 2025: Fri 24 Oct is BST, Mon 27 Oct is GMT.
    clock = WindowClock(LONDON_OFFICE)
    assert advance(clock, ldn(2025, 10, 24, 16), 2 * H) == utc(2025, 10, 27, 10)
    assert measure(clock, ldn(2025, 10, 20), ldn(2025, 10, 27)) == 40 * H


def test_whole_days_on_dst_sunday_are_23_and_25_hours():
    every = WorkingCalendar(zone="Europe/London", days="every_day").whole_days()
    assert every.business_time(ldn(2025, 3, 30), ldn(2025, 3, 31)) == 23 * H
    assert every.business_time(ldn(2025, 10, 26), ldn(2025, 10, 27)) == 25 * H


def test_end_of_day_is_local_midnight():
    assert CHINA.end_of_day(date(2025, 6, 9)) == utc(2025, 6, 9, 16)


def test_naive_datetime_rejected():
    from datetime import datetime

    with pytest.raises(ValueError):
        CHINA.local(datetime(2025, 1, 1))


def test_calendar_from_spec_weekday_hours():
    cal = calendar_from_spec(CalendarSpec(hours=("09:00-17:00",), weekday_hours={"fri": ("09:00-12:00",)}))
    assert cal.business_time(sh(2025, 6, 6), sh(2025, 6, 7)) == 3 * H
    assert cal.business_time(sh(2025, 6, 9), sh(2025, 6, 10)) == 8 * H
