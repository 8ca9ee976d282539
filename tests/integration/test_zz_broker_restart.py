"""The memory broker forgets topics and offsets when it restarts; services must carry on against the new one.
(Named to run last: it restarts the broker every other test shares.)"""

from __future__ import annotations

import asyncio

import pytest

from shared.http.auth import Role
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
        assert last[service]["checks"]["consumer" if service != "intake" else "relay"] == "running"


async def _ready(stack: Stack, service: str, last: dict[str, dict]) -> bool:
    r = await stack.clients[service].get("/readyz")
    last[service] = r.json()
    return r.status_code == 200
