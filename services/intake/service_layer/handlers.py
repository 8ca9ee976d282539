"""Intake use cases: a validated call becomes a new ticket, or a repeat report linked to an open one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.adapters import repository as repo
from services.intake.adapters.repository import INCIDENTS_VIEW
from services.intake.adapters.tables import directory
from services.intake.domain.duplicates import (
    FaultReport,
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


async def log_ticket(uow: UnitOfWork, cmd: LogTicket, principal: Principal, settings: Settings,
                     field_time: FieldTimePolicy) -> dict[str, Any]:
    """GX-5.1.2: every call ends in a ticket, or (GX-5.3.1) in a link to the open ticket it repeats
    (`outcome` says which)."""
    now = uow.now()
    if problem := backdate_problem(cmd.occurred_at, now, principal.role, field_time):
        raise Invalid(problem, fields=[field_time_error(problem)])
    occurred = cmd.occurred_at or now
    if cmd.incident_id and not await repo.incident_is_active(uow.conn, cmd.incident_id):
        message = f"incident {cmd.incident_id} is not an active outage"
        raise Invalid(message, fields=[{"field": "incident_id", "in": "body", "rule": "RULEBOOK-7",
                                                 "message": message}])
    cmd = await with_district(uow, cmd)  # issue 8: the directory district, and its area type by default
    c = cmd.customer
    account_key, address_key = normalize_account(c.account), normalize_address(c.address)
    active = await uow.views.get(INCIDENTS_VIEW, uow.conn, repo.active_incidents)
    incidents = affecting(active, c.address, cmd.area, cmd.product, cmd.district)
    told = [_incident_view(i) for i in incidents]
    if cmd.kind.value == "fault" and not cmd.duplicate_override and not cmd.first_contact_solution:
        await repo.lock_customer(uow.conn, account_key)
        repeat = await _link_repeat(uow, cmd, principal, occurred, now, settings, account_key, address_key)
        if repeat is not None:
            return repeat | {"incidents": told}
    created = await _create(uow, cmd, principal, occurred, now, settings, account_key, address_key)
    return created | {"incidents": told}


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


async def _link_repeat(uow: UnitOfWork, cmd: LogTicket, principal: Principal, occurred: datetime, now: datetime,
                       settings: Settings, account_key: str, address_key: str) -> dict[str, Any] | None:
    window = settings.gongdan_duplicate_window
    candidates = await repo.open_fault_tickets(uow.conn, account_key, address_key, occurred - window)
    report = FaultReport(occurred, cmd.customer.account, cmd.customer.address, cmd.product)
    first = find_duplicate(report, (t for t, _ in candidates.values()), window=window)
    if first is None:
        return None
    events = repeat_report_events(cmd, principal, first.ticket_id)
    start = await repo.next_sequences(uow.conn, first.ticket_id, len(events))
    envelopes = uow.emit(events, stream=first.ticket_id, first_sequence=start, occurred_at=occurred)
    info = candidates[first.ticket_id][1]
    return {"outcome": "duplicate-linked", "rule": "GX-5.3.1", "ticket_id": str(first.ticket_id),
            "number": info["number"], "state": info["state"], "event_id": str(envelopes[0].event_id),
            "occurred_at": occurred.isoformat()}


async def _create(uow: UnitOfWork, cmd: LogTicket, principal: Principal, occurred: datetime, now: datetime,
                  settings: Settings, account_key: str, address_key: str) -> dict[str, Any]:
    sequence = await repo.next_ticket_number(uow.conn)
    number = number_for(occurred, DEPARTMENT_CODE, sequence, ZoneInfo(settings.gongdan_tz))
    ticket_id = uuid.uuid4()
    events = creation_events(cmd, principal, ticket_id, number)
    state = "closed" if cmd.first_contact_solution else "received"
    c = cmd.customer
    await repo.insert_ticket(uow.conn, {
        "id": ticket_id, "number": number, "kind": cmd.kind.value, "customer_name": c.name, "phone": c.phone,
        "address": c.address, "account": c.account, "description": cmd.description,
        "created_by": principal.name, "occurred_at": occurred, "recorded_at": now,
        "channel": cmd.channel.value, "authority": cmd.authority,
        "complaint_class": _value(complaint_class_of(cmd)), "segment": cmd.segment.value,
        "area_type": _value(cmd.area_type), "area": cmd.area, "district": cmd.district,
        "product": _value(cmd.product),
        "priority": cmd.priority.value, "account_key": account_key, "address_key": address_key,
        "phone_key": normalize_phone(c.phone),
        "incident_id": cmd.incident_id, "status": state, "last_sequence": len(events),
    })
    envelopes = uow.emit(events, stream=ticket_id, first_sequence=1, occurred_at=occurred)
    return {"outcome": "created", "ticket_id": str(ticket_id), "number": number, "state": state,
            "event_id": str(envelopes[0].event_id), "occurred_at": occurred.isoformat()}


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
