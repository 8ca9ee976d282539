"""The 考核 ledger (RULEBOOK §5, issue 10) published by the penalty service on gongdan.penalties.

One event per ledger row written and per person's act on an entry, put in penalty's outbox in the transaction that
writes the row or the act, so a row is published exactly once: redelivery, a second instance or a restart finds the
row's key taken and writes (and publishes) nothing; a replay into an empty store publishes nothing (its events were
published when the live ledger was made; services/penalty/service_layer/replay.py).

Stream and key: the ticket the entry is about; an entry without a ticket (a manual assessment, RULEBOOK §5) is its
own stream (its entry id), and so are its review, appeal and refund. Event ids are uuid5 of the type and the entry
(or appeal) they are about: the same act never has two ids. Amounts are integer fen, signed as in the ledger: a
reversal or a refund is negative. A consumer's running total per entry is the sum of `amount_fen` over
PenaltyAssessed, PenaltyReversed and PenaltyRefunded, with a PenaltyReviewed replacing its entry's amount
(`modify`) or zeroing it (`cancel`).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS

#: Namespace of penalty event ids (uuid5 of "<type>:<entry or appeal id>").
PENALTY_EVENT_IDS = uuid.UUID("0b6f3c1e-2a7d-5e49-8f7a-70656e2d6576")

PayerKind = Literal["department", "department-head", "person", "direct-leader"]


class PenaltyEntryEvent(Payload):
    """Which ledger entry, charged to whom, for how much, in which assessment month."""

    entry_id: uuid.UUID
    ticket_id: uuid.UUID | None = Field(description="The ticket the entry is about; none for a manual entry without")
    clause: str = Field(description="Clause id of the policy, e.g. TT-9.12, NJ-4.3.2b (RULEBOOK §5)")
    group: str | None = Field(None, description="The clause group (TT-9bis: one item per complaint)")
    payer_kind: PayerKind = Field(description="RULEBOOK §9.3: who pays")
    payer_id: str | None = Field(description="The paying department (or person)")
    person: str | None = Field(description="The responsible person named on the entry")
    amount_fen: int = Field(description="Signed, integer fen: a reversal or a refund is negative")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="Assessment month, local (RULEBOOK §9.15)")
    status: str = Field(description="The entry's status after this event (proposed, confirmed, modified, …)")


class _Caused(PenaltyEntryEvent):
    cause: str = Field(description="What the entry rests on: breach:<SlaBreached id>, event:<act id>, manual:<id>, "
                       "appeal:<id>")
    cause_at: AwareDatetime = Field(description="When the cause happened: the deadline passed or the act")
    cause_event_ids: list[uuid.UUID] = Field(description="The events the entry rests on (none for manual entries)")
    computation: str = Field(description="The arithmetic in words and numbers")
    numbers: dict[str, Any] = Field(description="The numbers behind the computation")


@REGISTRY.register("PenaltyAssessed", 1, TOPICS.penalties)
class PenaltyAssessed(_Caused):
    """An entry charging a payer: a clause assessed from a breach or an act, the final hours or days of a breach
    that stopped late (`adjustment`), a TT-9bis item doubled after churn (`churn`), or a manual assessment."""

    kind: Literal["assessment", "adjustment", "churn"]
    source: Literal["event", "manual"]
    adds_to: uuid.UUID | None = Field(None, description="For `churn`: the entry this one doubles")
    note: str | None = Field(None, description="Manual entries: the evidence note")
    attachment: str | None = Field(None, description="Manual entries: the evidence document's reference")


@REGISTRY.register("PenaltyReversed", 1, TOPICS.penalties)
class PenaltyReversed(_Caused):
    """The cause went away (SlaBreachRetracted, a reclassification voiding the rule): the standing amount of the
    entries of that cause reversed by an entry of its own, nothing deleted (issue 10)."""

    reverses: uuid.UUID = Field(description="The (first) entry reversed")


@REGISTRY.register("PenaltyReviewed", 1, TOPICS.penalties)
class PenaltyReviewed(PenaltyEntryEvent):
    """TT-12: the review board confirmed, modified (the proposed amount kept as `original_fen`) or cancelled a
    proposed entry. `amount_fen` is the entry's amount after the review (cancelled: it no longer counts)."""

    action: Literal["confirm", "modify", "cancel"]
    original_fen: int | None = Field(description="The proposed amount, when modified")
    reason: str | None
    reviewed_by: str


@REGISTRY.register("PenaltyAppealFiled", 1, TOPICS.penalties)
class PenaltyAppealFiled(PenaltyEntryEvent):
    """NJ-4.3.6: the payer's department appealed a confirmed or modified entry (status `appealed`)."""

    appeal_id: uuid.UUID
    grounds: str
    filed_by: str


@REGISTRY.register("PenaltyAppealDecided", 1, TOPICS.penalties)
class PenaltyAppealDecided(PenaltyEntryEvent):
    """NJ-4.3.6: the appeal ended: rejected at a step (the entry `upheld`), or approved by the GM (the entry
    `refunded`; its PenaltyRefunded follows on the same stream)."""

    appeal_id: uuid.UUID
    outcome: Literal["approved", "rejected"]
    decided_step: str
    decided_by: str
    decided_role: str
    steps: list[str] = Field(description="The steps recorded, in order")
    refund_entry_id: uuid.UUID | None
    refund_fen: int | None = Field(description="Negative: what the refund entry pays back")


@REGISTRY.register("PenaltyRefunded", 1, TOPICS.penalties)
class PenaltyRefunded(_Caused):
    """NJ-4.3.6: the refund entry of an approved appeal, `refund_percent` (120%) of the penalty, negative, in the
    month after approval (RULEBOOK §9.10, §9.15)."""

    refunds: uuid.UUID = Field(description="The appealed entry")
    appeal_id: uuid.UUID
