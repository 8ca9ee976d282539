"""Issue 13: a ticket (and a work item) is loaded from the snapshot beside its projection plus the events after it;
a missing snapshot (tickets from before migration 0007) or one that lags behind still gives the folded state."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from services.dispatch.adapters import event_store
from services.dispatch.adapters import work_items as items
from services.dispatch.adapters.tables import tickets
from services.dispatch.domain import snapshot
from services.dispatch.domain.ticket import fold
from services.dispatch.domain.work_items import fold as fold_item
from services.dispatch.service_layer.handlers import on_intake_facts
from shared.events import new_envelope
from shared.events.lifecycle import DuplicateReportLinked
from shared.http.auth import Role
from tests.support.lifecycle import new_ticket, ok
from tests.support.stack import Stack
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration


async def stored_snapshot(stack: Stack, ticket_id: str) -> Any:
    async with stack.runtime("dispatch").engine.connect() as conn:
        return (await conn.execute(select(tickets.c.snapshot).where(tickets.c.id == uuid.UUID(ticket_id)))
                ).scalar_one()


async def set_snapshot(stack: Stack, ticket_id: str, value: Any) -> None:
    async with stack.runtime("dispatch").engine.begin() as conn:
        await conn.execute(update(tickets).where(tickets.c.id == uuid.UUID(ticket_id)).values(snapshot=value))


async def assert_snapshot_is_the_fold(stack: Stack, ticket_id: str) -> None:
    async with stack.runtime("dispatch").engine.connect() as conn:
        stream = await event_store.load_stream(conn, uuid.UUID(ticket_id))
    assert snapshot.restore(await stored_snapshot(stack, ticket_id)) == fold(stream)


async def reclassify(stack: Stack, ticket_id: str, priority: str) -> dict:
    return await ok(stack, ticket_id, "reclassify", Role.AGENT, {"reason": "客户要求", "priority": priority})


async def test_snapshots_follow_every_append_and_a_missing_or_lagging_one_is_caught_up(stack: Stack) -> None:
    ticket_id = (await new_ticket(stack, fault_report(product="ftth-broadband")))["ticket_id"]
    await assert_snapshot_is_the_fold(stack, ticket_id)  # written with the projection from TicketCreated

    await reclassify(stack, ticket_id, "urgent")
    lagging = await stored_snapshot(stack, ticket_id)  # priority urgent, version 2
    await reclassify(stack, ticket_id, "low")
    await assert_snapshot_is_the_fold(stack, ticket_id)

    # A snapshot one event behind: the event after it is folded on top (priority is low, so urgent is a change).
    await set_snapshot(stack, ticket_id, lagging)
    assert (await reclassify(stack, ticket_id, "urgent"))["version"] == 4
    await assert_snapshot_is_the_fold(stack, ticket_id)

    # No snapshot (a ticket from before migration 0007): the whole stream is folded and the snapshot written.
    await set_snapshot(stack, ticket_id, None)
    assert (await reclassify(stack, ticket_id, "low"))["version"] == 5
    await assert_snapshot_is_the_fold(stack, ticket_id)

    # A snapshot of another TicketState shape is ignored, not misread.
    await set_snapshot(stack, ticket_id, (await stored_snapshot(stack, ticket_id)) | {"shape": "0:older"})
    assert (await reclassify(stack, ticket_id, "urgent"))["version"] == 6
    await assert_snapshot_is_the_fold(stack, ticket_id)


async def test_work_items_keep_a_snapshot_too(stack: Stack) -> None:
    headers = stack.auth(Role.NMS)
    response = await stack.clients["dispatch"].post("/network-faults", headers=headers, json={
        "layer": "aggregation", "severity": "major", "description": "汇聚交换机离线", "department": "network-ops"})
    assert response.status_code == 201, response.text
    fault_id = uuid.UUID(response.json()["fault_id"])
    engine = stack.runtime("dispatch").engine
    async with engine.begin() as conn:
        await conn.execute(update(items.work_items).where(items.work_items.c.id == fault_id).values(snapshot=None))
    notified = await stack.clients["dispatch"].post(f"/network-faults/{fault_id}/cs-notifications", headers=headers,
                                                    json={"message": "汇聚层故障"})
    assert notified.status_code == 200, notified.text
    async with engine.connect() as conn:
        stored = (await conn.execute(select(items.work_items.c.snapshot).where(items.work_items.c.id == fault_id))
                  ).scalar_one()
        stream = await items.load_stream(conn, fault_id)
    assert items.SNAPSHOTS.restore(stored) == fold_item(stream)
    assert len(stream) == 2


async def test_a_run_of_repeat_reports_is_appended_per_ticket_in_order(stack: Stack) -> None:
    """The consumer hands dispatch a run of intake facts; each ticket's are appended together, in run order."""
    ids = [uuid.UUID((await new_ticket(stack, fault_report(product="ftth-broadband")))["ticket_id"]) for _ in "ab"]
    now = stack.clock.now()

    def report(ticket_id: uuid.UUID, n: int) -> Any:
        payload = DuplicateReportLinked(ticket_id=ticket_id, actor="ivr-1", role="ivr", channel="hotline",
                                        description=f"report {n}")
        return new_envelope(payload, ticket_id=ticket_id, sequence=100 + n, occurred_at=now, recorded_at=now,
                            producer="intake")

    run = [report(ids[0], 1), report(ids[1], 2), report(ids[0], 3), own := report(ids[1], 4)]
    run[-1] = own.model_copy(update={"producer": "dispatch"})  # dispatch's own events are already in its stream
    async with stack.runtime("dispatch").new_uow() as uow:
        await on_intake_facts(uow, run)
        await uow.commit()
    async with stack.runtime("dispatch").engine.connect() as conn:
        first, second = [await event_store.load_stream(conn, t) for t in ids]
    assert [e.payload.description for e in first[1:]] == ["report 1", "report 3"]
    assert [e.payload.description for e in second[1:]] == ["report 2"]
    for ticket_id, stream in zip(ids, (first, second), strict=True):
        await assert_snapshot_is_the_fold(stack, str(ticket_id))
        assert snapshot.restore(await stored_snapshot(stack, str(ticket_id))).duplicate_reports == len(stream) - 1
