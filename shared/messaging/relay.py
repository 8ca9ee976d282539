"""Publishes outbox rows in id order, so each ticket's events reach the broker in the order they were made."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from aiokafka import AIOKafkaProducer
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.clock import Clock
from shared.messaging.transient import TRANSIENT_ERRORS, reraise_if_cancelling
from shared.metrics import ServiceMetrics
from shared.persistence.tables import Tables

log = logging.getLogger(__name__)
_RELAY_LOCK = 7_410_002  # one relay per service database at a time keeps per-ticket order across instances
_RETENTION = timedelta(days=7)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        tables: Tables,
        producer: AIOKafkaProducer,
        clock: Clock,
        metrics: ServiceMetrics,
        batch_size: int = 1000,
        idle_poll: float = 0.25,
    ) -> None:
        self._engine, self._tables, self._producer = engine, tables, producer
        self._clock, self._metrics = clock, metrics
        self._batch_size, self._idle_poll = batch_size, idle_poll
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.1
        last_housekeeping = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()  # before reading the outbox: a commit from now on wakes the next round at once
            try:
                sent = await self.publish_batch()
                backoff = 0.1
                if loop.time() - last_housekeeping > 5:
                    await self._housekeeping()
                    last_housekeeping = loop.time()
            except TRANSIENT_ERRORS as exc:
                reraise_if_cancelling(exc)
                log.warning("outbox relay: broker or database unavailable (%s); retrying in %.1fs", exc, backoff)
                sent = 0
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            if self._stopping and sent == 0:
                return
            if sent < self._batch_size:
                try:
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll)
                except TimeoutError:
                    pass

    async def publish_batch(self) -> int:
        outbox = self._tables.outbox
        async with self._engine.connect() as conn, conn.begin():
            if not (await conn.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _RELAY_LOCK})).scalar():
                return 0
            rows = (
                await conn.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            futures = [await self._producer.send(r.topic, r.value, key=r.key.encode()) for r in rows]
            landed = await asyncio.gather(*futures)
            await conn.execute(
                text(
                    "UPDATE outbox SET published_at = now(), kafka_partition = v.p, kafka_offset = v.o "
                    "FROM unnest(CAST(:ids AS bigint[]), CAST(:parts AS int[]), CAST(:offs AS bigint[])) "
                    "AS v(id, p, o) WHERE outbox.id = v.id"
                ),
                {"ids": [r.id for r in rows], "parts": [m.partition for m in landed],
                 "offs": [m.offset for m in landed]},
            )
        for r in rows:
            self._metrics.events_produced.labels(topic=r.topic).inc()
        return len(rows)

    async def republish_unconfirmed(self) -> int:
        """Queue again every published row that some consumer group may not have applied (above the delivery
        watermark): a memory broker that restarted has dropped them. Consumers' inboxes make copies harmless.

        Takes the relay lock, so a batch in flight finishes first and cannot mark a row published after this."""
        outbox, delivery = self._tables.outbox, self._tables.outbox_delivery
        async with self._engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _RELAY_LOCK})
            through = (await conn.execute(select(delivery.c.applied_through))).scalar() or 0
            result = await conn.execute(
                update(outbox).where(outbox.c.id > through, outbox.c.published_at.is_not(None))
                .values(published_at=None, kafka_partition=None, kafka_offset=None)
            )
        self.wake()
        return result.rowcount

    async def backlog(self) -> tuple[int, float]:
        """(unpublished rows, age in seconds of the oldest) — the lag measure that works on every broker."""
        outbox = self._tables.outbox
        async with self._engine.connect() as conn:
            count, oldest = (
                await conn.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
                )
            ).one()
        age = (self._clock.now() - oldest).total_seconds() if oldest else 0.0
        return count, max(age, 0.0)

    async def _housekeeping(self) -> None:
        count, age = await self.backlog()
        self._metrics.outbox_backlog.set(count)
        self._metrics.outbox_oldest_seconds.set(age)
        outbox = self._tables.outbox
        delivery = self._tables.outbox_delivery
        async with self._engine.begin() as conn:
            # Only rows every consumer has applied may go: the rest may have to be published again.
            through = select(delivery.c.applied_through).scalar_subquery()
            await conn.execute(
                delete(outbox).where(outbox.c.published_at < func.now() - _RETENTION, outbox.c.id <= through)
            )
