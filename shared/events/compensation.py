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


class ExemptionEvent(Payload):
    """Which exemption (CT-3.2), on which ticket; the event's key is the ticket id."""

    ticket_id: uuid.UUID
    exemption_id: uuid.UUID
    code: str = Field(description="CT-3.2 reason code: customer-caused, rural, third-party, force-majeure")
    cause: str | None = Field(None, description="force majeure: typhoon, earthquake, flood, hail, rainstorm")
    promise: str | None = Field(None, description="install, repair, …; None: every promise of the ticket")
    rule_ids: list[str] = Field(default_factory=list,
                                description="the SLA rules (timers) of the exempted promise(s) under the policy; "
                                            "their families' breaches are 'late, exempt'")


@REGISTRY.register("CompensationExemptionRecorded", 1, TOPICS.compensation)
class CompensationExemptionRecorded(ExemptionEvent):
    """RULEBOOK §9.12: the ticket is exempt (CT-3.2). Its late promise is not paid; its SLA breach stays a fact,
    annotated `exempt`, reported as "late, exempt" and kept outside the on-time rate (a timer met in time stays
    met). Announced once when the exemption comes into force: recorded by a person (before or after the breach),
    or automatic (`rural`: a rural district that has not opted in, CT-2.5). Stands until a
    CompensationExemptionVoided of the same `exemption_id`."""

    note: str
    automatic: bool = False
    recorded_by: str | None = None
    recorded_at: AwareDatetime
    clause: str = "CT-3.2"


@REGISTRY.register("CompensationExemptionVoided", 1, TOPICS.compensation)
class CompensationExemptionVoided(ExemptionEvent):
    """The exemption no longer stands: the customer disputed it and no call recording supports it (CT-3.3.1), or
    an automatic one no longer applies (the district opted in). The breach counts as late again."""

    reason: str
    voided_at: AwareDatetime
    clause: str = "CT-3.3.1"
