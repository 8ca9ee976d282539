"""What the ledger publishes on gongdan.penalties (issue 10): a ledger row or a person's act -> its event payload.

Pure: the service layer hands in the row as written (or the entry after the act) and puts the payload in the
outbox in the same transaction (service_layer/publish.py). Which event a row makes follows its kind:
assessment / adjustment / churn -> PenaltyAssessed, reversal -> PenaltyReversed, refund -> PenaltyRefunded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from shared.events.payload import Payload
from shared.events.penalties import (
    PENALTY_EVENT_IDS,
    PenaltyAppealDecided,
    PenaltyAppealFiled,
    PenaltyAssessed,
    PenaltyRefunded,
    PenaltyReversed,
    PenaltyReviewed,
)

Entry = Mapping[str, Any]  # a penalty_entries row


def stream_of(entry: Entry) -> uuid.UUID:
    """The ticket; an entry without one is its own stream, and its refund stays on the stream of the entry it
    refunds (one partition for an entry's whole story)."""
    return entry["ticket_id"] or entry["reverses"] or entry["id"]


def event_id(event_type: str, subject: uuid.UUID) -> uuid.UUID:
    """The same act on the same entry (or appeal) always has the same event id."""
    return uuid.uuid5(PENALTY_EVENT_IDS, f"{event_type}:{subject}")


def _entry(entry: Entry) -> dict[str, Any]:
    return {"entry_id": entry["id"], "ticket_id": entry["ticket_id"], "clause": entry["clause"],
            "group": entry["grp"], "payer_kind": entry["payer_kind"], "payer_id": entry["payer_id"],
            "person": entry["person"], "amount_fen": int(entry["amount_fen"]), "month": entry["month"],
            "status": entry["status"]}


def _caused(entry: Entry) -> dict[str, Any]:
    return {**_entry(entry), "cause": entry["cause"], "cause_at": entry["cause_at"],
            "cause_event_ids": [uuid.UUID(e["event_id"]) for e in entry["evidence"]],
            "computation": entry["computation"], "numbers": entry["numbers"]}


def written(row: Entry) -> Payload:
    """The event of a ledger row just written."""
    if row["kind"] == "reversal":
        return PenaltyReversed(**_caused(row), reverses=row["reverses"])
    if row["kind"] == "refund":
        return PenaltyRefunded(**_caused(row), refunds=row["reverses"], appeal_id=uuid.UUID(row["cause"].split(":")[1]))
    return PenaltyAssessed(**_caused(row), kind=row["kind"], source=row["source"],
                           adds_to=row["reverses"] if row["kind"] == "churn" else None,
                           note=row.get("note"), attachment=row.get("attachment"))


def reviewed(entry: Entry, action: str, reason: str | None, by: str) -> PenaltyReviewed:
    """TT-12; `entry` as it is after the review."""
    return PenaltyReviewed(**_entry(entry), action=action, original_fen=entry["original_fen"], reason=reason,
                           reviewed_by=by)


def appeal_filed(entry: Entry, appeal_id: uuid.UUID, grounds: str, by: str) -> PenaltyAppealFiled:
    return PenaltyAppealFiled(**_entry(entry), appeal_id=appeal_id, grounds=grounds, filed_by=by)


def appeal_decided(entry: Entry, appeal_id: uuid.UUID, outcome: str, steps: list[dict[str, Any]],
                   refund: Entry | None) -> PenaltyAppealDecided:
    """NJ-4.3.6: `steps` as recorded (the last one decided); `refund` the refund row when approved."""
    last = steps[-1]
    return PenaltyAppealDecided(**_entry(entry), appeal_id=appeal_id, outcome=outcome, decided_step=last["step"],
                                decided_by=last["by"], decided_role=last["role"], steps=[s["step"] for s in steps],
                                refund_entry_id=refund["id"] if refund else None,
                                refund_fen=int(refund["amount_fen"]) if refund else None)
