"""Archive rules, first-contact resolution, CAPA (NJ-4.2.2), escalation complaints, churn, links."""

from __future__ import annotations

import uuid

import pytest

from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import CommandRefused
from services.dispatch.domain.state import Status
from shared.events.lifecycle import (
    DuplicateReportLinked,
    EscalationComplaintReceived,
    ResolvedAtFirstContact,
    TicketArchived,
)
from shared.events.vocabulary import CallbackExemption as X
from shared.events.vocabulary import EscalationLevel, TicketKind
from tests.unit.lifecycle.story import ARCHIVE, DISSATISFIED, Story, who

S = Status


def archive(exemption: X | None = None) -> c.ArchiveTicket:
    return ARCHIVE.model_copy(update={"exemption": exemption})


def unreached(story: Story, times: int) -> Story:
    for _ in range(times):
        story.do(c.RecordCallback(**who(), reached=False))
    return story


def test_archive_after_satisfied_callback_needs_no_exemption() -> None:
    story = Story().to(S.called_back)
    (event,) = story.do(archive())
    assert isinstance(event, TicketArchived) and event.exemption is None
    assert story.state.status is S.archived


def test_archive_without_callback_or_exemption_is_refused() -> None:
    with pytest.raises(CommandRefused, match="completed callback or an allowed exemption"):
        Story().to(S.resolved).do(archive())


@pytest.mark.parametrize(
    ("kind", "exemption", "attempts", "ok"),
    [
        (TicketKind.fault, X.customer_declined, 0, True),
        (TicketKind.fault, X.customer_unreachable, 2, False),
        (TicketKind.fault, X.customer_unreachable, 3, True),
        (TicketKind.fault, X.kind_without_callback, 0, False),  # TT-8.14 covers faults
        (TicketKind.install, X.kind_without_callback, 0, False),
        (TicketKind.complaint, X.kind_without_callback, 0, False),
        (TicketKind.inquiry, X.kind_without_callback, 0, True),
        (TicketKind.suggestion, X.kind_without_callback, 0, True),
        (TicketKind.business, X.kind_without_callback, 0, True),
        (TicketKind.fault, X.first_contact_resolution, 0, False),
    ],
)
def test_archive_exemptions_from_resolved(kind: TicketKind, exemption: X, attempts: int, ok: bool) -> None:
    story = unreached(Story(kind).to(S.resolved), attempts)
    if ok:
        (event,) = story.do(archive(exemption))
        assert event.exemption is exemption and story.state.status is S.archived
    else:
        with pytest.raises(CommandRefused):
            story.do(archive(exemption))


def test_first_contact_resolution_closes_without_dispatch() -> None:
    story = Story()
    story.record(ResolvedAtFirstContact(ticket_id=story.state.ticket_id, **who(), solution="指导客户重启光猫"))
    assert story.state.status is S.closed and story.state.first_contact and story.state.department is None
    with pytest.raises(CommandRefused, match="first-contact-resolution"):
        story.do(archive(X.customer_declined))
    with pytest.raises(CommandRefused, match="completed callback"):
        story.do(archive())
    (event,) = story.do(archive(X.first_contact_resolution))
    assert event.exemption is X.first_contact_resolution


def test_corrective_action_record_is_for_complaints_once_per_round() -> None:
    capa = c.FileCorrectiveAction(**who(), corrective="约谈装维人员", preventive="每周抽查")
    with pytest.raises(CommandRefused, match="NJ-4.2.2"):
        Story(TicketKind.fault).to(S.dispatched).do(capa)
    story = Story(TicketKind.complaint).to(S.resolved)
    story.do(capa)
    with pytest.raises(CommandRefused, match="already filed for round 1"):
        story.do(capa)
    story.do(DISSATISFIED)
    (event,) = story.do(capa)
    assert event.round == 2 and story.state.corrective_action_rounds == frozenset({1, 2})


def test_first_contact_complaint_has_no_department_for_capa() -> None:
    story = Story(TicketKind.complaint)
    story.record(ResolvedAtFirstContact(ticket_id=story.state.ticket_id, **who(), solution="解释资费"))
    with pytest.raises(CommandRefused, match="no responsible department"):
        story.do(c.FileCorrectiveAction(**who(), corrective="a", preventive="b"))


@pytest.mark.parametrize("level", list(EscalationLevel))
def test_escalation_complaints_count_per_ticket_even_after_archive(level: EscalationLevel) -> None:
    story = Story().to(S.archived)
    first = story.do(c.RecordEscalationComplaint(**who(), level=level, description="越级投诉"))
    second = story.do(
        c.RecordEscalationComplaint(**who(), level=level, description="再次投诉", reference="12315-9")
    )
    assert isinstance(first[0], EscalationComplaintReceived)
    assert (first[0].nth, second[0].nth) == (1, 2)  # RULEBOOK §9.7: a further one doubles
    assert second[0].reference == "12315-9" and story.state.escalation_complaints == 2


def test_churn_is_recorded_once() -> None:
    story = Story().to(S.resolved)
    story.do(c.RecordChurn(**who(), reason="转网"))
    assert story.state.churned
    with pytest.raises(CommandRefused, match="already recorded"):
        story.do(c.RecordChurn(**who()))


def test_ticket_links_to_one_incident() -> None:
    story = Story()
    incident = uuid.uuid4()
    story.do(c.LinkToIncident(**who(), incident_id=incident))
    assert story.state.incident_id == incident
    with pytest.raises(CommandRefused, match="already linked"):
        story.do(c.LinkToIncident(**who(), incident_id=uuid.uuid4()))


def test_call_recordings_attach_once_each() -> None:
    story = Story()
    story.do(c.AttachCallRecording(**who(), recording_ref="rec-1"))  # CT-3.3.1
    story.do(c.AttachCallRecording(**who(), recording_ref="rec-2"))
    assert story.state.recordings == ("rec-1", "rec-2")
    with pytest.raises(CommandRefused, match="already attached"):
        story.do(c.AttachCallRecording(**who(), recording_ref="rec-1"))


def test_duplicate_reports_intake_links_are_counted_on_the_ticket() -> None:
    story = Story().to(S.accepted)
    story.record(DuplicateReportLinked(ticket_id=story.state.ticket_id, **who(), channel="web",
                                       caller_phone="13812345678"))
    assert story.state.duplicate_reports == 1 and story.state.status is S.accepted  # GX-5.3.1
