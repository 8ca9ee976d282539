"""After the reply: callback, reopen, escalation, archive, escalation complaints, churn."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from shared.events.lifecycle.base import HumanAct
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import CallbackExemption, CallbackQuestion, EscalationLevel, Role


@REGISTRY.register("CallbackDone", 1, TOPICS.tickets)
class CallbackDone(HumanAct):
    """回访: TT-8.13 answers (None = not asked); `missing` lists unasked questions (RULEBOOK §9.6)."""

    round: int = Field(ge=1)
    reached: bool
    work_done: bool | None = None
    done_at: AwareDatetime | None = None
    feedback_form_signed: bool | None = None
    satisfied: bool | None = None
    delay_reason_verified: bool | None = None
    satisfaction_score: int | None = Field(None, ge=1, le=5)
    missing: tuple[CallbackQuestion, ...] = ()
    note: str | None = None


@REGISTRY.register("TicketReopened", 1, TOPICS.tickets)
class TicketReopened(HumanAct):
    """NJ-4.2.3 / GX-5.1.5: dissatisfied at callback, same ticket back to the handler."""

    round: int = Field(ge=2, description="The new round")
    department: str | None
    technician: str | None = None
    reason: str


@REGISTRY.register("TicketEscalated", 1, TOPICS.tickets)
class TicketEscalated(HumanAct):
    """NJ-4.2.3 / GX-5.1.5: dissatisfied again, escalated to the deputy GM in charge (分管领导)."""

    round: int = Field(ge=1)
    to_role: Role = Role.deputy_gm
    reason: str


@REGISTRY.register("EscalationDecided", 1, TOPICS.tickets)
class EscalationDecided(HumanAct):
    """The deputy GM's instruction: the final answer; closes the ticket."""

    decision: str


@REGISTRY.register("TicketArchived", 1, TOPICS.tickets)
class TicketArchived(HumanAct):
    """消记归档: final close after a callback or an allowed exemption."""

    exemption: CallbackExemption | None = None
    note: str | None = None


@REGISTRY.register("EscalationComplaintReceived", 1, TOPICS.tickets)
class EscalationComplaintReceived(HumanAct):
    """TT-9bis: the customer went over our heads; `nth` counts them on this ticket (§9.7 doubling)."""

    level: EscalationLevel
    nth: int = Field(ge=1)
    conduct_violation: bool = Field(False, description="Quarrel, extortion, illegal charge or threat")
    reference: str | None = None
    description: str
    responsible_department: str | None = Field(
        None, description="Who pays (RULEBOOK §9.3): named, else the department the ticket was dispatched to")


@REGISTRY.register("EscalationComplaintHandled", 1, TOPICS.tickets)
class EscalationComplaintHandled(HumanAct):
    """The escalation complaint was answered (stop of TT-escalation-24h; TT-9bis.14: +200 when late)."""

    nth: int = Field(ge=1, description="Which escalation complaint of the ticket")
    answer: str


@REGISTRY.register("CustomerChurned", 1, TOPICS.tickets)
class CustomerChurned(HumanAct):
    """离网: the customer left (TT-9bis VIP/group doubling when the complaint caused it)."""

    reason: str | None = None
    caused_by_complaint: bool = Field(False, description="The complaint on this ticket made the customer leave")
