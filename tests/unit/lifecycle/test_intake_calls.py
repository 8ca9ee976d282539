"""Telephony intake (POST /calls): a handled call's checks, each naming its field and rule, whether a repeat is the
same call, and the call's stream id (RULEBOOK §5.3: calls per agent-month)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.domain.calls import ReportCall, call_problems, differences
from shared.events.calls import CALL_STREAMS, call_stream
from shared.identity import Role
from shared.policy.schema import FieldTimePolicy

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
LIMITS = FieldTimePolicy(max_backdate={"ivr": timedelta(minutes=15), "admin": timedelta(days=3650)})
MIN = timedelta(minutes=1)


def call(**changes: Any) -> ReportCall:
    body = {"call_id": "acd-1", "agent": "agent-07", "started_at": (NOW - 6 * MIN).isoformat(),
            "ended_at": (NOW - MIN).isoformat()} | changes
    return ReportCall.model_validate(body)


def problems(cmd: ReportCall, role: Role = Role.IVR) -> dict[str, str]:
    found = call_problems(cmd, NOW, role, LIMITS)
    assert all(p["in"] == "body" and p["message"] for p in found)
    return {p["field"]: p["rule"] for p in found}


def test_a_call_that_ended_a_moment_ago_is_fine() -> None:
    assert problems(call()) == {}
    assert problems(call(ticket_number="2026-KF-000123")) == {}


def test_times_in_the_wrong_order_too_long_or_in_the_future_name_ended_at() -> None:
    assert problems(call(started_at=(NOW - MIN).isoformat(), ended_at=(NOW - 2 * MIN).isoformat())) == {
        "ended_at": "call_times"}
    assert problems(call(started_at=(NOW - timedelta(hours=24, minutes=2)).isoformat())) == {
        "ended_at": "call_duration"}
    assert problems(call(started_at=(NOW - timedelta(hours=24, minutes=1)).isoformat())) == {}  # exactly 24 h
    assert problems(call(ended_at=(NOW + MIN).isoformat())) == {"ended_at": "field-time"}


def test_the_ivr_reports_a_call_at_most_its_backdate_limit_after_it_ended() -> None:
    in_time = call(started_at=(NOW - 20 * MIN).isoformat(), ended_at=(NOW - 15 * MIN).isoformat())
    assert problems(in_time) == {}  # exactly the limit is in time (RULEBOOK §9.1)
    late = call(started_at=(NOW - 20 * MIN).isoformat(), ended_at=(NOW - 16 * MIN).isoformat())
    assert problems(late) == {"ended_at": "field-time"}
    [p] = call_problems(late, NOW, Role.IVR, LIMITS)
    assert "role ivr may report a call at most 0:15:00 after it ended" in p["message"]
    assert problems(late, Role.ADMIN) == {}  # a migration from the old ACD


def test_a_ticket_number_must_be_canonical() -> None:
    assert problems(call(ticket_number="2026-KF-123")) == {"ticket_number": "NJ-numbering"}
    assert problems(call(ticket_number="ticket 9")) == {"ticket_number": "NJ-numbering"}


def test_every_problem_is_listed_at_once() -> None:
    bad = call(ended_at=(NOW + MIN).isoformat(), ticket_number="nope")
    assert problems(bad) == {"ended_at": "field-time", "ticket_number": "NJ-numbering"}


@pytest.mark.parametrize(("changes", "field", "rule"), [
    ({"call_id": ""}, "call_id", "string_too_short"),
    ({"call_id": "x" * 201}, "call_id", "string_too_long"),
    ({"agent": "agent\u000007"}, "agent", "control_characters"),
    ({"started_at": "2026-03-02T08:55:00"}, "started_at", "timezone_aware"),  # no offset
    ({"ended_at": 1772412000}, "ended_at", "strict_type"),  # Unix seconds are not read as a time
    ({"ended_at": "1999-12-31T23:59:59+08:00"}, "ended_at", "datetime_range"),
    ({"duration": 300}, "duration", "extra_forbidden"),
])
def test_malformed_fields_are_refused_by_the_model_naming_the_field(changes: dict, field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(**changes)
    assert {(str(e["loc"][0]), e["type"]) for e in info.value.errors()} == {(field, rule)}


def test_a_repost_of_the_same_call_differs_in_nothing_another_call_under_its_id_does() -> None:
    cmd = call(ticket_number="2026-KF-000123")
    recorded = {"agent": "agent-07", "started_at": (NOW - 6 * MIN), "ended_at": NOW - MIN,
                "ticket_number": "2026-KF-000123"}
    assert differences(recorded, cmd) == []
    same_instant = call(ticket_number="2026-KF-000123",
                        ended_at=(NOW - MIN).astimezone(timezone(timedelta(hours=8))).isoformat())
    assert differences(recorded, same_instant) == []  # the same instant written in local time
    assert differences(recorded, call(agent="agent-08")) == ["agent", "ticket_number"]


def test_a_call_has_one_stream_whatever_it_concerns() -> None:
    assert call_stream("acd-1") == call_stream("acd-1") == uuid.uuid5(CALL_STREAMS, "acd-1")
    assert call_stream("acd-1") != call_stream("acd-2")
