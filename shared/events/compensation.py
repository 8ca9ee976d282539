"""Customer compensation events published by the compensation service on gongdan.compensation (issue 11)."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS


class ClaimEvent(Payload):
    """Which claim: one ticket's one promise under one scheme."""

    ticket_id: uuid.UUID
    claim_id: uuid.UUID
    scheme: str
    promise: str
    clause: str
    amount: int = Field(ge=0, description="In the scheme's minor unit (fen, pence)")
    currency: str
    unit: str


@REGISTRY.register("CompensationDue", 1, TOPICS.compensation)
class CompensationDue(ClaimEvent):
    """A promise was broken and its ticket completed: the amount is payable, by `payment_due_at` (CT-3.4)."""

    payment_due_at: AwareDatetime | None
    arithmetic: str


@REGISTRY.register("CompensationVoided", 1, TOPICS.compensation)
class CompensationVoided(ClaimEvent):
    """A payable claim is no longer payable: an exemption recorded after it (CT-3.2), or the promise vanished."""

    reason: str
    exemption_code: str | None = None


@REGISTRY.register("CompensationPaid", 1, TOPICS.compensation)
class CompensationPaid(ClaimEvent):
    """Finance marked the payout line paid: the account top-up reference (CT-3.4 / CT-4.6)."""

    batch_id: uuid.UUID
    top_up_ref: str


@REGISTRY.register("CompensationPaymentMissed", 1, TOPICS.compensation)
class CompensationPaymentMissed(ClaimEvent):
    """The payment limit (CT-3.4: 7 natural days of completion) passed with the claim payable and unpaid."""

    payment_due_at: AwareDatetime
    detected_at: AwareDatetime
