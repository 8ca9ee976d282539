"""The SLA monitor that runs every shipped pack at once (tests/policies/every-shipped-rule.yaml), for the
every-rule tests (issue 8): its own database and consumer group; its outbox is not published, so the rest of the
stack never sees its events. One per test session (a consumer group join is slow)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.catalog import load_spec
from shared.http.auth import Role
from shared.service import create_app
from tests.support.stack import Stack

EVERY_RULE = Path(__file__).parents[1] / "policies" / "every-shipped-rule.yaml"


@dataclass
class Monitor:
    """The all-packs SLA monitor and an HTTP client to it."""

    client: httpx.AsyncClient
    stack: Stack

    async def timer(self, subject: str, rule_id: str) -> dict | None:
        response = await self.client.get(f"/tickets/{subject}/timers", headers=self.stack.auth(Role.OPS))
        if response.status_code != 200:
            return None
        return next((t for t in response.json()["timers"] if t["rule_id"] == rule_id), None)


@pytest.fixture(scope="session")
async def monitor(stack: Stack) -> AsyncIterator[Monitor]:
    spec = dataclasses.replace(load_spec("sla_monitor"), name="sla_every_rule")  # own database and group
    settings = stack.settings.model_copy(update={"gongdan_policy": EVERY_RULE})
    app = create_app(spec, settings, stack.clock)
    runtime = app.state.runtime
    await runtime.start()
    relay = runtime._tasks.pop("relay")
    relay.cancel()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sla-every-rule")
    try:
        yield Monitor(client, stack)
    finally:
        await client.aclose()
        await runtime.stop()
