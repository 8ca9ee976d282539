"""Issue 8: the inputs the rulebook needs that no API took before — pure rules of `decide`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import CommandRefused
from services.dispatch.domain.state import Status
from shared.events.lifecycle import (
    AppointmentMissed,
    CustomerChurned,
    DispatchDeskNotified,
    EscalationComplaintReceived,
    ResultEntered,
    TicketReclassified,
    WorkCompleted,
)
from shared.events.vocabulary import MissCause, Role, SameDay, TicketKind
from tests.unit.lifecycle.story import Story, who, window


def test_dispatch_desk_is_notified_once_of_a_fault_tt_8_7() -> None:
    story = Story()
    [event] = story.do(c.NotifyDispatchDesk(**who(Role.agent), note="VIP 专线"))
    assert isinstance(event, DispatchDeskNotified) and event.note == "VIP 专线"
    with pytest.raises(CommandRefused, match="already notified"):
        story.do(c.NotifyDispatchDesk(**who(Role.agent)))


def test_dispatch_desk_is_not_notified_of_a_complaint() -> None:
    with pytest.raises(CommandRefused, match="TT-8.7"):
        Story(TicketKind.complaint).do(c.NotifyDispatchDesk(**who(Role.agent)))


def test_work_completed_then_result_entered_gx_5_1_4() -> None:
    story = Story().to(Status.on_site)
    [done] = story.do(c.RecordWorkCompleted(**who(Role.technician, "tech-1")))
    [entered] = story.do(c.EnterResult(**who(Role.handler), result="更换熔断器"))
    assert isinstance(done, WorkCompleted) and done.technician == "tech-1"
    assert isinstance(entered, ResultEntered) and entered.result == "更换熔断器"
    with pytest.raises(CommandRefused, match="already"):
        story.do(c.RecordWorkCompleted(**who(Role.technician, "tech-1")))
    with pytest.raises(CommandRefused, match="already entered"):
        story.do(c.EnterResult(**who(Role.handler), result="again"))


def test_no_show_found_on_arrival_is_a_customer_missed_appointment_rulebook_9_16() -> None:
    story = Story().to(Status.on_site)  # arrived inside the booked window
    [missed] = story.do(c.RecordMissedAppointment(**who(Role.technician, "tech-1"), cause="customer"))
    assert isinstance(missed, AppointmentMissed) and missed.cause is MissCause.customer
    assert story.state.status is Status.contact_established and not story.state.arrived
    story.do(c.BookAppointment(**who(Role.technician, "tech-1"), **window(story.now + timedelta(days=1))))
    assert story.state.status is Status.appointment_booked


def test_on_site_only_the_customer_can_miss_the_appointment() -> None:
    story = Story().to(Status.on_site)
    with pytest.raises(CommandRefused, match="customer's no-show"):
        story.do(c.RecordMissedAppointment(**who(Role.technician), cause="staff"))


def test_no_show_needs_an_arrival_inside_the_window() -> None:
    story = Story().to(Status.contact_established)
    story.do(c.RecordArrival(**who(Role.technician, "tech-1")))  # no appointment was booked
    with pytest.raises(CommandRefused, match="within the agreed appointment window"):
        story.do(c.RecordMissedAppointment(**who(Role.technician), cause="customer"))


def test_escalation_complaint_charges_the_dispatched_department_unless_named_tt_9bis() -> None:
    story = Story().to(Status.dispatched)
    [default] = story.do(c.RecordEscalationComplaint(**who(), level="branch", description="x"))
    [named] = story.do(c.RecordEscalationComplaint(**who(), level="branch", description="y",
                                                   responsible_department="D9"))
    assert isinstance(default, EscalationComplaintReceived)
    assert (default.responsible_department, named.responsible_department) == ("D1", "D9")


def test_churn_records_whether_the_complaint_caused_it() -> None:
    [churn] = Story(TicketKind.complaint).do(c.RecordChurn(**who(), caused_by_complaint=True))
    assert isinstance(churn, CustomerChurned) and churn.caused_by_complaint


@pytest.mark.parametrize(("kind", "same_day", "ok"), [
    (TicketKind.install, SameDay.requested, True),
    (TicketKind.fault, SameDay.declined, True),
    (TicketKind.fault, SameDay.requested, False),
    (TicketKind.install, SameDay.declined, False),
])
def test_reclassification_sets_the_same_day_choice_ct_2_4(kind: TicketKind, same_day: SameDay, ok: bool) -> None:
    story = Story(kind)
    command = c.ReclassifyTicket(**who(Role.dispatcher), reason="客户来电", same_day=same_day)
    if not ok:
        with pytest.raises(CommandRefused, match="CT-2.4"):
            story.do(command)
        return
    [event] = story.do(command)
    assert isinstance(event, TicketReclassified) and event.after.same_day is same_day
    assert story.state.same_day is same_day


def test_same_day_flag_names_match_the_pack() -> None:
    assert (SameDay.requested.flag, SameDay.declined.flag) == ("same-day-requested", "same-day-declined")


def test_escalation_complaints_are_answered_one_by_one_tt_9bis_14() -> None:
    story = Story(TicketKind.complaint)
    for text in ("first", "second"):
        story.do(c.RecordEscalationComplaint(**who(), level="branch", description=text))
    [first] = story.do(c.HandleEscalationComplaint(**who(), answer="已处理"))
    [second] = story.do(c.HandleEscalationComplaint(**who(), nth=2, answer="已处理"))
    assert (first.nth, second.nth) == (1, 2)
    with pytest.raises(CommandRefused, match="waiting: none"):
        story.do(c.HandleEscalationComplaint(**who(), answer="again"))
