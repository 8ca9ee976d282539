"""Pauses on the rule's own clock, rule changes mid-flight and lateness (RULEBOOK §4, §9.2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import TypeAdapter

from services.sla_monitor.domain.deadlines import (
    Lateness,
    carry_over,
    compute_deadline,
    lateness,
    switch_rule,
)
from services.sla_monitor.domain.rules import Pause, TicketAttrs, select_rules
from shared.policy.loader import load_pack
from shared.policy.schema import Deadline
from tests.unit.sla.helpers import CALS, pauses_for, sh

SPEC: TypeAdapter[Deadline] = TypeAdapter(Deadline)
H = timedelta(hours=1)


def spec(data: dict) -> Deadline:
    return SPEC.validate_python(data)


def test_elapsed_pause_shifts_by_natural_time():  # TT-6 with TT-9.12 decision
    result = compute_deadline(
        spec({"type": "elapsed", "duration": "22h"}),
        sh(2025, 6, 9, 10),
        CALS,
        ((sh(2025, 6, 9, 12), sh(2025, 6, 9, 14)),),
    )
    assert result.deadline == sh(2025, 6, 10, 10)
    assert result.paused == 2 * H


def test_business_pause_over_weekend_credits_only_business_time():
    # 8 business hours from Fri 13:30 → Mon 14:00. Paused Fri 17:00 → Mon 09:00 covers only
    # 30 min of Friday and 30 min of Monday working time: deadline Mon 15:00, not 64 h later.
    pause = ((sh(2025, 6, 6, 17), sh(2025, 6, 9, 9)),)
    plain = compute_deadline(spec({"type": "business", "duration": "8h"}), sh(2025, 6, 6, 13, 30), CALS)
    paused = compute_deadline(
        spec({"type": "business", "duration": "8h"}), sh(2025, 6, 6, 13, 30), CALS, pause
    )
    assert plain.deadline == sh(2025, 6, 9, 14)
    assert paused.deadline == sh(2025, 6, 9, 15)


def test_working_days_pause_inside_holiday_credits_nothing():  # GX-reply-3wd over National Day
    wd3 = spec({"type": "working_days", "days": 3})
    start = sh(2025, 9, 29, 10)
    assert compute_deadline(wd3, start, CALS).deadline == sh(2025, 10, 11)  # 30 Sep, 9, 10 Oct → 10th 24:00
    holiday_pause = ((sh(2025, 10, 1, 10), sh(2025, 10, 5, 10)),)
    assert compute_deadline(wd3, start, CALS, holiday_pause).deadline == sh(2025, 10, 11)


def test_working_days_pause_straddling_holiday_credits_working_hours_only():
    # Paused 30 Sep 18:00 → 9 Oct 08:00: 6 h of 30 Sep + 8 h of 9 Oct are working-day time.
    # 14 h past 10 Oct 24:00 on the working-day clock is Sat 11 Oct (调休) 14:00.
    wd3 = spec({"type": "working_days", "days": 3})
    pause = ((sh(2025, 9, 30, 18), sh(2025, 10, 9, 8)),)
    assert compute_deadline(wd3, sh(2025, 9, 29, 10), CALS, pause).deadline == sh(2025, 10, 11, 14)


def test_in_window_pause_overnight_credits_only_window_time():  # TT-8.14 clock
    callback = spec({"type": "in_window", "duration": "60m", "windows": ["09:00-12:00", "14:30-18:00"]})
    pause = ((sh(2025, 6, 9, 17, 45), sh(2025, 6, 10, 9, 15)),)  # 15 min + 15 min of window time
    result = compute_deadline(callback, sh(2025, 6, 9, 17, 30), CALS, pause)
    assert result.deadline == sh(2025, 6, 10, 10)
    assert result.consumed(sh(2025, 6, 10, 9, 30)) == timedelta(minutes=30)


def test_overlapping_pauses_are_merged():
    pauses = ((sh(2025, 6, 9, 11), sh(2025, 6, 9, 12)), (sh(2025, 6, 9, 11, 30), sh(2025, 6, 9, 12, 30)))
    result = compute_deadline(spec({"type": "elapsed", "duration": "2h"}), sh(2025, 6, 9, 10), CALS, pauses)
    assert result.deadline == sh(2025, 6, 9, 13, 30)


def test_warning_respects_pauses():
    pause = ((sh(2025, 6, 9, 10, 10), sh(2025, 6, 9, 11, 10)),)
    result = compute_deadline(spec({"type": "elapsed", "duration": "30m"}), sh(2025, 6, 9, 10), CALS, pause)
    assert result.deadline == sh(2025, 6, 9, 11, 30)
    assert result.warning_at() == sh(2025, 6, 9, 11, 24)  # 24 min consumed: 10 before, 14 after 11:10


def test_priority_change_mid_flight_keeps_consumed_time_and_pauses():  # RULEBOOK §4, CS-18 → CS-19
    pol = load_pack("catv-service-norms")
    plain, vip = TicketAttrs(kind="fault"), TicketAttrs(kind="fault", segment="vip")
    (old_rule,) = [
        r
        for r in select_rules(pol.timers, plain, start_event="TicketDispatched")
        if r.family == "cs-complete"
    ]
    (new_rule,) = [
        r for r in select_rules(pol.timers, vip, start_event="TicketDispatched") if r.family == "cs-complete"
    ]
    assert (old_rule.rule_id, new_rule.rule_id) == ("CS-complete-24h", "CS-vip-fault-6h")
    taken = [Pause(sh(2025, 6, 9, 9), sh(2025, 6, 9, 10), "customer-not-home")]
    started = sh(2025, 6, 9, 8)
    old = compute_deadline(old_rule.deadline, started, CALS, pauses_for(old_rule, taken))
    assert old.deadline == sh(2025, 6, 10, 9)
    changed = switch_rule(old, new_rule.deadline, sh(2025, 6, 9, 11), CALS)
    # 2 h consumed (08–09, 10–11); 4 h of 6 h remain → 15:00, not 17:00 (reset) nor 14:00 (pause lost).
    assert changed.deadline == sh(2025, 6, 9, 15)
    assert changed.start == started
    assert changed.consumed(sh(2025, 6, 9, 11)) == 2 * H
    later = switch_rule(
        old,
        new_rule.deadline,
        sh(2025, 6, 9, 11),
        CALS,
        old.pauses + ((sh(2025, 6, 9, 12), sh(2025, 6, 9, 12, 30)),),
    )
    assert later.deadline == sh(2025, 6, 9, 15, 30)


def test_change_to_shorter_rule_already_exceeded():
    old = compute_deadline(spec({"type": "elapsed", "duration": "24h"}), sh(2025, 6, 9, 8), CALS)
    changed = switch_rule(old, spec({"type": "elapsed", "duration": "6h"}), sh(2025, 6, 9, 15), CALS)
    assert changed.exceeded_on_change
    assert changed.deadline == sh(2025, 6, 9, 14)


def test_carry_over_onto_business_clock():
    # 1 h consumed under the old rule; new rule: 4 business hours; change at Mon 11:00 → 3 h left:
    # 1 h before noon, 2 h from 13:30 → 15:30.
    result = carry_over(
        spec({"type": "business", "duration": "4h"}), sh(2025, 6, 9, 9), H, sh(2025, 6, 9, 11), CALS
    )
    assert result.deadline == sh(2025, 6, 9, 15, 30)


def test_carry_over_exceeded_retreats_on_business_clock():
    result = carry_over(
        spec({"type": "business", "duration": "2h"}), sh(2025, 6, 9, 9), 3 * H, sh(2025, 6, 9, 14), CALS
    )
    assert result.deadline == sh(
        2025, 6, 9, 11, 30
    )  # 1 h back from 14:00: 30 min after 13:30, 30 min before 12:00


@pytest.mark.parametrize(
    ("late", "hours", "days", "minutes"),
    [
        (timedelta(0), 0, 0, 0),
        (3 * H, 3, 1, 180),  # exactly 3 h late is 3 started hours (§9.2)
        (3 * H + timedelta(seconds=1), 4, 1, 181),  # 3 h 0 min 1 s is 4
        (24 * H, 24, 1, 1440),
        (24 * H + timedelta(seconds=1), 25, 2, 1441),
    ],
)
def test_started_units(late, hours, days, minutes):
    deadline = sh(2025, 6, 9, 10)
    result = lateness(deadline, deadline + late)
    assert (result.hours, result.days, result.minutes) == (hours, days, minutes)


def test_lateness_subtracts_customer_pause_after_deadline():  # §9.2
    deadline = sh(2025, 6, 9, 10)
    pause = ((sh(2025, 6, 9, 11), sh(2025, 6, 9, 12)),)
    assert lateness(deadline, sh(2025, 6, 9, 14), pause).hours == 3
    assert lateness(deadline, sh(2025, 6, 9, 9), pause) == Lateness(timedelta(0))


def test_result_lateness_does_not_double_count_pauses():
    pause = ((sh(2025, 6, 9, 12), sh(2025, 6, 9, 14)),)
    result = compute_deadline(spec({"type": "elapsed", "duration": "22h"}), sh(2025, 6, 9, 10), CALS, pause)
    assert result.deadline == sh(2025, 6, 10, 10)
    assert result.lateness(sh(2025, 6, 10, 13)).hours == 3
