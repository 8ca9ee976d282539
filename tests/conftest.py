"""Session-wide fixtures: the infrastructure and the in-process service stack are started once (consumer-group
joins are slow on Tansu), and shared by every integration test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.all_packs import monitor  # noqa: F401  (fixture: the all-packs SLA monitor)
from tests.support.infra import kafka_broker, postgres_server
from tests.support.stack import Stack, start_stack


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def broker() -> Iterator[tuple]:
    with kafka_broker() as pair:
        yield pair


@pytest.fixture(scope="session")
async def stack(database_url: str, broker: tuple) -> AsyncIterator[Stack]:
    running = await start_stack(database_url, broker[0], volatile_broker=broker[1] is not None)
    try:
        yield running
    finally:
        await running.stop()
