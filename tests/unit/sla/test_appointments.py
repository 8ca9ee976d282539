"""CT-appointment-install follows the agreed window (CT-2.4.1, §9.12); `remaining` is on the rule's clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.sla_monitor.domain import timers as tm
from services.sla_monitor.domain.calendar import policy_calendars
from services.sla_monitor.domain.ticket import TicketContext, fold
from shared.policy.loader import load_pack
from tests.unit.sla.helpers import sh

MIN = timedelta(minutes=1)


def test_window_end_from_booking_consented_rebooking_and_cleared_on_reopen() -> None:
    window = {"window_start": sh(2025, 6, 10, 9).isoformat(), "window_end": sh(2025, 6, 10, 12).isoformat()}
    booked = fold(TicketContext(), "AppointmentBooked", window, sh(2025, 6, 9, 17))
    assert booked.appointment_end == sh(2025, 6, 10, 12)
    moved = {"window_end": sh(2025, 6, 11, 12).isoformat(), "customer_consent": True}
    at = sh(2025, 6, 9, 18)
    assert fold(booked, "AppointmentRebooked", moved, at).appointment_end == sh(2025, 6, 11, 12)
    refused = {**moved, "customer_consent": False}
    assert fold(booked, "AppointmentRebooked", refused, at).appointment_end == sh(2025, 6, 10, 12)
    assert fold(booked, "TicketReopened", {"round": 2}, sh(2025, 6, 12)).appointment_end is None


def test_appointment_timer_starts_at_entry_and_follows_a_rebooking() -> None:
    policy = load_pack("telecom-lyg-sameday")
    rule, cals = policy.timer("CT-appointment-install"), policy_calendars(policy)
    assert tm.runnable(rule) and tm.needs_appointment(rule)
    t = tm.start(rule, uuid.uuid4(), 1, "TicketCreated", sh(2025, 6, 9, 16), cals,
                 appointment_end=sh(2025, 6, 10, 12))
    assert t.deadline == sh(2025, 6, 10, 12) and t.start_at == sh(2025, 6, 9, 16)
    moved = tm.reappoint(t, rule, sh(2025, 6, 11, 12), cals)
    assert moved is not None and moved.deadline == sh(2025, 6, 11, 12)
    assert tm.reappoint(moved, rule, sh(2025, 6, 11, 12), cals) is None


def test_remaining_is_counted_on_the_in_window_clock() -> None:  # TT-8.14: 09:00–12:00, 14:30–18:00
    policy = load_pack("tietong-jianghan")
    rule, cals = policy.timer("TT-callback-1h"), policy_calendars(policy)
    t = tm.start(rule, uuid.uuid4(), 1, "Resolved", sh(2025, 6, 9, 11, 30), cals)
    assert t.deadline == sh(2025, 6, 9, 15)
    assert tm.remaining(t, rule, sh(2025, 6, 9, 11, 30), cals) == 60 * MIN
    assert tm.remaining(t, rule, sh(2025, 6, 9, 13), cals) == 30 * MIN  # lunch break does not count
    assert tm.remaining(t, rule, sh(2025, 6, 9, 15, 10), cals) == -10 * MIN
