"""Which outbox rows every downstream consumer group has applied: the delivery watermark.

The relay records the partition and offset each row landed at. A consumer group commits its offsets only after
its database transaction, so a row below every consuming group's committed offset of its partition is applied
everywhere. The highest outbox id below which all rows are applied is kept in `outbox_delivery`. With a memory
broker, everything above it is published again after a broker or stack restart (consumers deduplicate); it is
also how far the outbox may be trimmed, and the number of rows above it is a lag measure that works on every
broker (Tansu's `end_offsets` does not).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.persistence.tables import Tables

_UNAPPLIED = text(
    """
    SELECT min(o.id) FROM outbox o
    LEFT JOIN unnest(CAST(:topics AS text[]), CAST(:parts AS int[]), CAST(:offs AS bigint[])) AS c(topic, p, m)
      ON o.topic = c.topic AND o.kafka_partition = c.p
    WHERE o.id > :through
      AND (o.published_at IS NULL
           OR (o.topic = ANY(CAST(:tracked AS text[])) AND (c.m IS NULL OR o.kafka_offset >= c.m)))
    """
)


class DeliveryTracker:
    def __init__(self, engine: AsyncEngine, tables: Tables, bootstrap: str,
                 consumer_groups: Mapping[str, tuple[str, ...]]) -> None:
        """`consumer_groups`: for each topic, the groups that must apply its events (topics without any are
        applied as soon as they are published)."""
        self._engine, self._tables, self._bootstrap = engine, tables, bootstrap
        self._groups = {topic: groups for topic, groups in consumer_groups.items() if groups}

    async def applied_through(self) -> int:
        delivery = self._tables.outbox_delivery
        async with self._engine.connect() as conn:
            return (await conn.execute(select(delivery.c.applied_through))).scalar() or 0

    async def unapplied(self) -> int:
        """Outbox rows some consumer group may not have applied yet."""
        outbox = self._tables.outbox
        through = await self.applied_through()
        async with self._engine.connect() as conn:
            return (await conn.execute(select(func.count()).where(outbox.c.id > through))).scalar_one()

    async def advance(self, same_broker: Callable[[], Awaitable[bool]] | None = None) -> int:
        """Move the watermark up to what every group has committed; returns it.

        `same_broker` is asked after the offsets were read: a memory broker that restarted in between would
        pair old offsets with new commits, so then nothing is stored."""
        outbox = self._tables.outbox
        through = await self.applied_through()
        async with self._engine.connect() as conn:
            landed = (
                await conn.execute(
                    select(outbox.c.topic, outbox.c.kafka_partition).distinct()
                    .where(outbox.c.id > through, outbox.c.kafka_partition.is_not(None),
                           outbox.c.topic.in_(list(self._groups)))
                )
            ).all()
        committed = await self._committed([TopicPartition(r.topic, r.kafka_partition) for r in landed])
        if same_broker is not None and not await same_broker():
            return through
        async with self._engine.begin() as conn:
            first_unapplied = (
                await conn.execute(_UNAPPLIED, {
                    "through": through, "tracked": list(self._groups),
                    "topics": [tp.topic for tp in committed], "parts": [tp.partition for tp in committed],
                    "offs": list(committed.values()),
                })
            ).scalar()
            if first_unapplied is None:
                newest = (await conn.execute(select(func.max(outbox.c.id)))).scalar() or through
                new_through = max(newest, through)
            else:
                new_through = first_unapplied - 1
            if new_through > through:
                delivery = self._tables.outbox_delivery
                await conn.execute(
                    update(delivery).values(applied_through=func.greatest(delivery.c.applied_through, new_through),
                                            updated_at=func.now())
                )
        return max(new_through, through)

    async def _committed(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The lowest committed offset over the groups that consume each partition (0: a group has none)."""
        lowest: dict[TopicPartition, int] = {}
        groups = {g for tp in partitions for g in self._groups[tp.topic]}
        for group in sorted(groups):
            mine = [tp for tp in partitions if group in self._groups[tp.topic]]
            peek = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=group, enable_auto_commit=False,
                                    request_timeout_ms=5000)
            await peek.start()
            try:
                peek.assign(mine)  # manual assignment: reads the group's offsets without joining it
                for tp in mine:
                    offset = await peek.committed(tp) or 0
                    lowest[tp] = min(lowest.get(tp, offset), offset)
            finally:
                await peek.stop()
        return lowest
