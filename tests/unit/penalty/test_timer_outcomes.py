"""The timer outcomes the scorecards count (services/penalty/domain/timers.py), folded from SLA events in order: the
same fold a run of events goes through at once (issue 13) and one event at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from services.penalty.domain import timers as dt

TID = uuid.uuid4()
DEADLINE = datetime(2032, 7, 10, 2, 0, tzinfo=UTC)
H = timedelta(hours=1)


def said(event_type: str, event_id: str, actual: datetime | None = None, person: str = "p1") -> dt.TimerRow:
    payload = SimpleNamespace(ticket_id=TID, round=1, rule_id="CS-complete-24h", department="d1", person=person,
                              deadline=DEADLINE, **({} if event_type == "SlaBreached" and actual is None
                                                    else {"actual": actual}))
    return dt.outcome_of(event_type, event_id, "CS-complete", payload)


def fold(*events: tuple[str, str, datetime | None]) -> dt.TimerRow | None:
    row = None
    for event_type, event_id, actual in events:
        row = dt.timer_after(row, event_type, said(event_type, event_id, actual))
    return row


def test_a_met_timer_is_met_with_its_stop_time() -> None:
    row = fold(("SlaMet", "m", DEADLINE - H))
    assert (row["outcome"], row["actual"], row["event_ids"]) == ("met", DEADLINE - H, ["m"])
    assert (row["ticket_id"], row["family"], row["round"], row["rule_id"]) == (TID, "CS-complete", 1, "CS-complete-24h")


def test_a_breach_still_open_is_late_and_its_close_keeps_it_late_with_the_stop_time() -> None:
    open_ = fold(("SlaBreached", "b", None))
    assert (open_["outcome"], open_["actual"], open_["event_ids"]) == ("late", None, ["b"])
    closed = fold(("SlaBreached", "b", None), ("SlaBreachClosed", "c", DEADLINE + 5 * H))
    assert (closed["outcome"], closed["actual"], closed["event_ids"]) == ("late", DEADLINE + 5 * H, ["b", "c"])


def test_a_retraction_makes_the_breach_met_again() -> None:
    row = fold(("SlaBreached", "b", None), ("SlaBreachRetracted", "r", DEADLINE - H))
    assert (row["outcome"], row["actual"], row["event_ids"]) == ("met", DEADLINE - H, ["b", "r"])


def test_a_breach_after_its_retraction_leaves_the_timer_met_and_unchanged() -> None:
    retracted = fold(("SlaBreached", "b", None), ("SlaBreachRetracted", "r", DEADLINE - H))
    again = dt.timer_after(retracted, "SlaBreached", said("SlaBreached", "b2", None))
    assert again == retracted
    first = fold(("SlaBreachRetracted", "r", DEADLINE - H), ("SlaBreached", "b", None))  # retraction seen first
    assert (first["outcome"], first["event_ids"]) == ("met", ["r"])


def test_a_second_breach_of_a_late_timer_only_adds_its_event() -> None:
    late = fold(("SlaBreached", "b", None))
    row = dt.timer_after(late, "SlaBreached", said("SlaBreached", "b2", None, person="someone-else"))
    assert (row["outcome"], row["person"], row["event_ids"]) == ("late", "p1", ["b", "b2"])


def test_the_last_outcome_names_who_and_which_rule_ended_the_timer() -> None:
    row = fold(("SlaBreached", "b", None))
    row = dt.timer_after(row, "SlaBreachClosed", said("SlaBreachClosed", "c", DEADLINE + H, person="p2"))
    assert (row["person"], row["outcome"]) == ("p2", "late")
