"""Outage use cases (RULEBOOK §7): declare, restore, link tickets; each in one transaction with the outbox."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, update

from services.dispatch.adapters.tables import incidents, tickets
from services.dispatch.domain import commands as c
from services.dispatch.domain.incidents import (
    DeclareOutage,
    IncidentRefused,
    IncidentState,
    RestoreOutage,
    declare,
    restore,
)
from services.dispatch.service_layer.directory import outage_districts
from services.dispatch.service_layer.tickets import execute
from shared.errors import Conflict, Invalid, NotFound
from shared.field_time import acting_role
from shared.identity import Principal
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.schema import FieldTimePolicy


async def declare_outage(uow: UnitOfWork, cmd: DeclareOutage, principal: Principal) -> dict[str, Any]:
    now, incident_id = uow.now(), uuid.uuid4()
    try:
        event = declare(cmd, incident_id, principal.name, acting_role(principal), now)
    except IncidentRefused as refused:
        raise Invalid(refused.reason) from None
    districts = await outage_districts(uow, cmd.area, cmd.districts, cmd.publishing_department)  # issue 8
    event = event.model_copy(update={"districts": districts})
    await uow.conn.execute(insert(incidents).values(
        id=incident_id, area=event.area, districts=list(districts),
        area_type=cmd.area_type.value if cmd.area_type else None,
        products=[p.value for p in event.products], cause=event.cause, planned=event.planned,
        notice_at=event.notice_at, starts_at=event.starts_at, estimated_restore_at=event.estimated_restore_at,
        declared_by=principal.name, version=1,
    ))
    [envelope] = uow.emit([event], stream=incident_id, first_sequence=1, occurred_at=event.notice_at)
    return {"incident_id": str(incident_id), "state": "declared", "event_id": str(envelope.event_id)}


async def _locked(uow: UnitOfWork, incident_id: uuid.UUID) -> Any:
    row = (await uow.conn.execute(select(incidents).where(incidents.c.id == incident_id).with_for_update())
           ).mappings().first()
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    return row


async def restore_outage(uow: UnitOfWork, incident_id: uuid.UUID, cmd: RestoreOutage,
                         principal: Principal) -> dict[str, Any]:
    row, now = await _locked(uow, incident_id), uow.now()
    state = IncidentState(incident_id, row["starts_at"], row["restored_at"])
    try:
        event = restore(state, cmd, principal.name, acting_role(principal), now)
    except IncidentRefused as refused:
        raise Conflict(refused.reason, current_state=refused.state, incident_id=str(incident_id)) from None
    version = row["version"] + 1
    await uow.conn.execute(update(incidents).where(incidents.c.id == incident_id).values(
        restored_at=event.restored_at, restore_notice_at=event.notice_at, version=version))
    [envelope] = uow.emit([event], stream=incident_id, first_sequence=version, occurred_at=event.restored_at)
    return {"incident_id": str(incident_id), "state": "restored", "event_id": str(envelope.event_id)}


async def link_tickets(uow: UnitOfWork, incident_id: uuid.UUID, ticket_ids: list[uuid.UUID], principal: Principal,
                       backdate: FieldTimePolicy) -> dict[str, Any]:
    """All or nothing: every ticket is linked, or the first refusal answers and nothing is written."""
    await _locked(uow, incident_id)
    linked = []
    for ticket_id in sorted(set(ticket_ids)):  # a fixed lock order: two batches never deadlock
        cmd = c.LinkToIncident(actor=principal.name, role=acting_role(principal), incident_id=incident_id)
        outcome = await execute(uow, ticket_id, cmd, principal.role, backdate)
        linked.append(str(outcome.state.ticket_id))
    return {"incident_id": str(incident_id), "linked": linked}


async def get_incident(uow: UnitOfWork, incident_id: uuid.UUID) -> dict[str, Any]:
    row = (await uow.conn.execute(select(incidents).where(incidents.c.id == incident_id))).mappings().first()
    if row is None:
        raise NotFound(f"incident {incident_id} not found")
    count = (await uow.conn.execute(select(func.count()).where(tickets.c.incident_id == incident_id))).scalar_one()
    iso = {k: row[k].isoformat() if row[k] else None
           for k in ("notice_at", "starts_at", "estimated_restore_at", "restored_at", "restore_notice_at")}
    return {"incident_id": str(row["id"]), "state": "restored" if row["restored_at"] else "declared",
            "area": row["area"], "districts": row["districts"] or [], "area_type": row["area_type"],
            "products": row["products"], "cause": row["cause"],
            "planned": row["planned"], "declared_by": row["declared_by"], "linked_tickets": count, **iso}
