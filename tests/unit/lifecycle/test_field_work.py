"""Field time, appointments (预约/改约/失约), redispatch (TT-8.10), reclassify, pause/resume."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import CommandRefused, decide, field_time
from services.dispatch.domain.state import Status
from shared.events.lifecycle import AppointmentMissed, AppointmentRebooked, ArrivedOnSite, TicketReclassified
from shared.events.vocabulary import ComplaintClass, MissCause, Priority, Requester, Role, TicketKind
from tests.unit.lifecycle.story import ACCEPT, CONTACT, DISPATCH, FULL_REPLY, PAUSE, Story, who, window

S = Status


def booked() -> Story:
    return Story().to(S.appointment_booked)


# --- field time -------------------------------------------------------------------------------


def test_occurred_at_in_the_future_is_refused() -> None:
    story = Story()
    future = story.now + timedelta(hours=1)
    with pytest.raises(CommandRefused, match="in the future") as refused:
        decide(
            story.state, DISPATCH.model_copy(update={"occurred_at": future}), story.now + timedelta(minutes=1)
        )
    assert refused.value.current_state is S.received


def test_occurred_at_before_previous_event_is_refused() -> None:
    story = Story().to(S.dispatched)
    earlier = story.state.last_event_at - timedelta(seconds=1)
    with pytest.raises(CommandRefused, match="before the ticket's previous event"):
        story.do(ACCEPT.model_copy(update={"occurred_at": earlier}))


def test_occurred_at_equal_to_previous_event_and_past_field_time_are_used() -> None:
    story = Story().to(S.dispatched)
    same = story.state.last_event_at
    assert field_time(story.state, ACCEPT.model_copy(update={"occurred_at": same}), same) == same
    story.do(
        ACCEPT.model_copy(update={"occurred_at": same + timedelta(seconds=30)}), after=timedelta(hours=1)
    )
    assert story.state.last_event_at == same + timedelta(seconds=30)  # field time, not server time
    assert field_time(story.state, CONTACT, story.now) == story.now  # absent: now


def test_naive_now_is_a_programming_error() -> None:
    story = Story()
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(story.state, DISPATCH, datetime(2025, 3, 3, 9))


def test_naive_occurred_at_is_rejected_by_the_command_model() -> None:
    with pytest.raises(ValueError):
        c.AcceptTicket(**who(), occurred_at=datetime(2025, 3, 3, 9))


# --- appointments -----------------------------------------------------------------------------


def test_rebooking_without_customer_consent_is_refused() -> None:
    story = booked()
    command = c.RebookAppointment(
        **who(Role.technician),
        **window(story.now + timedelta(days=1)),
        requested_by="staff",
        customer_consent=False,
    )
    with pytest.raises(CommandRefused, match="consent"):
        story.do(command)


@pytest.mark.parametrize("requested_by", list(Requester))
def test_rebooking_carries_who_asked_and_previous_window(requested_by: Requester) -> None:
    story = booked()
    old = story.state.appointment
    new_start = story.now + timedelta(days=1)
    command = c.RebookAppointment(
        **who(Role.technician), **window(new_start), requested_by=requested_by, customer_consent=True
    )
    (event,) = story.do(command)
    assert isinstance(event, AppointmentRebooked)
    assert event.requested_by is requested_by and event.customer_consent is True
    assert (event.previous_start, event.previous_end) == (old.start, old.end)
    assert story.state.appointment.start == new_start and story.state.status is S.appointment_booked


def test_rebooking_to_the_same_window_is_refused() -> None:
    story = booked()
    appt = story.state.appointment
    command = c.RebookAppointment(
        **who(), window_start=appt.start, window_end=appt.end, requested_by="customer", customer_consent=True
    )
    with pytest.raises(CommandRefused, match="booked one"):
        story.do(command)


@pytest.mark.parametrize(
    ("start_offset", "hours", "reason"),
    [(timedelta(hours=1), 0, "start before it ends"), (-timedelta(hours=5), 2, "already past")],
)
def test_bad_appointment_windows_are_refused(start_offset: timedelta, hours: int, reason: str) -> None:
    story = Story().to(S.contact_established)
    command = c.BookAppointment(**who(), **window(story.now + start_offset, hours))
    with pytest.raises(CommandRefused, match=reason):
        story.do(command)


@pytest.mark.parametrize("cause", list(MissCause))
def test_missed_appointment_records_cause_and_needs_a_new_booking(cause: MissCause) -> None:
    story = booked()
    (event,) = story.do(c.RecordMissedAppointment(**who(), cause=cause), after=timedelta(hours=3))
    assert isinstance(event, AppointmentMissed) and event.cause is cause  # staff cause is TT-9.11
    assert story.state.status is S.contact_established and story.state.appointment is None
    assert story.state.missed_appointments == 1
    story.do(c.BookAppointment(**who(), **window(story.now + timedelta(hours=1))))
    assert story.state.status is S.appointment_booked


def test_appointment_cannot_be_missed_before_its_window() -> None:
    story = Story().to(S.contact_established)
    story.do(c.BookAppointment(**who(), **window(story.now + timedelta(days=1))))
    with pytest.raises(CommandRefused, match="cannot be missed yet"):
        story.do(c.RecordMissedAppointment(**who(), cause="staff"))


@pytest.mark.parametrize(("after", "within"), [(timedelta(minutes=1), True), (timedelta(hours=5), False)])
def test_arrival_records_whether_the_window_was_kept(after: timedelta, within: bool) -> None:
    (event,) = booked().do(c.RecordArrival(**who(Role.technician)), after=after)
    assert isinstance(event, ArrivedOnSite) and event.within_window is within and event.technician == "tech-1"


def test_arrival_without_appointment_has_no_window() -> None:
    story = Story().to(S.contact_established)
    (event,) = story.do(c.RecordArrival(**who(Role.technician)))
    assert event.within_window is None and story.state.status is S.on_site


# --- redispatch -------------------------------------------------------------------------------


def test_wrong_dispatch_is_flagged_with_the_original_dispatcher() -> None:
    story = Story().to(S.accepted)
    (event,) = story.do(
        c.RedispatchTicket(**who(Role.handler, "d1-lead"), department="D2", reason="wrong-department")
    )
    assert event.wrong_dispatch is True  # TT-8.10
    assert (event.previous_department, event.previous_technician, event.previous_dispatched_by) == (
        "D1",
        "tech-1",
        "disp-1",
    )
    assert story.state.status is S.dispatched and story.state.department == "D2"


def test_redispatch_to_the_same_place_needs_a_correction_reason() -> None:
    story = Story().to(S.accepted)
    same = {"department": "D1", "technician": "tech-1"}
    with pytest.raises(CommandRefused, match="already dispatched"):
        story.do(c.RedispatchTicket(**who(), **same, reason="handover"))
    (event,) = story.do(c.RedispatchTicket(**who(), **same, reason="wrong-fault-info"))
    assert event.wrong_dispatch is True


def test_handover_is_not_a_wrong_dispatch() -> None:
    (event,) = Story().to(S.dispatched).do(c.RedispatchTicket(**who(), department="D2", reason="handover"))
    assert event.wrong_dispatch is False


# --- reclassify -------------------------------------------------------------------------------


def test_reclassify_records_before_and_after_of_changed_fields_only() -> None:
    story = Story().to(S.accepted)
    (event,) = story.do(c.ReclassifyTicket(**who(), priority="urgent", segment="vip", reason="大客户"))
    assert isinstance(event, TicketReclassified)
    assert event.after.priority is Priority.urgent and event.before.priority is None
    assert event.after.kind is None  # unchanged fields are not part of the change
    assert story.state.priority is Priority.urgent and story.state.status is S.accepted


def test_reclassify_that_changes_nothing_is_refused() -> None:
    with pytest.raises(CommandRefused, match="changes nothing"):
        Story().do(c.ReclassifyTicket(**who(), kind="fault", reason="same"))


def test_complaint_class_only_for_complaints_and_defaults_to_regular() -> None:
    story = Story()
    with pytest.raises(CommandRefused, match="NJ-4.1"):
        story.do(c.ReclassifyTicket(**who(), complaint_class="mass", reason="x"))
    story.do(c.ReclassifyTicket(**who(), kind="complaint", reason="客户要投诉"))
    assert story.state.kind is TicketKind.complaint and story.state.complaint_class is ComplaintClass.regular


# --- pause / resume ---------------------------------------------------------------------------


def test_pause_blocks_progress_until_resumed_to_the_previous_status() -> None:
    story = Story().to(S.contact_established)
    story.do(PAUSE)
    assert story.state.status is S.paused and story.state.paused_from is S.contact_established
    with pytest.raises(CommandRefused, match="not allowed"):
        story.do(FULL_REPLY)
    (event,) = story.do(c.ResumeTicket(**who()), after=timedelta(minutes=90))
    assert event.paused_seconds == 90 * 60
    assert story.state.status is S.contact_established and story.state.paused_seconds == 5400
    story.do(FULL_REPLY)
    assert story.state.status is S.resolved
