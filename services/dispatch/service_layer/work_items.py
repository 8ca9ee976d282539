"""Work-item use cases (issue 8): open a fault, mail or forum post; record an act on it; read and list them.

Each write locks the item, loads its state (snapshot + later events), decides, appends the events and the projection and publishes
through the outbox, all in the caller's transaction (the unit of work).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.dispatch.adapters import work_items as store
from services.dispatch.domain import messages as msg
from services.dispatch.domain import network_faults as nf
from services.dispatch.domain.backdating import backdating
from services.dispatch.domain.work_items import (
    Acting,
    ItemCommand,
    ItemState,
    Series,
    WorkItemRefused,
    evolve,
    fold,
    item_number,
)
from shared.errors import Conflict, Invalid, NotFound
from shared.events.catalog import Payload
from shared.field_time import acting_role, backdate_problem, field_time_error
from shared.identity import Principal
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.schema import FieldTimePolicy

ID_KEY = {Series.network_fault: "fault_id", Series.mail: "mail_id", Series.forum_post: "post_id"}
STATUS: dict[Series, Callable[[ItemState], str]] = {
    Series.network_fault: nf.status, Series.mail: msg.status, Series.forum_post: msg.status}


def _acting(principal: Principal) -> Acting:
    return Acting(principal.name, acting_role(principal))


def _check_backdate(cmd: ItemCommand, now: datetime, principal: Principal, limits: FieldTimePolicy) -> None:
    if problem := backdate_problem(cmd.occurred_at, now, principal.role, limits):
        raise Invalid(problem, fields=[field_time_error(problem)])


def _projection(series: Series, opened: Payload) -> dict[str, Any]:
    """Projection columns that come from the opening event."""
    data = opened.model_dump(mode="json")
    if series is Series.network_fault:
        return {"kind": data["kind"], "layer": data["layer"], "severity": data["severity"],
                "staffed_room": data["staffed_room"], "department": data["department"],
                "title": data["description"]}
    return {"kind": series.value, "department": data.get("department"),
            "title": data["subject"] if series is Series.mail else data["title"]}


async def open_item(uow: UnitOfWork, series: Series, cmd: ItemCommand, principal: Principal,
                    limits: FieldTimePolicy, tz: ZoneInfo) -> dict[str, Any]:
    """Report a fault, receive a mail or publish a forum post: a new stream, numbered in its series."""
    now = uow.now()
    _check_backdate(cmd, now, principal, limits)
    at = cmd.occurred_at or now  # not in the future, nor backdated beyond the role's limit (checked above)
    item_id, by = uuid.uuid4(), _acting(principal)
    number = item_number(series, at, await store.next_number(uow.conn, series), tz)
    event: Payload
    if isinstance(cmd, nf.ReportFault):
        event = nf.report(cmd, item_id, number, by)
    elif isinstance(cmd, msg.ReceiveMail):
        event = msg.receive(cmd, item_id, number, by)
    elif isinstance(cmd, msg.PublishForumPost):
        event = msg.publish(cmd, item_id, number, by)
    else:
        raise TypeError(f"{type(cmd).__name__} does not open a work item")
    [envelope] = uow.envelopes([event], stream=item_id, first_sequence=1, occurred_at=at)
    await store.append(uow.conn, [envelope])
    state = fold([envelope])
    await store.create(uow.conn, {"id": item_id, "series": series.value, "number": number,
                                  "state": STATUS[series](state), "opened_at": at, "last_event_at": at,
                                  "version": 1, "updated_at": now, "snapshot": store.SNAPSHOTS.dump(state),
                                  **_projection(series, event)})
    uow.publish(envelope)
    return _body(state, [envelope])


async def act(uow: UnitOfWork, series: Series, item_id: uuid.UUID, cmd: ItemCommand, principal: Principal,
              limits: FieldTimePolicy, decision: Callable[[ItemState, Acting, datetime],
                                                           tuple[list[Payload], datetime]]) -> dict[str, Any]:
    """One act on an existing item: 404 unknown, 422 bad field time, 409 when its state forbids the act."""
    now = uow.now()
    _check_backdate(cmd, now, principal, limits)
    state = await store.load_locked(uow.conn, item_id, series)
    if state is None:
        raise NotFound(f"{series.value} {item_id} not found")
    try:
        payloads, at = decision(state, _acting(principal), now)
    except WorkItemRefused as refused:
        raise Conflict(refused.reason, current_state=refused.state,
                          **{ID_KEY[series]: str(item_id)}) from None
    envelopes = uow.envelopes(payloads, stream=item_id, first_sequence=state.version + 1, occurred_at=at)
    try:
        await store.append(uow.conn, envelopes)
    except store.ConcurrentAppend:
        raise Conflict(f"the {series.value} changed meanwhile; read it and retry",
                          current_state=STATUS[series](state), **{ID_KEY[series]: str(item_id)}) from None
    for envelope in envelopes:
        state = evolve(state, envelope.type, envelope.payload, at)
    await store.save(uow.conn, state, {"state": STATUS[series](state), "last_event_at": state.last_event_at,
                                         "version": state.version, "incident_id": state.incident_id}, now)
    for envelope in envelopes:
        uow.publish(envelope)
    return _body(state, envelopes)


async def link_fault(uow: UnitOfWork, fault_id: uuid.UUID, cmd: nf.LinkFault, principal: Principal,
                     limits: FieldTimePolicy) -> dict[str, Any]:
    """Link the fault to its mass incident and/or tickets; 422 naming an incident or ticket dispatch does not know."""
    problems = []
    if cmd.incident_id is not None and not await store.incident_known(uow.conn, cmd.incident_id):
        problems.append({"field": "incident_id", "in": "body", "rule": "exists",
                         "message": f"incident {cmd.incident_id} not found"})
    known = await store.tickets_known(uow.conn, list(cmd.ticket_ids)) if cmd.ticket_ids else set()
    problems += [{"field": f"ticket_ids.{i}", "in": "body", "rule": "exists", "message": f"ticket {t} not found"}
                 for i, t in enumerate(cmd.ticket_ids) if t not in known]
    if problems:
        raise Invalid("the fault can only be linked to known incidents and tickets", fields=problems)
    return await act(uow, Series.network_fault, fault_id, cmd, principal, limits,
                     lambda state, by, now: nf.decide(state, cmd, by, now))


def _body(state: ItemState, envelopes: list[Any]) -> dict[str, Any]:
    return {ID_KEY[state.series]: str(state.item_id), "number": state.number, "state": STATUS[state.series](state),
            "version": state.version,
            "events": [{"event_id": str(e.event_id), "type": e.type, "sequence": e.sequence} for e in envelopes]}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def summary(series: Series, row: Any) -> dict[str, Any]:
    out = {ID_KEY[series]: str(row["id"]), "number": row["number"], "kind": row["kind"], "state": row["state"],
           "department": row["department"], "title": row["title"], "opened_at": _iso(row["opened_at"]),
           "last_event_at": _iso(row["last_event_at"])}
    if series is Series.network_fault:
        out |= {"layer": row["layer"], "severity": row["severity"], "staffed_room": row["staffed_room"],
                "incident_id": str(row["incident_id"]) if row["incident_id"] else None}
    return out


async def get_item(uow: UnitOfWork, series: Series, item_id: uuid.UUID, flag_after: timedelta) -> dict[str, Any]:
    """The item with its full timeline (who, when, backdated acts flagged, RULEBOOK §9.13)."""
    found = await store.read(uow.conn, item_id, series)
    if found is None:
        raise NotFound(f"{series.value} {item_id} not found")
    row, events = found
    timeline = [{"sequence": e["sequence"], "event_id": str(e["event_id"]), "type": e["type"], "actor": e["actor"],
                 "role": e["role"], "occurred_at": _iso(e["occurred_at"]), "recorded_at": _iso(e["recorded_at"]),
                 "backdated": backdating(e["occurred_at"], e["recorded_at"], flag_after),
                 "payload": e["envelope"]["payload"]} for e in events]
    out = summary(series, row) | {"version": row["version"], "timeline": timeline}
    if series is Series.network_fault:
        linked = sorted({t for e in events for t in e["envelope"]["payload"].get("ticket_ids", ())})
        out["ticket_ids"] = linked
    return out


async def list_items(uow: UnitOfWork, series: Series, filters: dict[str, Any], limit: int) -> dict[str, Any]:
    rows = await store.listing(uow.conn, series, filters, limit)
    return {"items": [summary(series, r) for r in rows]}
