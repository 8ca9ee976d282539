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

    assert (await eventually(in_dispatch, timeout=60))["events_applied"] == 1
    for service in stack.apps:
        ready = await eventually(lambda s=service: _ready(stack, s), timeout=30)
        assert ready["checks"]["consumer" if service != "intake" else "relay"] == "running"


async def _ready(stack: Stack, service: str):
    r = await stack.clients[service].get("/readyz")
    return r.json() if r.status_code == 200 else None
