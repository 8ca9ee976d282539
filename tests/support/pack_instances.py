"""Another pack's SLA monitor and penalty service beside the test stack (issue 10: a scripted month across packs).

The stack runs the default policy (Tietong timers and clauses). To assess the same tickets under another pack, a
pair of instances runs that pack's policy file, each with its own database and consumer group (like the all-packs
monitor, tests/support/all_packs.py), both reading the stack's topics (gongdan.tickets, gongdan.directory, …)
through the real broker. The pair's monitor publishes its SLA events through its own outbox relay onto a topic of
its own (`gongdan.sla.<pack>.<tag>`), which the pair's penalty consumes in place of gongdan.sla: the stack's
dispatch and penalty never see a second monitor's timers. The pair's penalty publishes nothing (its relay is
stopped): the platform's gongdan.penalties stays the stack's.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.catalog import load_spec
from shared.events.topics import TOPICS
from shared.messaging.kafka import ensure_topics
from shared.messaging.relay import OutboxRelay
from shared.service import create_app
from tests.support.all_packs import Monitor
from tests.support.stack import Stack

POLICIES = Path(__file__).parents[2] / "policies"


class RenamedTopics:
    """The producer a relay sends through, with topics renamed (the rest of the producer unchanged)."""

    def __init__(self, producer: Any, renames: Mapping[str, str]) -> None:
        self._producer, self._renames = producer, dict(renames)

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> Any:
        return await self._producer.send(self._renames.get(topic, topic), value, key=key)


@dataclass
class PackPair:
    """A pack's own monitor (timers API) and penalty (ledger API)."""

    pack: str
    monitor: Monitor
    penalty: httpx.AsyncClient


def _client(app: FastAPI, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url=f"http://{name}")


@asynccontextmanager
async def pack_pair(stack: Stack, pack: str) -> AsyncIterator[PackPair]:
    """Start `pack`'s monitor and penalty on the stack's clock, broker and database server; stop them after."""
    name = pack.replace("-", "_")
    tag = uuid.uuid4().hex[:8]
    renames = {TOPICS.sla: f"{TOPICS.sla}.{pack}.{tag}", TOPICS.dead_letter: f"{TOPICS.dead_letter}.{pack}.{tag}"}
    settings = stack.settings.model_copy(update={"gongdan_policy": POLICIES / f"{pack}.yaml"})
    await ensure_topics(settings.kafka_bootstrap_servers, list(renames.values()), settings.gongdan_topic_partitions)

    sla_app = create_app(dataclasses.replace(load_spec("sla_monitor"), name=f"sla_{name}"), settings, stack.clock)
    penalty_spec = load_spec("penalty")  # what it consumes, with the pair's monitor's topic for gongdan.sla
    penalty_spec = dataclasses.replace(penalty_spec, name=f"penalty_{name}",
                                       consumes=[renames.get(t, t) for t in penalty_spec.consumes])
    penalty_app = create_app(penalty_spec, settings, stack.clock)
    sla_rt, penalty_rt = sla_app.state.runtime, penalty_app.state.runtime
    clients: list[httpx.AsyncClient] = []
    try:
        await sla_rt.start()
        sla_rt._tasks.pop("relay").cancel()  # noqa: SLF001 - replaced by a relay onto the pair's own topics
        sla_rt.relay = OutboxRelay(sla_rt.engine, sla_rt.spec.tables, RenamedTopics(sla_rt.producer, renames),
                                   sla_rt.clock, sla_rt.metrics)
        sla_rt._spawn("relay", sla_rt.relay.run())  # noqa: SLF001 - stopped (drained) by runtime.stop()
        await penalty_rt.start()
        penalty_rt._tasks.pop("relay").cancel()  # noqa: SLF001 - its ledger is not the platform's
        clients = [_client(sla_app, f"sla-{pack}"), _client(penalty_app, f"penalty-{pack}")]
        yield PackPair(pack, Monitor(clients[0], stack), clients[1])
    finally:
        for client in clients:
            await client.aclose()
        for rt in (penalty_rt, sla_rt):
            if hasattr(rt, "engine"):
                await rt.stop()
