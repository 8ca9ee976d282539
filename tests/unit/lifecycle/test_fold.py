"""Folding events to state, and the lifecycle payload catalogue (registered, frozen, round-trips)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.dispatch.domain.state import Status
from services.dispatch.domain.ticket import evolve, fold
from shared.events import REGISTRY, decode, encode, lifecycle, new_envelope
from shared.events.topics import TOPICS
from shared.events.vocabulary import RedispatchReason, Segment, TicketKind
from tests.unit.lifecycle.story import T0, Story, created

LIFECYCLE_EVENTS = [
    "TicketDispatched",
    "TicketRedispatched",
    "TicketAccepted",
    "ContactEstablished",
    "AppointmentBooked",
    "AppointmentRebooked",
    "AppointmentMissed",
    "ArrivedOnSite",
    "TicketReclassified",
    "TicketPaused",
    "TicketResumed",
    "DelayReported",
    "Resolved",
    "ReplyIncomplete",
    "CorrectiveActionFiled",
    "CallbackDone",
    "TicketReopened",
    "TicketEscalated",
    "EscalationDecided",
    "TicketArchived",
    "EscalationComplaintReceived",
    "CustomerChurned",
    "OutageDeclared",
    "OutageRestored",
    "TicketLinkedToIncident",
    "DuplicateReportLinked",
    "ResolvedAtFirstContact",
    "CallRecordingAttached",
]


@dataclass(frozen=True)
class Rec:
    payload: Any
    occurred_at: datetime


@pytest.mark.parametrize("name", LIFECYCLE_EVENTS)
def test_every_lifecycle_event_is_registered_on_tickets_v1(name: str) -> None:
    spec = REGISTRY.lookup(name, 1)
    assert spec.topic == TOPICS.tickets
    assert spec.model is getattr(lifecycle, name)
    assert spec.model.model_config.get("frozen") is True


def test_fold_replays_what_decide_produced() -> None:
    story = Story().to(Status.archived)
    replayed = fold(Rec(p, at) for p, at in story.events)
    assert replayed == story.state
    assert replayed.version == len(story.events)
    assert replayed.callbacks_reached == 1 and replayed.round == 1


def test_fold_accepts_envelopes_and_survives_the_wire() -> None:
    story = Story().to(Status.escalated)
    envelopes = [
        new_envelope(
            p, ticket_id=story.state.ticket_id, sequence=i, occurred_at=at, recorded_at=at, producer="t"
        )
        for i, (p, at) in enumerate(story.events, start=1)
    ]
    decoded = [decode(encode(e)) for e in envelopes]
    assert fold(decoded) == story.state


def test_fold_needs_ticket_created_first_and_only_once() -> None:
    with pytest.raises(ValueError, match="at least its TicketCreated"):
        fold([])
    dispatched = lifecycle.TicketDispatched(
        ticket_id=uuid.uuid4(), actor="a", role="dispatcher", department="D"
    )
    with pytest.raises(ValueError, match="starts with TicketCreated"):
        fold([Rec(dispatched, T0)])
    first = created()
    with pytest.raises(ValueError, match="already created"):
        fold([Rec(first, T0), Rec(first, T0)])


def test_events_that_do_not_touch_the_ticket_only_bump_version() -> None:
    state = evolve(None, created(), T0)
    outage = lifecycle.OutageDeclared(
        incident_id=uuid.uuid4(),
        actor="noc",
        role="system",
        area="江汉区",
        cause="光缆中断",
        planned=False,
        notice_at=T0,
        starts_at=T0,
        estimated_restore_at=T0 + timedelta(hours=4),
    )
    after = evolve(state, outage, T0 + timedelta(minutes=1))
    assert after.version == 2 and after.status is Status.received
    assert after.last_event_at == T0 + timedelta(minutes=1)


def test_created_state_reads_the_customer_and_kind() -> None:
    state = evolve(None, created(TicketKind.complaint), T0)
    assert (state.kind, state.status, state.round) == (TicketKind.complaint, Status.received, 1)
    assert state.account == "WH-0001" and state.created_at == T0 == state.last_event_at


def test_payloads_are_frozen_and_closed_vocabularies_are_checked() -> None:
    event = lifecycle.TicketAccepted(ticket_id=uuid.uuid4(), actor="a", role="handler", department="D1")
    with pytest.raises(ValidationError):
        event.department = "D2"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        lifecycle.TicketReclassified(
            ticket_id=uuid.uuid4(),
            actor="a",
            role="agent",
            reason="r",
            before={},
            after={"segment": "platinum"},
        )
    ok = lifecycle.Classification(segment="railway-private-network")
    assert ok.segment is Segment.railway_private_network


def test_wrong_dispatch_reasons_are_tt_8_10() -> None:
    wrong = {r for r in RedispatchReason if r.wrong_dispatch}
    assert wrong == {
        RedispatchReason.wrong_department,
        RedispatchReason.wrong_fault_info,
        RedispatchReason.wrong_customer_data,
    }
