"""Test helper: drive one ticket through `decide` + `evolve` with an advancing clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import decide, field_time
from services.dispatch.domain.state import Status, TicketState
from services.dispatch.domain.ticket import evolve
from shared.events.catalog import Customer, Payload, TicketCreated
from shared.events.vocabulary import Role, TicketKind

T0 = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 Asia/Shanghai, a Monday
STEP = timedelta(minutes=1)


def created(kind: TicketKind = TicketKind.fault, ticket_id: uuid.UUID | None = None) -> TicketCreated:
    """A TicketCreated payload with every TT-8.11 field filled."""
    return TicketCreated(
        ticket_id=ticket_id or uuid.uuid4(),
        number="2025-KF-000001",
        kind=kind.value,
        customer=Customer(name="张三", phone="13912345678", address="江汉区解放大道1号", account="WH-0001"),
        description="宽带无法上网",
        created_by="ivr-1",
    )


def who(role: Role = Role.agent, actor: str = "agent-7") -> dict[str, Any]:
    """Actor and role keyword arguments for a command."""
    return {"actor": actor, "role": role}


class Story:
    """One ticket, its events and a clock that moves one minute per command."""

    def __init__(self, kind: TicketKind = TicketKind.fault, at: datetime = T0) -> None:
        self.now = at
        self.events: list[tuple[Payload, datetime]] = [(created(kind), at)]
        self.state: TicketState = evolve(None, self.events[0][0], at)

    def do(self, command: c.Command, *, after: timedelta = STEP) -> list[Payload]:
        """Decide at now+after and fold the events at their field time; a refusal leaves the clock."""
        now = self.now + after
        events = decide(self.state, command, now)
        at = field_time(self.state, command, now)
        self.now = now
        for event in events:
            self.state = evolve(self.state, event, at)
            self.events.append((event, at))
        return events

    def record(self, event: Payload, *, after: timedelta = STEP) -> Payload:
        """Fold an event another service recorded on the ticket (intake's first-contact solution, a repeat
        report): dispatch appends those as facts, without `decide`."""
        self.now += after
        self.state = evolve(self.state, event, self.now)
        self.events.append((event, self.now))
        return event

    def to(self, status: Status) -> Story:
        """Walk the RULEBOOK §3 path until the ticket is in `status`."""
        for command in PATH[status]:
            self.do(command)
        assert self.state.status is status, (self.state.status, status)
        return self


def window(start: datetime, hours: int = 2) -> dict[str, datetime]:
    """Appointment window keyword arguments."""
    return {"window_start": start, "window_end": start + timedelta(hours=hours)}


DISPATCH = c.DispatchTicket(**who(Role.dispatcher, "disp-1"), department="D1", technician="tech-1")
ACCEPT = c.AcceptTicket(**who(Role.handler, "d1-lead"))
CONTACT = c.EstablishContact(**who(Role.technician, "tech-1"))
BOOK = c.BookAppointment(**who(Role.technician, "tech-1"), **window(T0 + timedelta(minutes=5)))
ARRIVE = c.RecordArrival(**who(Role.technician, "tech-1"))
FULL_REPLY = c.ResolveTicket(
    **who(Role.technician, "tech-1"),
    completed_at=None,
    cause="光猫故障",
    result="更换光猫后恢复",
)
SATISFIED = c.RecordCallback(
    **who(Role.agent, "cb-1"),
    reached=True,
    work_done=True,
    done_at=T0,
    feedback_form_signed=True,
    satisfied=True,
    satisfaction_score=5,
)
DISSATISFIED = SATISFIED.model_copy(update={"satisfied": False, "satisfaction_score": 1})
PAUSE = c.PauseTicket(**who(Role.technician, "tech-1"), reason="customer-not-home")
DECIDE = c.DecideEscalation(**who(Role.deputy_gm, "dgm-1"), decision="赔偿一个月月租并致歉")
ARCHIVE = c.ArchiveTicket(**who(Role.agent, "cb-1"))

_TO_RESOLVED = [DISPATCH, ACCEPT, CONTACT, BOOK, ARRIVE, FULL_REPLY]
_ROUND_2 = [*_TO_RESOLVED, DISSATISFIED, ACCEPT, CONTACT, FULL_REPLY]

PATH: dict[Status, list[c.Command]] = {
    Status.received: [],
    Status.dispatched: [DISPATCH],
    Status.accepted: [DISPATCH, ACCEPT],
    Status.contact_established: [DISPATCH, ACCEPT, CONTACT],
    Status.appointment_booked: [DISPATCH, ACCEPT, CONTACT, BOOK],
    Status.on_site: [DISPATCH, ACCEPT, CONTACT, BOOK, ARRIVE],
    Status.paused: [DISPATCH, ACCEPT, PAUSE],
    Status.resolved: _TO_RESOLVED,
    Status.called_back: [*_TO_RESOLVED, SATISFIED],
    Status.reopened: [*_TO_RESOLVED, DISSATISFIED],
    Status.escalated: [*_ROUND_2, DISSATISFIED],
    Status.closed: [*_ROUND_2, DISSATISFIED, DECIDE],
    Status.archived: [*_TO_RESOLVED, SATISFIED, ARCHIVE],
}
