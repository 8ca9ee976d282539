"""What the 考核 ledger publishes on gongdan.penalties (issue 10): each ledger row and act -> its typed event, keyed
by ticket (or by the entry without one), with an id that is the same whenever the same act is published."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.penalty.domain import ledger_events as le
from shared.events import REGISTRY, decode, encode, new_envelope
from shared.events.penalties import (
    PenaltyAppealDecided,
    PenaltyAssessed,
    PenaltyRefunded,
    PenaltyReversed,
    PenaltyReviewed,
)
from shared.events.topics import TOPICS

AT = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
TICKET = uuid.UUID("00000000-0000-4000-8000-000000000001")
BREACH = uuid.UUID("00000000-0000-4000-8000-0000000000b1")


def row(**over: Any) -> dict[str, Any]:
    base = {"id": uuid.uuid4(), "kind": "assessment", "clause": "TT-9.12", "grp": None, "cause": f"breach:{BREACH}",
            "ticket_id": TICKET, "payer_kind": "department", "payer_id": "jianghan-maint", "person": "wang-wei",
            "amount_fen": 2400, "original_fen": None,
            "computation": "3 started hours × 800 fen = 2,400 fen; 2 h 10 min late after 45 min customer pause",
            "numbers": {"unit": "hour", "units": 3, "rate_fen": 800}, "evidence": [{"event_id": str(BREACH)}],
            "cause_at": AT, "month": "2026-05", "status": "proposed", "reverses": None, "source": "event",
            "note": None, "attachment": None}
    return base | over


def test_an_assessment_row_is_published_as_penalty_assessed_with_its_cause_and_arithmetic() -> None:
    r = row()
    event = le.written(r)
    assert isinstance(event, PenaltyAssessed)
    assert (event.entry_id, event.clause, event.payer_id, event.person, event.amount_fen, event.month) == (
        r["id"], "TT-9.12", "jianghan-maint", "wang-wei", 2400, "2026-05")
    assert event.cause_event_ids == [BREACH] and event.computation.startswith("3 started hours × 800 fen")
    assert (event.kind, event.source, event.status, event.ticket_id) == ("assessment", "event", "proposed", TICKET)
    assert REGISTRY.spec_of(PenaltyAssessed).topic == TOPICS.penalties


def test_a_reversal_and_a_refund_are_negative_and_name_the_entry_they_undo() -> None:
    first = row()
    reversal = le.written(row(kind="reversal", amount_fen=-2400, reverses=first["id"]))
    assert isinstance(reversal, PenaltyReversed) and (reversal.amount_fen, reversal.reverses) == (-2400, first["id"])
    appeal = uuid.uuid4()
    refund = le.written(row(kind="refund", amount_fen=-2880, reverses=first["id"], cause=f"appeal:{appeal}",
                            evidence=[], source="manual", status="confirmed", month="2026-07"))
    assert isinstance(refund, PenaltyRefunded)  # NJ-4.3.6: 120% of 2,400 fen, the month after approval
    assert (refund.amount_fen, refund.refunds, refund.appeal_id, refund.month) == (-2880, first["id"], appeal,
                                                                                  "2026-07")


def test_a_churn_doubling_is_an_assessment_that_adds_to_the_complaint_item() -> None:
    first = row(clause="TT-9bis.12", grp="TT-9bis", amount_fen=30000)
    churn = le.written(row(clause="TT-9bis.12", grp="TT-9bis", kind="churn", amount_fen=30000, reverses=first["id"]))
    assert isinstance(churn, PenaltyAssessed) and (churn.kind, churn.adds_to, churn.group) == (
        "churn", first["id"], "TT-9bis")


def test_events_are_keyed_by_ticket_or_else_by_the_entry_and_its_refund_stays_on_that_stream() -> None:
    manual = row(ticket_id=None, cause="manual:x", evidence=[], source="manual")
    refund = row(ticket_id=None, kind="refund", reverses=manual["id"])
    assert le.stream_of(row()) == TICKET
    assert le.stream_of(manual) == manual["id"] == le.stream_of(refund)


def test_the_same_act_always_has_the_same_event_id() -> None:
    entry = uuid.uuid4()
    assert le.event_id("PenaltyAssessed", entry) == le.event_id("PenaltyAssessed", entry)
    assert le.event_id("PenaltyAssessed", entry) != le.event_id("PenaltyReviewed", entry)


def test_review_and_appeal_decision_carry_the_amounts_after_the_act() -> None:
    modified = row(status="modified", amount_fen=1500, original_fen=2400)
    reviewed = le.reviewed(modified, "modify", "部分属实", "ops-1")  # TT-12: the original kept
    assert isinstance(reviewed, PenaltyReviewed)
    assert (reviewed.action, reviewed.status, reviewed.amount_fen, reviewed.original_fen) == (
        "modify", "modified", 1500, 2400)
    steps = [{"step": s, "by": f"p-{s}", "role": r} for s, r in (
        ("comprehensive-review", "comprehensive"), ("customer-service-review", "supervisor"),
        ("deputy-gm-approval", "deputy-gm"), ("gm-approval", "gm"))]
    refund = row(kind="refund", amount_fen=-1800, reverses=modified["id"])
    appeal = uuid.uuid4()
    decided = le.appeal_decided(modified | {"status": "refunded"}, appeal, "approved", steps, refund)
    assert isinstance(decided, PenaltyAppealDecided)
    assert (decided.outcome, decided.status, decided.decided_step, decided.decided_role) == (
        "approved", "refunded", "gm-approval", "gm")
    assert (decided.refund_entry_id, decided.refund_fen, len(decided.steps)) == (refund["id"], -1800, 4)
    upheld = le.appeal_decided(modified | {"status": "upheld"}, appeal, "rejected", steps[:1], None)
    assert (upheld.outcome, upheld.refund_entry_id, upheld.refund_fen, upheld.steps) == (
        "rejected", None, None, ["comprehensive-review"])


def test_a_penalty_event_survives_the_wire() -> None:
    payload = le.written(row())
    env = new_envelope(payload, ticket_id=TICKET, sequence=1, occurred_at=AT, recorded_at=AT, producer="penalty")
    assert decode(encode(env)).payload == payload
