"""Snapshots (issue 13): restoring a snapshot of a prefix and folding the rest gives the state of folding it all."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.dispatch.domain import commands as c
from services.dispatch.domain import snapshot
from services.dispatch.domain.decide import CommandRefused
from services.dispatch.domain.state import Appointment, Status, TicketState
from services.dispatch.domain.ticket import evolve, fold
from services.dispatch.domain.work_items import ItemState, Series
from services.dispatch.domain.work_items import evolve as evolve_item
from shared.events import lifecycle
from shared.events.lifecycle.work_items import NetworkFaultLinked
from shared.events.vocabulary import AreaType, Channel, PauseReason, Role, Segment, TicketKind
from tests.unit.lifecycle.story import (
    ACCEPT,
    ARCHIVE,
    ARRIVE,
    BOOK,
    CONTACT,
    DECIDE,
    DISPATCH,
    DISSATISFIED,
    FULL_REPLY,
    PATH,
    PAUSE,
    SATISFIED,
    T0,
    Story,
    who,
)


@dataclass(frozen=True)
class Rec:
    payload: Any
    occurred_at: datetime


def through_json(state: TicketState) -> TicketState:
    """Dump, write as JSON text (as the JSONB column does), read back, restore."""
    restored = snapshot.restore(json.loads(json.dumps(snapshot.dump(state))))
    assert restored is not None
    return restored


def assert_every_split_folds_the_same(story: Story) -> None:
    events = [Rec(p, at) for p, at in story.events]
    whole = fold(events)
    assert whole == story.state
    for k in range(1, len(events) + 1):
        state = through_json(fold(events[:k]))
        for event in events[k:]:
            state = evolve(state, event.payload, event.occurred_at)
        assert state == whole, f"split after event {k} of {len(events)}"


def facts(story: Story) -> Story:
    """Facts intake records on the ticket: a repeat report, a call recording, an outage link."""
    tid = story.state.ticket_id
    story.record(lifecycle.DuplicateReportLinked(ticket_id=tid, actor="ivr-1", role=Role.ivr, channel=Channel.hotline))
    story.record(lifecycle.CallRecordingAttached(ticket_id=tid, actor="ivr-1", role=Role.ivr, recording_ref="rec-1"))
    story.record(lifecycle.TicketLinkedToIncident(ticket_id=tid, actor="noc", role=Role.dispatcher,
                                                  incident_id=uuid.uuid4()))
    return story


@pytest.mark.parametrize("status", list(PATH), ids=lambda s: s.value)
def test_a_snapshot_at_any_point_then_the_rest_folds_to_the_same_state(status: Status) -> None:
    assert_every_split_folds_the_same(facts(Story()).to(status))


def test_every_field_kind_survives_a_snapshot() -> None:
    state = Story(TicketKind.complaint).to(Status.paused).state
    state = replace(state, segment=Segment.vip, area_type=AreaType.rural, pause_reason=PauseReason.customer_not_home,
                    appointment=Appointment(T0, T0 + timedelta(hours=2)), due_at=T0 + timedelta(days=1),
                    corrective_action_rounds=frozenset({2, 1}), escalations_handled=frozenset({1}),
                    recordings=("a", "b"), incident_id=uuid.uuid4(), visited_window=Appointment(T0, T0))
    restored = through_json(state)
    assert restored == state
    for f in fields(TicketState):  # same types, not merely equal values (a str is equal to a str enum)
        assert type(getattr(restored, f.name)) is type(getattr(state, f.name)), f.name


def test_a_snapshot_of_another_shape_is_not_used() -> None:
    state = Story().to(Status.dispatched).state
    stale = snapshot.dump(state) | {"shape": "0:old"}
    assert snapshot.restore(stale) is None
    assert snapshot.restore(None) is None


def test_work_item_states_survive_a_snapshot() -> None:
    snaps = snapshot.Snapshots(ItemState)
    state = ItemState(item_id=uuid.uuid4(), series=Series.network_fault, number="2026-NF-000001",
                      opened={"layer": "core", "severity": "major"}, version=1, last_event_at=T0)
    linked = NetworkFaultLinked(fault_id=state.item_id, actor="d", role=Role.dispatcher,
                                incident_id=uuid.uuid4(), ticket_ids=(uuid.uuid4(), uuid.uuid4()))
    state = evolve_item(state, "NetworkFaultLinked", linked, T0 + timedelta(minutes=3))
    assert snaps.restore(json.loads(json.dumps(snaps.dump(state)))) == state


# Property: any walk through the commands (refusals skipped) and intake facts snapshots consistently.
POOL: list[c.Command | str] = [
    DISPATCH, ACCEPT, CONTACT, BOOK, ARRIVE, FULL_REPLY, SATISFIED, DISSATISFIED, PAUSE, DECIDE, ARCHIVE,
    c.ResumeTicket(**who(Role.technician, "tech-1")),
    c.RedispatchTicket(**who(Role.dispatcher, "disp-1"), department="D2", reason="wrong-department"),
    c.RecordMissedAppointment(**who(Role.technician, "tech-1"), cause="customer"),
    c.ReclassifyTicket(**who(), reason="r", segment=Segment.vip, area_type=AreaType.rural),
    c.ReportDelay(**who(Role.handler, "d1-lead"), supervising_department="D9", reason="等待备件"),
    c.RecordCallback(**who(Role.agent, "cb-1"), reached=False),
    c.FileCorrectiveAction(**who(Role.handler, "d1-lead"), corrective="c", preventive="p"),
    c.RecordEscalationComplaint(**who(), level="city-12315", description="投诉"),
    c.RecordChurn(**who()),
    c.AttachCallRecording(**who(), recording_ref="rec-9"),
    "duplicate-report",
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(PATH)), st.lists(st.integers(0, len(POOL) - 1), max_size=30),
       st.sampled_from([TicketKind.fault, TicketKind.complaint]))
def test_any_story_folds_the_same_from_any_snapshot(start: Status, moves: list[int], kind: TicketKind) -> None:
    story = Story(kind).to(start)  # from every status of the RULEBOOK §3 path, then a random walk
    for move in moves:
        command = POOL[move]
        if isinstance(command, str):
            story.record(lifecycle.DuplicateReportLinked(ticket_id=story.state.ticket_id, actor="ivr-1",
                                                         role=Role.ivr, channel=Channel.hotline))
            continue
        try:
            story.do(command)
        except CommandRefused:
            pass
    assert_every_split_folds_the_same(story)
