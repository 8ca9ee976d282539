"""Intake's view of a ticket's status (RULEBOOK §3), folded from dispatch's lifecycle events."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.intake.domain.status import FINISHED, TRACKED, follow, next_status

NONE = SimpleNamespace()


@pytest.mark.parametrize(("event", "status"), [
    ("TicketDispatched", "dispatched"),
    ("TicketRedispatched", "dispatched"),
    ("TicketAccepted", "accepted"),
    ("ContactEstablished", "contact-established"),
    ("AppointmentBooked", "appointment-booked"),
    ("AppointmentRebooked", "appointment-booked"),
    ("AppointmentMissed", "contact-established"),
    ("ArrivedOnSite", "on-site"),
    ("Resolved", "resolved"),
    ("TicketReopened", "reopened"),
    ("TicketEscalated", "escalated"),
    ("EscalationDecided", "closed"),
    ("TicketArchived", "archived"),
    ("ResolvedAtFirstContact", "closed"),
])
def test_each_moving_event_sets_its_status(event: str, status: str) -> None:
    assert event in TRACKED
    assert next_status("received", None, event, NONE) == (status, None)


def test_untracked_events_leave_the_status() -> None:
    assert "ReplyIncomplete" not in TRACKED
    assert next_status("resolved", None, "ReplyIncomplete", NONE) == ("resolved", None)


def test_pause_remembers_where_it_was_and_resume_returns_there() -> None:
    status, paused_from = next_status("on-site", None, "TicketPaused", NONE)
    assert (status, paused_from) == ("paused", "on-site")
    assert next_status(status, paused_from, "TicketResumed", NONE) == ("on-site", None)


def test_resume_without_a_known_pause_returns_to_dispatched() -> None:
    assert next_status("paused", None, "TicketResumed", NONE) == ("dispatched", None)


def test_events_during_a_pause_keep_where_it_was() -> None:
    assert next_status("paused", "accepted", "DelayReported", NONE) == ("paused", "accepted")


@pytest.mark.parametrize(("reached", "satisfied", "status"), [
    (True, True, "called-back"),
    (True, None, "called-back"),  # reached, satisfaction not asked
    (True, False, "resolved"),  # dissatisfied: TicketReopened follows (NJ-4.2.3)
    (False, None, "resolved"),  # not reached: still waiting for a callback
])
def test_callback(reached: bool, satisfied: bool | None, status: str) -> None:
    payload = SimpleNamespace(reached=reached, satisfied=satisfied)
    assert next_status("resolved", None, "CallbackDone", payload) == (status, None)


def test_finished_statuses() -> None:
    assert FINISHED == {"closed", "archived"}
    assert next_status("resolved", None, "TicketArchived", NONE)[0] in FINISHED


def test_follow_folds_each_tickets_events_in_order() -> None:
    """A consumed run, interleaved across tickets, ends where one event at a time would."""
    events = [("a", "TicketDispatched", NONE), ("b", "TicketAccepted", NONE), ("a", "TicketPaused", NONE),
              ("b", "Resolved", NONE), ("a", "TicketResumed", NONE), ("a", "ArrivedOnSite", NONE),
              ("b", "CallbackDone", SimpleNamespace(reached=True, satisfied=False))]
    assert follow({"a": ("received", None), "b": ("dispatched", None)}, events) == {
        "a": ("on-site", None), "b": ("resolved", None)}
    assert follow({"a": ("received", None)}, events[:3]) == {"a": ("paused", "dispatched")}


def test_follow_leaves_out_tickets_intake_never_logged() -> None:
    assert follow({"a": ("received", None)}, [("x", "TicketDispatched", NONE)]) == {"a": ("received", None)}
