"""Dispatch to resolution: who handles the ticket, field work, reply (RULEBOOK §3)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from shared.events.lifecycle.base import Classification, HumanAct
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import MissCause, PauseReason, RedispatchReason, ReplyPart, Requester


@REGISTRY.register("TicketDispatched", 1, TOPICS.tickets)
class TicketDispatched(HumanAct):
    """派单: assigned to a responsible department, optionally a technician."""

    department: str
    technician: str | None = None
    due_at: AwareDatetime | None = Field(None, description="Resolution deadline promised at dispatch")


@REGISTRY.register("TicketRedispatched", 1, TOPICS.tickets)
class TicketRedispatched(HumanAct):
    """Moved to another department/technician; `wrong_dispatch` marks TT-8.10."""

    department: str
    technician: str | None = None
    previous_department: str | None
    previous_technician: str | None
    previous_dispatched_by: str | None
    reason: RedispatchReason
    wrong_dispatch: bool
    note: str | None = None
    due_at: AwareDatetime | None = None


@REGISTRY.register("TicketAccepted", 1, TOPICS.tickets)
class TicketAccepted(HumanAct):
    """The responsible department took the ticket."""

    department: str
    technician: str | None = None


@REGISTRY.register("DispatchDeskNotified", 1, TOPICS.tickets)
class DispatchDeskNotified(HumanAct):
    """TT-8.7: the dispatch desk was told of a VIP or mass fault (stop of TT-vip-notify-20m)."""

    note: str | None = None


@REGISTRY.register("WorkCompleted", 1, TOPICS.tickets)
class WorkCompleted(HumanAct):
    """GX-5.1.4: the technician finished the work on site (start of GX-repair-feedback-1wd)."""

    technician: str | None = None
    note: str | None = None


@REGISTRY.register("ResultEntered", 1, TOPICS.tickets)
class ResultEntered(HumanAct):
    """GX-5.1.4 / GX-5.3.4: the work's result entered in the ticket system (stop of GX-repair-feedback-1wd)."""

    result: str


@REGISTRY.register("ContactEstablished", 1, TOPICS.tickets)
class ContactEstablished(HumanAct):
    """联系用户: the responsible party reached the customer (TT-9.2 stop event)."""

    note: str | None = None


@REGISTRY.register("AppointmentBooked", 1, TOPICS.tickets)
class AppointmentBooked(HumanAct):
    """预约: a visit window agreed with the customer."""

    window_start: AwareDatetime
    window_end: AwareDatetime


@REGISTRY.register("AppointmentRebooked", 1, TOPICS.tickets)
class AppointmentRebooked(HumanAct):
    """改约: a new window, with the customer's consent and who asked."""

    window_start: AwareDatetime
    window_end: AwareDatetime
    previous_start: AwareDatetime
    previous_end: AwareDatetime
    requested_by: Requester
    customer_consent: bool
    reason: str | None = None


@REGISTRY.register("AppointmentMissed", 1, TOPICS.tickets)
class AppointmentMissed(HumanAct):
    """失约: the booked window passed without a visit; `staff` cause is TT-9.11."""

    cause: MissCause
    window_start: AwareDatetime
    window_end: AwareDatetime
    note: str | None = None


@REGISTRY.register("ArrivedOnSite", 1, TOPICS.tickets)
class ArrivedOnSite(HumanAct):
    """The technician arrived; `within_window` is None when no appointment was booked."""

    technician: str | None = None
    within_window: bool | None = None


@REGISTRY.register("TicketReclassified", 1, TOPICS.tickets)
class TicketReclassified(HumanAct):
    """Kind, priority, segment, product or area changed; timers keep consumed time (RULEBOOK §4)."""

    before: Classification
    after: Classification
    reason: str


@REGISTRY.register("TicketPaused", 1, TOPICS.tickets)
class TicketPaused(HumanAct):
    """Waiting on the customer; timers that allow it stop counting (RULEBOOK §4)."""

    reason: PauseReason
    note: str | None = None


@REGISTRY.register("TicketResumed", 1, TOPICS.tickets)
class TicketResumed(HumanAct):
    """The customer-caused wait ended."""

    paused_seconds: int = Field(ge=0)


@REGISTRY.register("DelayReported", 1, TOPICS.tickets)
class DelayReported(HumanAct):
    """TT-9.3: the delay was reported to the supervising department."""

    supervising_department: str
    reason: str
    expected_completion: AwareDatetime | None = None


@REGISTRY.register("Resolved", 1, TOPICS.tickets)
class Resolved(HumanAct):
    """回单: the handler's reply; three-clears parts may be missing (see ReplyIncomplete)."""

    round: int = Field(ge=1)
    department: str | None
    completed_at: AwareDatetime | None = Field(None, description="Restore time (fault) or resolution time")
    cause: str | None = None
    result: str | None = None
    delay_reason: str | None = None
    late: bool = False


@REGISTRY.register("ReplyIncomplete", 1, TOPICS.tickets)
class ReplyIncomplete(HumanAct):
    """TT-8.3 / TT-8.4: one act, every missing three-clears part listed (RULEBOOK §9.6)."""

    rule_id: str
    round: int = Field(ge=1)
    department: str | None
    missing: tuple[ReplyPart, ...] = Field(min_length=1)


@REGISTRY.register("CorrectiveActionFiled", 1, TOPICS.tickets)
class CorrectiveActionFiled(HumanAct):
    """NJ-4.2.2: corrective and preventive action record for a complaint."""

    round: int = Field(ge=1)
    corrective: str
    preventive: str
