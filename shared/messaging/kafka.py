"""Broker plumbing: producer settings that work on Kafka, Redpanda and Tansu, and topic creation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from shared.messaging.transient import TRANSIENT_ERRORS as TRANSIENT

log = logging.getLogger(__name__)


def new_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    # Tansu rejects idempotent producers; duplicates are removed by every consumer's inbox instead.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=False,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=15000,
        metadata_max_age_ms=5000,
    )


@asynccontextmanager
async def _admin(bootstrap: str, timeout_ms: int = 3000) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms)
    try:
        await admin.start()
        yield admin
    finally:
        await admin.close()


async def missing_topics(bootstrap: str, topics: list[str], timeout_ms: int = 3000) -> list[str]:
    """Topics the broker does not have; a memory broker that restarted has none of them."""
    async with _admin(bootstrap, timeout_ms) as admin:
        existing = set(await admin.list_topics())
    return [t for t in topics if t not in existing]


async def ensure_topics(bootstrap: str, topics: list[str], partitions: int, give_up_after: float = 60) -> None:
    """Create missing topics; safe to call on every start (a fresh memory broker has none)."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(TRANSIENT),
        wait=wait_exponential(multiplier=0.2, max=3),
        stop=stop_after_delay(give_up_after),
        reraise=True,
    ):
        with attempt:
            missing = await missing_topics(bootstrap, topics, timeout_ms=10000)
            if not missing:
                return
            async with _admin(bootstrap, 10000) as admin:
                try:
                    await admin.create_topics(
                        [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                    )
                    log.info("created topics %s", missing)
                except TopicAlreadyExistsError:
                    pass


async def delete_topics(bootstrap: str, topics: list[str]) -> None:
    try:
        async with _admin(bootstrap) as admin:
            await admin.delete_topics(topics)
    except TRANSIENT:
        log.info("could not delete %s (broker gone); harmless", topics)


async def broker_reachable(bootstrap: str) -> bool:
    try:
        async with _admin(bootstrap) as admin:
            await admin.list_topics()
        return True
    except TRANSIENT:
        return False
