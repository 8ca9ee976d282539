"""The RULEBOOK §3 state diagram: every status x command pair is either allowed or refused with a 409."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import CommandRefused, decide
from services.dispatch.domain.state import Status, TicketState
from shared.events.vocabulary import Role, TicketKind
from tests.unit.lifecycle.story import DECIDE, FULL_REPLY, SATISFIED, Story, who, window

S = Status
HANDLING = {S.dispatched, S.accepted, S.contact_established, S.appointment_booked, S.on_site, S.reopened}
EVERY = set(Status)

# Written out independently of services.dispatch.domain.rules.ALLOWED.
EXPECTED: dict[type[c.Command], set[Status]] = {
    c.DispatchTicket: {S.received},
    c.RedispatchTicket: HANDLING,
    c.AcceptTicket: {S.dispatched, S.reopened},
    c.EstablishContact: {S.accepted},
    c.BookAppointment: {S.contact_established, S.on_site},
    c.RebookAppointment: {S.appointment_booked},
    c.RecordMissedAppointment: {S.appointment_booked, S.on_site},  # on site: the customer's no-show (§9.16)
    c.RecordArrival: {S.contact_established, S.appointment_booked},
    c.ReclassifyTicket: HANDLING | {S.received, S.paused},
    c.PauseTicket: HANDLING,
    c.ResumeTicket: {S.paused},
    c.ReportDelay: HANDLING | {S.paused},
    c.ResolveTicket: {S.contact_established, S.appointment_booked, S.on_site},
    c.FileCorrectiveAction: EVERY - {S.received},  # NJ-4.2.2
    c.RecordCallback: {S.resolved},  # TT-8.13
    c.DecideEscalation: {S.escalated},  # NJ-4.2.3
    c.ArchiveTicket: {S.resolved, S.called_back, S.closed},
    c.RecordEscalationComplaint: EVERY,  # TT-9bis: may arrive after archive
    c.RecordChurn: EVERY,
    c.LinkToIncident: EVERY - {S.archived},  # RULEBOOK §7
    c.AttachCallRecording: EVERY,  # CT-3.3.1 evidence
    c.NotifyDispatchDesk: EVERY - {S.closed, S.archived},  # TT-8.7
    c.RecordWorkCompleted: {S.on_site},  # GX-5.1.4
    c.EnterResult: {S.on_site, S.resolved},  # GX-5.1.4 / GX-5.3.4
    c.HandleEscalationComplaint: EVERY,  # TT-9bis.14 (refused when none is waiting)
}

Sample = Callable[[TicketState, datetime], c.Command]
SAMPLES: dict[type[c.Command], Sample] = {
    c.DispatchTicket: lambda s, now: c.DispatchTicket(**who(Role.dispatcher), department="D1"),
    c.RedispatchTicket: lambda s, now: c.RedispatchTicket(
        **who(Role.dispatcher), department="D2", reason="handover"
    ),
    c.AcceptTicket: lambda s, now: c.AcceptTicket(**who(Role.handler)),
    c.EstablishContact: lambda s, now: c.EstablishContact(**who(Role.technician)),
    c.BookAppointment: lambda s, now: c.BookAppointment(
        **who(Role.technician), **window(now + timedelta(hours=1))
    ),
    c.RebookAppointment: lambda s, now: c.RebookAppointment(
        **who(Role.technician),
        **window(now + timedelta(days=1)),
        requested_by="customer",
        customer_consent=True,
    ),
    c.RecordMissedAppointment: lambda s, now: c.RecordMissedAppointment(
        **who(Role.technician), cause="customer" if s.status is S.on_site else "staff"
    ),
    c.RecordArrival: lambda s, now: c.RecordArrival(**who(Role.technician)),
    c.ReclassifyTicket: lambda s, now: c.ReclassifyTicket(
        **who(Role.dispatcher), priority="urgent", reason="VIP"
    ),
    c.PauseTicket: lambda s, now: c.PauseTicket(**who(Role.technician), reason="customer-postponed"),
    c.ResumeTicket: lambda s, now: c.ResumeTicket(**who(Role.technician)),
    c.ReportDelay: lambda s, now: c.ReportDelay(
        **who(Role.handler), supervising_department="NOC", reason="缺料"
    ),
    c.ResolveTicket: lambda s, now: FULL_REPLY.model_copy(update={"completed_at": now}),
    c.FileCorrectiveAction: lambda s, now: c.FileCorrectiveAction(
        **who(Role.handler), corrective="a", preventive="b"
    ),
    c.RecordCallback: lambda s, now: SATISFIED,
    c.DecideEscalation: lambda s, now: DECIDE,
    c.ArchiveTicket: lambda s, now: c.ArchiveTicket(
        **who(), exemption="customer-declined" if s.status is S.resolved else None
    ),
    c.RecordEscalationComplaint: lambda s, now: c.RecordEscalationComplaint(
        **who(), level="branch", description="x"
    ),
    c.RecordChurn: lambda s, now: c.RecordChurn(**who()),
    c.LinkToIncident: lambda s, now: c.LinkToIncident(**who(), incident_id=uuid.uuid4()),
    c.AttachCallRecording: lambda s, now: c.AttachCallRecording(**who(), recording_ref="rec-new"),
    c.NotifyDispatchDesk: lambda s, now: c.NotifyDispatchDesk(**who(Role.agent), note="VIP 专线中断"),
    c.RecordWorkCompleted: lambda s, now: c.RecordWorkCompleted(**who(Role.technician)),
    c.EnterResult: lambda s, now: c.EnterResult(**who(Role.handler), result="更换熔断器后恢复供电"),
    c.HandleEscalationComplaint: lambda s, now: c.HandleEscalationComplaint(**who(), answer="已致歉并减免月租"),
}
#: Facts a command needs beyond the status (recorded first, by a command allowed in every status).
SETUP: dict[type[c.Command], Sample] = {
    c.HandleEscalationComplaint: SAMPLES[c.RecordEscalationComplaint],
}
KIND = {c.FileCorrectiveAction: TicketKind.complaint}

MATRIX = [(status, cmd) for status in Status for cmd in EXPECTED]


def test_matrix_covers_every_command() -> None:
    declared = {t for t in c.Command.__subclasses__() if t.__module__ == c.__name__}
    assert set(EXPECTED) == set(SAMPLES) == declared


@pytest.mark.parametrize(
    ("status", "command_type"), MATRIX, ids=[f"{s.value}-{t.__name__}" for s, t in MATRIX]
)
def test_state_command_matrix(status: Status, command_type: type[c.Command]) -> None:
    story = Story(KIND.get(command_type, TicketKind.fault)).to(status)
    if command_type in SETUP:
        story.do(SETUP[command_type](story.state, story.now))
    now = story.now + timedelta(hours=3)
    command = SAMPLES[command_type](story.state, now)
    if status in EXPECTED[command_type]:
        events = decide(story.state, command, now)
        assert events, "an allowed command produces at least one event"
        assert all(e.ticket_id == story.state.ticket_id for e in events)
    else:
        with pytest.raises(CommandRefused) as refused:
            decide(story.state, command, now)
        assert refused.value.current_state is status  # the 409 carries the current state
        assert "not allowed" in refused.value.reason


def test_refusal_names_allowed_statuses() -> None:
    story = Story()
    with pytest.raises(CommandRefused, match="allowed in: received"):
        decide(story.to(S.dispatched).state, SAMPLES[c.DispatchTicket](story.state, story.now), story.now)


def test_unknown_command_type_is_a_programming_error() -> None:
    class Bogus(c.Command):
        pass

    story = Story()
    with pytest.raises(TypeError):
        decide(story.state, Bogus(**who()), story.now)
