"""Network and system faults (CS-25/32/33, NJ-4.3.2e): report, response, on site, fixed, reply, CS notified, links.

A fault is reported (by the NMS or a person) with its layer and severity; the acts after it are each recorded
once. Order rules: a response is implied once someone is on site or the fault is fixed; nobody arrives at a fixed
fault; the reply (回单) reports the fix, so it comes after it. Customer service may be told at any time (late is a
breach of NJ-fault-notify-10m, not a refusal).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, StrictBool, model_validator

from services.dispatch.domain.work_items import Acting, ItemCommand, ItemState, WorkItemRefused, field_time
from shared import limits
from shared.events.catalog import Payload
from shared.events.lifecycle.work_items import (
    CustomerServiceNotified,
    FaultLayer,
    FaultSeverity,
    NetworkFaultFixed,
    NetworkFaultLinked,
    NetworkFaultOnSite,
    NetworkFaultReplied,
    NetworkFaultReported,
    NetworkFaultResponded,
)
from shared.inputs import Line, Text

Department = Line(limits.DEPARTMENT)
Person = Line(limits.PERSON)
Note = Text(limits.FREE_TEXT)


class ReportFault(ItemCommand):
    """A fault detected by the monitoring system (or a person); `occurred_at` is when it was detected."""

    layer: FaultLayer = Field(description="Network layer (backbone, aggregation, access …) or system (boss, lan, "
                                          "call-system …)")
    severity: FaultSeverity = FaultSeverity.general
    staffed_room: StrictBool = Field(False, description="In a staffed indoor room: CS within 10 min (NJ-4.3.2e)")
    description: Note
    location: Line(limits.OUTAGE_AREA) | None = None
    alarm_ref: Line(limits.REFERENCE) | None = None
    department: Department | None = Field(None, description="Department responsible for the repair")
    device_id: Line(limits.REFERENCE) | None = Field(
        None, description="The failed device as the NMS names it (aggregation device fault rate: repeat failures "
                          "of a device in a month count 1, 2, 4, 8, RULEBOOK §5.3)")


class RespondToFault(ItemCommand):
    """The maintenance team took the fault on (CS-25 access layer: 30 min)."""

    technician: Person | None = None
    note: Note | None = None


class ArriveAtFault(ItemCommand):
    """A technician is on site."""

    technician: Person | None = None


class FixFault(ItemCommand):
    """Service restored."""

    cause: Note | None = None
    result: Note | None = None


class ReplyOnFault(ItemCommand):
    """回单: the fix reported back, with its cause and result."""

    cause: Note
    result: Note


class NotifyCustomerService(ItemCommand):
    """Customer service was told of the fault (NJ-4.3.2e)."""

    notified: Person | None = Field(None, description="Who in customer service was told")
    message: Note | None = Field(None, description="What callers are to be told")


class LinkFault(ItemCommand):
    """The mass incident and/or customer tickets this fault caused (RULEBOOK §7)."""

    incident_id: uuid.UUID | None = None
    ticket_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _something(self) -> LinkFault:
        if self.incident_id is None and not self.ticket_ids:
            raise ValueError("give an incident_id, ticket_ids or both")
        return self


FaultCommand = RespondToFault | ArriveAtFault | FixFault | ReplyOnFault | NotifyCustomerService | LinkFault


def status(state: ItemState) -> str:
    """Where the repair stands: reported, responded, on-site, fixed, replied."""
    for event_type, name in (("NetworkFaultReplied", "replied"), ("NetworkFaultFixed", "fixed"),
                             ("NetworkFaultOnSite", "on-site"), ("NetworkFaultResponded", "responded")):
        if state.did(event_type):
            return name
    return "reported"


def report(cmd: ReportFault, fault_id: uuid.UUID, number: str, by: Acting) -> NetworkFaultReported:
    """The first event of a fault's stream; its field time is when the fault was detected."""
    return NetworkFaultReported(
        fault_id=fault_id, number=number, actor=by.actor, role=by.role, kind=cmd.layer.kind, layer=cmd.layer,
        severity=cmd.severity, staffed_room=cmd.staffed_room, description=cmd.description, location=cmd.location,
        alarm_ref=cmd.alarm_ref, department=cmd.department, device_id=cmd.device_id)


def _once(state: ItemState, event_type: str, what: str) -> None:
    if (at := state.did(event_type)) is not None:
        raise WorkItemRefused(status(state), f"{what} was already recorded at {at.isoformat()}")


def decide(state: ItemState, cmd: FaultCommand, by: Acting, now: datetime) -> tuple[list[Payload], datetime]:
    """The events an act on a fault produces, and its field time; `WorkItemRefused` (409) when not allowed."""
    at = field_time(status(state), state.last_event_at, cmd.occurred_at, now)
    common = {"fault_id": state.item_id, "actor": by.actor, "role": by.role}
    current = status(state)
    if isinstance(cmd, RespondToFault):
        _once(state, "NetworkFaultResponded", "the response")
        if current in ("on-site", "fixed", "replied"):
            raise WorkItemRefused(current, f"the fault is already {current}: the response is implied")
        return [NetworkFaultResponded(**common, technician=cmd.technician, note=cmd.note)], at
    if isinstance(cmd, ArriveAtFault):
        _once(state, "NetworkFaultOnSite", "the arrival on site")
        if state.did("NetworkFaultFixed"):
            raise WorkItemRefused(current, "the fault is already fixed")
        return [NetworkFaultOnSite(**common, technician=cmd.technician)], at
    if isinstance(cmd, FixFault):
        _once(state, "NetworkFaultFixed", "the fix")
        return [NetworkFaultFixed(**common, cause=cmd.cause, result=cmd.result)], at
    if isinstance(cmd, ReplyOnFault):
        _once(state, "NetworkFaultReplied", "the reply")
        if not state.did("NetworkFaultFixed"):
            raise WorkItemRefused(current, "the reply reports the fix: record the fault fixed first")
        return [NetworkFaultReplied(**common, cause=cmd.cause, result=cmd.result)], at
    if isinstance(cmd, NotifyCustomerService):
        _once(state, "CustomerServiceNotified", "notifying customer service")
        return [CustomerServiceNotified(**common, notified=cmd.notified, message=cmd.message)], at
    return [_link(state, cmd, common)], at


def _link(state: ItemState, cmd: LinkFault, common: dict[str, object]) -> NetworkFaultLinked:
    if cmd.incident_id is not None and state.incident_id not in (None, cmd.incident_id):
        raise WorkItemRefused(status(state), f"the fault is already linked to incident {state.incident_id}")
    incident = cmd.incident_id if cmd.incident_id != state.incident_id else None
    new = tuple(sorted(set(cmd.ticket_ids) - state.ticket_ids))
    if incident is None and not new:
        raise WorkItemRefused(status(state), "the fault is already linked to all of these")
    return NetworkFaultLinked(**common, incident_id=incident, ticket_ids=new)
