"""Intake use cases: a validated call becomes a new ticket, or a repeat report linked to an open one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.adapters import repository as repo
from services.intake.adapters.repository import INCIDENTS_VIEW
from services.intake.adapters.tables import directory
from services.intake.domain.duplicates import (
    FaultReport,
    OpenFault,
    OpenFaultTicket,
    find_duplicate,
    normalize_account,
    normalize_address,
)
from services.intake.domain.intake import LogTicket, complaint_class_of
from services.intake.domain.numbering import number_for
from services.intake.domain.outages import ActiveIncident, affecting
from services.intake.domain.phones import normalize_phone
from services.intake.domain.request import parse_log_ticket
from services.intake.service_layer.events import creation_events, repeat_report_events
from shared.directory_copy import DIRECTORY_VIEW, district_in_address, district_named
from shared.errors import Invalid, NotFound
from shared.events.catalog import Payload
from shared.events.vocabulary import AreaType
from shared.field_time import backdate_problem, field_time_error
from shared.identity import Principal
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.schema import FieldTimePolicy
from shared.settings import Settings

DEPARTMENT_CODE = "KF"  # 客服 customer service: the hotline platform logs every ticket


def parse(body: Any) -> LogTicket:
    """The command, or a 422 listing every missing or malformed field with its rule id."""
    parsed = parse_log_ticket(body)
    if isinstance(parsed, LogTicket):
        return parsed
    names = ", ".join(f["field"] for f in parsed)
    raise Invalid(f"invalid or missing: {names}", fields=parsed)


def _incident_view(incident: ActiveIncident) -> dict[str, Any]:
    restore = incident.estimated_restore_at
    return {"incident_id": str(incident.incident_id), "area": incident.area, "districts": list(incident.districts),
            "cause": incident.cause,
            "planned": incident.planned, "estimated_restore_at": restore.isoformat() if restore else None}


@dataclass(frozen=True)
class Intake:
    """One call checked and ready to log: its command (with the directory district), who took it, when the
    problem occurred, and the active outages it falls under (RULEBOOK §7, told to the caller)."""

    cmd: LogTicket
    principal: Principal
    occurred: datetime
    told: list[dict[str, Any]]

    @cached_property
    def account_key(self) -> str:
        return normalize_account(self.cmd.customer.account)

    @cached_property
    def address_key(self) -> str:
        return normalize_address(self.cmd.customer.address)

    @property
    def opens_fault(self) -> bool:
        """Its new ticket is an open fault ticket later reports may repeat: a fault not solved on the call."""
        return self.cmd.kind.value == "fault" and not self.cmd.first_contact_solution

    @property
    def may_repeat(self) -> bool:
        """GX-5.3.1 applies: such a fault report, unless the agent overrode the duplicate check."""
        return self.opens_fault and not self.cmd.duplicate_override


async def check_intake(uow: UnitOfWork, cmd: LogTicket, principal: Principal,
                       field_time: FieldTimePolicy) -> Intake:
    """The call ready to log, or Invalid (422) for a backdating beyond the role's limit, an incident that is not an
    active outage, or a district not in the directory. Reads only views held in memory (no writes)."""
    now = uow.now()
    if problem := backdate_problem(cmd.occurred_at, now, principal.role, field_time):
        raise Invalid(problem, fields=[field_time_error(problem)])
    active = await uow.views.get(INCIDENTS_VIEW, uow.conn, repo.active_incidents)
    if cmd.incident_id and not any(i.incident_id == cmd.incident_id for i in active):
        message = f"incident {cmd.incident_id} is not an active outage"
        raise Invalid(message, fields=[{"field": "incident_id", "in": "body", "rule": "RULEBOOK-7",
                                        "message": message}])
    cmd = await with_district(uow, cmd)  # issue 8: the directory district, and its area type by default
    incidents = affecting(active, cmd.customer.address, cmd.area, cmd.product, cmd.district)
    return Intake(cmd, principal, cmd.occurred_at or now, [_incident_view(i) for i in incidents])


async def log_ticket(uow: UnitOfWork, cmd: LogTicket, principal: Principal, settings: Settings,
                     field_time: FieldTimePolicy) -> dict[str, Any]:
    """GX-5.1.2: every call ends in a ticket, or (GX-5.3.1) in a link to the open ticket it repeats
    (`outcome` says which)."""
    intake = await check_intake(uow, cmd, principal, field_time)
    return (await log_tickets(uow, [intake], settings))[0]


async def with_district(uow: UnitOfWork, cmd: LogTicket) -> LogTicket:
    """The ticket's district: the one given (it must be in intake's copy of the directory: 422 naming `district`),
    else the one its `area` or its address names; without an `area_type`, the ticket takes the district's."""
    districts = await uow.views.get(DIRECTORY_VIEW, uow.conn, directory.districts)
    if cmd.district is not None:
        if not any(d["id"] == cmd.district for d in districts):
            message = f"district {cmd.district!r} is not in the directory"
            raise Invalid(message, fields=[{"field": "district", "in": "body", "rule": "directory_reference",
                                                     "message": message}])
        district = cmd.district
    else:
        district = district_named(cmd.area, districts) or district_in_address(cmd.customer.address, districts)
    if district is None:
        return cmd
    area_type = cmd.area_type or AreaType(next(d["area_type"] for d in districts if d["id"] == district))
    return cmd.model_copy(update={"district": district, "area_type": area_type})


@dataclass
class _NewTicket:
    intake: Intake
    ticket_id: uuid.UUID
    number: str = ""  # given with its events once the sequence has given the batch its numbers
    events: list[Payload] = field(default_factory=list)


@dataclass(frozen=True)
class _Repeat:
    intake: Intake
    of: OpenFault
    events: list[Payload]  # GX-5.3.1: what the report adds to that ticket's stream


async def log_tickets(uow: UnitOfWork, intakes: list[Intake], settings: Settings) -> list[dict[str, Any]]:
    """Log calls in one transaction, in order, with a constant number of statements whatever their number
    (issue 13): each call's answer, as `log_ticket` gives it. A report repeats an open fault ticket (GX-5.3.1)
    whether that ticket was logged before or earlier in the same batch."""
    window = settings.gongdan_duplicate_window
    checking = [x for x in intakes if x.may_repeat]
    open_faults: list[OpenFault] = []
    if checking:
        await repo.lock_customers(uow.conn, list({x.account_key for x in checking}))
        open_faults = await repo.open_fault_tickets(uow.conn, {x.account_key for x in checking},
                                                    {x.address_key for x in checking},
                                                    min(x.occurred for x in checking) - window)
    new: dict[uuid.UUID, _NewTicket] = {}
    plans: list[_NewTicket | _Repeat] = []
    for x in intakes:
        first = _repeats(x, open_faults, window) if x.may_repeat else None
        if first is not None:
            plans.append(_Repeat(x, first, repeat_report_events(x.cmd, x.principal, first.ticket.ticket_id)))
            continue
        ticket_id = uuid.uuid4()
        new[ticket_id] = _NewTicket(x, ticket_id)
        plans.append(new[ticket_id])
        if x.opens_fault:
            c = x.cmd.customer
            open_faults.append(OpenFault(OpenFaultTicket(ticket_id, x.occurred, c.account, c.address, x.cmd.product),
                                         x.account_key, x.address_key, "", _state(x)))  # numbered below
    await _number(uow, list(new.values()), settings)
    next_sequence = await _next_sequences(uow, plans, new)
    answers = []
    for plan in plans:
        x = plan.intake
        if isinstance(plan, _NewTicket):
            first_event = uow.emit(plan.events, stream=plan.ticket_id, first_sequence=1, occurred_at=x.occurred)[0]
            answers.append({"outcome": "created", "ticket_id": str(plan.ticket_id), "number": plan.number,
                            "state": _state(x), "event_id": str(first_event.event_id),
                            "occurred_at": x.occurred.isoformat(), "incidents": x.told})
            continue
        target = plan.of.ticket.ticket_id
        first_event = uow.emit(plan.events, stream=target, first_sequence=next_sequence(target, len(plan.events)),
                               occurred_at=x.occurred)[0]
        number = new[target].number if target in new else plan.of.number
        answers.append({"outcome": "duplicate-linked", "rule": "GX-5.3.1", "ticket_id": str(target),
                        "number": number, "state": plan.of.state, "event_id": str(first_event.event_id),
                        "occurred_at": x.occurred.isoformat(), "incidents": x.told})
    if new:
        await repo.insert_tickets(uow.conn, [_ticket_row(t, uow.now(), next_sequence(t.ticket_id, 0) - 1)
                                             for t in new.values()])
    return answers


def _repeats(intake: Intake, open_faults: list[OpenFault], window: timedelta) -> OpenFault | None:
    """The open fault ticket this report repeats (GX-5.3.1), if any."""
    compared = {f.ticket.ticket_id: f for f in open_faults if f.shares_key(intake.account_key, intake.address_key)}
    c = intake.cmd.customer
    report = FaultReport(intake.occurred, c.account, c.address, intake.cmd.product)
    first = find_duplicate(report, (f.ticket for f in compared.values()), window=window)
    return compared[first.ticket_id] if first is not None else None


async def _number(uow: UnitOfWork, tickets: list[_NewTicket], settings: Settings) -> None:
    """Ticket numbers, in the batch's order, from the sequence (one statement), and the events they make."""
    if not tickets:
        return
    tz = ZoneInfo(settings.gongdan_tz)
    for ticket, sequence in zip(tickets, await repo.next_ticket_numbers(uow.conn, len(tickets)), strict=True):
        x = ticket.intake
        ticket.number = number_for(x.occurred, DEPARTMENT_CODE, sequence, tz)
        ticket.events = creation_events(x.cmd, x.principal, ticket.ticket_id, ticket.number)


async def _next_sequences(uow: UnitOfWork, plans: list[_NewTicket | _Repeat],
                          new: dict[uuid.UUID, _NewTicket]) -> Callable[[uuid.UUID, int], int]:
    """Positions in intake's stream of each ticket the batch writes to: a new ticket's start after its creation
    events; an existing ticket's are reserved in one statement. Returns `take(ticket, count)`, the first of the
    next `count` positions (`take(ticket, 0)` is the position after the last taken)."""
    taken = {t.ticket_id: len(t.events) + 1 for t in new.values()}
    wanted: dict[uuid.UUID, int] = {}
    for plan in plans:
        if isinstance(plan, _Repeat) and plan.of.ticket.ticket_id not in new:
            target = plan.of.ticket.ticket_id
            wanted[target] = wanted.get(target, 0) + len(plan.events)
    if wanted:
        taken |= await repo.reserve_sequences(uow.conn, wanted)

    def take(ticket_id: uuid.UUID, count: int) -> int:
        first = taken[ticket_id]
        taken[ticket_id] = first + count
        return first
    return take


def _state(intake: Intake) -> str:
    return "closed" if intake.cmd.first_contact_solution else "received"


def _ticket_row(ticket: _NewTicket, now: datetime, last_sequence: int) -> dict[str, Any]:
    x = ticket.intake
    cmd, c = x.cmd, x.cmd.customer
    return {
        "id": ticket.ticket_id, "number": ticket.number, "kind": cmd.kind.value, "customer_name": c.name,
        "phone": c.phone, "address": c.address, "account": c.account, "description": cmd.description,
        "created_by": x.principal.name, "occurred_at": x.occurred, "recorded_at": now,
        "channel": cmd.channel.value, "authority": cmd.authority,
        "complaint_class": _value(complaint_class_of(cmd)), "segment": cmd.segment.value,
        "area_type": _value(cmd.area_type), "area": cmd.area, "district": cmd.district,
        "product": _value(cmd.product),
        "priority": cmd.priority.value, "account_key": x.account_key, "address_key": x.address_key,
        "phone_key": normalize_phone(c.phone),
        "incident_id": cmd.incident_id, "status": _state(x), "last_sequence": last_sequence,
    }


def _value(member: Any) -> str | None:
    return member.value if member is not None else None


async def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID) -> dict[str, Any]:
    row = await repo.read_ticket(uow.conn, ticket_id)
    if row is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket_view(row)


async def find_tickets(uow: UnitOfWork, *, number: str | None, phone: str | None, account: str | None,
                       limit: int) -> list[dict[str, Any]]:
    """Tickets by number, phone or account (every given one must match), newest first."""
    rows = await repo.find_tickets(uow.conn, number=number, phone_key=phone and normalize_phone(phone),
                                   account_key=account and normalize_account(account), limit=limit)
    return [ticket_view(row) for row in rows]


def ticket_view(row: Any) -> dict[str, Any]:
    return {
        "ticket_id": str(row["id"]), "number": row["number"], "kind": row["kind"], "state": row["status"],
        "customer": {"name": row["customer_name"], "phone": row["phone"], "address": row["address"],
                     "account": row["account"]},
        "description": row["description"], "created_by": row["created_by"],
        **{k: row[k] for k in ("channel", "authority", "complaint_class", "segment", "area_type", "area",
                               "district", "product", "priority")},
        "incident_id": str(row["incident_id"]) if row["incident_id"] else None,
        "occurred_at": row["occurred_at"].isoformat(), "recorded_at": row["recorded_at"].isoformat(),
    }
