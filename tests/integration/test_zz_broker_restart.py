"""The memory broker forgets topics and offsets when it restarts; services must carry on against the new one.
(Named to run last: it restarts the broker every other test shares.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text, update

from shared.http.auth import Role
from tests.support.lifecycle import dispatch_view
from tests.support.stack import Stack, eventually
from tests.support.tickets import post_ticket

pytestmark = pytest.mark.integration


async def test_services_survive_a_fresh_broker(stack: Stack, broker: tuple) -> None:
    _, embedded = broker
    if embedded is None:
        pytest.skip("the broker is external (KAFKA_BOOTSTRAP_SERVERS): not ours to restart")
    embedded.stop()
    await asyncio.sleep(1)
    await asyncio.to_thread(embedded.start)

    ticket_id = (await post_ticket(stack)).json()["ticket_id"]

    async def in_dispatch():
        r = await stack.clients["dispatch"].get(f"/tickets/{ticket_id}", headers=stack.auth(Role.DISPATCHER))
        return r.json() if r.status_code == 200 else None

    try:
        seen = await eventually(in_dispatch, timeout=60)
    except AssertionError:
        dispatch = stack.runtime("dispatch")
        raise AssertionError(
            f"ticket not in dispatch after the broker restart; intake outbox backlog "
            f"{await stack.runtime('intake').relay.backlog()}, dispatch consumer without partitions for "
            f"{dispatch.consumer.stuck_for():.0f}s, dispatch checks {await dispatch.readiness()}") from None
    assert seen["events_applied"] == 1
    last: dict[str, dict] = {}
    for service in stack.apps:
        try:
            await eventually(lambda s=service: _ready(stack, s, last), timeout=30)
        except AssertionError:
            raise AssertionError(f"{service} not ready after the broker restart: {last[service]}") from None
        checks = last[service]["checks"]
        assert checks.get("consumer", checks["relay"]) == "running", (service, checks)  # the console consumes nothing


async def _ready(stack: Stack, service: str, last: dict[str, dict]) -> bool:
    r = await stack.clients[service].get("/readyz")
    last[service] = r.json()
    return r.status_code == 200


async def test_events_the_broker_acknowledged_but_no_consumer_applied_survive_its_restart(
    stack: Stack, broker: tuple
) -> None:
    """Issue 7: a memory broker forgets acknowledged events. Producers publish again every outbox row some
    consumer group has not applied, however long ago it was published (no lookback window)."""
    _, embedded = broker
    if embedded is None:
        pytest.skip("the broker is external (KAFKA_BOOTSTRAP_SERVERS): not ours to restart")
    penalty, intake = stack.runtime("penalty"), stack.runtime("intake")
    await penalty.stop_consumer()  # penalty is down: what intake publishes now waits in the broker only
    ids = [(await post_ticket(stack)).json()["ticket_id"] for _ in range(10)]
    outbox = intake.spec.tables.outbox

    async def published() -> bool:
        async with intake.engine.connect() as conn:
            waiting = await conn.execute(select(func.count()).where(
                outbox.c.key.in_(ids), outbox.c.published_at.is_(None)))
            return waiting.scalar_one() == 0

    await eventually(published, timeout=30)
    async with intake.engine.begin() as conn:  # acknowledged a day ago: no fixed lookback would reach back
        await conn.execute(update(outbox).where(outbox.c.key.in_(ids))
                           .values(published_at=func.now() - text("interval '1 day'")))
    embedded.stop()
    await asyncio.sleep(1)
    await asyncio.to_thread(embedded.start)
    penalty.start_consumer()

    async def applied_once() -> dict[str, int] | None:
        seen = {}
        for ticket_id in ids:
            r = await stack.clients["penalty"].get(f"/tickets/{ticket_id}/penalties", headers=stack.auth(Role.OPS))
            if r.status_code != 200:
                return None
            seen[ticket_id] = r.json()["events_applied"]
        return seen

    seen = await eventually(applied_once, timeout=90, every=0.5)
    assert set(seen.values()) == {1}, seen

    # Leave the shared stack as the next tests expect it: every consumer back in its group after the restart.
    fresh = (await post_ticket(stack)).json()["ticket_id"]
    await eventually(lambda: dispatch_view(stack, fresh), timeout=60)
