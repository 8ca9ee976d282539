"""Thin consume loop: a batch of messages -> one transaction (inbox + projection + outbox) -> commit offsets."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, UnknownTopicOrPartitionError

from shared.events import DecodeError, Envelope, decode
from shared.events.topics import TOPICS
from shared.messaging.transient import TRANSIENT_ERRORS
from shared.messaging.unit_of_work import UnitOfWork
from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, list[Envelope]], Awaitable[None]]


def batched(handler: BatchHandler) -> Handler:
    """Mark a handler that takes a run of consecutive events of its type in one call (fewer statements)."""
    handler.takes_runs = True  # type: ignore[attr-defined]
    return handler  # type: ignore[return-value]


def _takes_runs(handler: Handler) -> bool:
    return getattr(handler, "takes_runs", False)
_DLQ_NAMESPACE = uuid.UUID("6f1d3c1e-8a53-4c55-9a43-0e0c2b4d9f10")


def _runs(items: list[tuple[ConsumerRecord, Envelope]], handlers: Mapping[str, Handler]):
    """Consecutive events of one type whose handler takes runs go together; order is kept."""
    run: list[tuple[ConsumerRecord, Envelope]] = []
    for item in items:
        if run and (item[1].type != run[-1][1].type or not _takes_runs(handlers[item[1].type])):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


class CrashForTest(Exception):
    """Raised by the `crash_before_offset_commit` hook: simulates a process dying between the two commits."""


class EventConsumer:
    def __init__(
        self,
        *,
        group_id: str,
        topics: list[str],
        bootstrap: str,
        handlers: Mapping[str, Handler],
        new_uow: Callable[[], UnitOfWork],
        metrics: ServiceMetrics,
        batch_size: int = 500,
    ) -> None:
        self.group_id, self.topics, self._bootstrap = group_id, topics, bootstrap
        self._handlers, self._new_uow, self._metrics = handlers, new_uow, metrics
        self._batch_size = batch_size
        self._stopping = asyncio.Event()
        self._reconnect = asyncio.Event()
        self.crash_before_offset_commit = False
        self.assigned = asyncio.Event()
        self.unassigned_since: float | None = None

    def stop(self) -> None:
        self._stopping.set()

    def reconnect(self) -> None:
        """Leave the group and join again after the batch in hand (the broker was replaced)."""
        self._reconnect.set()

    async def run(self) -> None:
        """Consume until stopped; reconnect with backoff when the broker goes away (memory brokers restart empty)."""
        backoff = 0.2
        while not self._stopping.is_set():
            consumer = AIOKafkaConsumer(
                *self.topics,
                bootstrap_servers=self._bootstrap,
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_records=self._batch_size,
                metadata_max_age_ms=5000,
            )
            self.kafka = consumer
            try:
                await consumer.start()
                backoff = 0.2
                await self._loop(consumer)
            except TRANSIENT_ERRORS as exc:
                log.warning("%s: consumer error (%r); reconnecting in %.1fs", self.group_id, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                await consumer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        self._reconnect.clear()
        while not self._stopping.is_set() and not self._reconnect.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=self._batch_size)
            self._track_assignment(bool(consumer.assignment()))
            if not batch:
                self._metrics.consumer_lag_seconds.set(0)
                continue
            await self.apply(batch)
            if self.crash_before_offset_commit:
                raise CrashForTest(self.group_id)
            offsets = {tp: msgs[-1].offset + 1 for tp, msgs in batch.items()}
            try:
                await consumer.commit(offsets)
            except CommitFailedError:
                log.info("%s: rebalanced before offsets were committed; redelivery is deduplicated", self.group_id)
            except UnknownTopicOrPartitionError:
                raise  # the broker lost the topic (memory broker restarted): reconnect; the watchdog recreates it
            self._record_lag(consumer, batch)

    def _track_assignment(self, assigned: bool) -> None:
        now = asyncio.get_running_loop().time()
        if assigned:
            self.assigned.set()
            self.unassigned_since = None
        elif self.unassigned_since is None:
            self.unassigned_since = now

    def stuck_for(self) -> float:
        """Seconds this consumer has been polling without any partition assigned."""
        if self.unassigned_since is None:
            return 0.0
        return asyncio.get_running_loop().time() - self.unassigned_since

    async def apply(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        """Apply a batch in one transaction; a redelivered event is skipped by the inbox.

        Fast path: one inbox statement for the batch and no savepoints. If a handler fails on a valid event,
        the batch is rolled back and applied again with a savepoint per event, so only that event is parked."""
        records = [record for records in batch.values() for record in records]
        try:
            outcomes = await self._apply_records(records, isolate=False)
        except TRANSIENT_ERRORS:
            raise
        except Exception:  # noqa: BLE001 - a handler failed: find the culprit event by event
            outcomes = await self._apply_records(records, isolate=True)
        for event_type, outcome in outcomes:
            self._metrics.events_consumed.labels(type=event_type, outcome=outcome).inc()

    async def _apply_records(self, records: list[ConsumerRecord], isolate: bool) -> list[tuple[str, str]]:
        outcomes: list[tuple[str, str]] = []
        async with self._new_uow() as uow:
            decoded: list[tuple[ConsumerRecord, Envelope]] = []
            for record in records:
                try:
                    envelope = decode(record.value)
                except DecodeError as exc:
                    outcomes.append((await self._dead_letter(uow, record, exc.reason), "dead_letter"))
                    continue
                if envelope.type in self._handlers:
                    decoded.append((record, envelope))
                else:
                    outcomes.append((envelope.type, "ignored"))
            fresh = await uow.mark_all_consumed([(e.event_id, e.type, r.topic) for r, e in decoded])
            todo: list[tuple[ConsumerRecord, Envelope]] = []
            for record, envelope in decoded:
                if envelope.event_id not in fresh:
                    outcomes.append((envelope.type, "duplicate"))
                    continue
                fresh.discard(envelope.event_id)  # the same event twice in one batch: apply once
                todo.append((record, envelope))
            if isolate:
                for record, envelope in todo:
                    outcomes.append(await self._apply_isolated(uow, record, envelope))
            else:
                for run in _runs(todo, self._handlers):
                    await self._call(uow, [envelope for _, envelope in run])
                    outcomes.extend((envelope.type, "applied") for _, envelope in run)
            await uow.commit()
        return outcomes

    async def _call(self, uow: UnitOfWork, envelopes: list[Envelope]) -> None:
        handler = self._handlers[envelopes[0].type]
        if _takes_runs(handler):
            await handler(uow, envelopes)  # type: ignore[arg-type]
        else:
            for envelope in envelopes:
                await handler(uow, envelope)

    async def _apply_isolated(self, uow: UnitOfWork, record: ConsumerRecord, envelope: Envelope) -> tuple[str, str]:
        savepoint = await uow.conn.begin_nested()
        mark = uow.pending_mark()
        try:
            await self._call(uow, [envelope])
            await savepoint.commit()
        except TRANSIENT_ERRORS:
            raise
        except Exception as exc:  # a poison event must not stop the stream: park it with the reason
            await savepoint.rollback()
            uow.discard_since(mark)
            log.exception("%s: handler for %s failed", self.group_id, envelope.type)
            await self._dead_letter(uow, record, f"handler failed: {type(exc).__name__}: {exc}")
            return envelope.type, "dead_letter"
        return envelope.type, "applied"

    async def _dead_letter(self, uow: UnitOfWork, record: ConsumerRecord, reason: str) -> str:
        raw = record.value or b""
        message_id = uuid.uuid5(_DLQ_NAMESPACE, f"{self.group_id}:{hashlib.sha256(raw).hexdigest()}")
        if await uow.mark_all_consumed([(message_id, "dead-letter", record.topic)]):
            body = {
                "reason": reason,
                "consumer_group": self.group_id,
                "source": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
                "key": record.key.decode(errors="replace") if record.key else None,
                "value": raw.decode(errors="replace"),
            }
            uow.publish_raw(TOPICS.dead_letter, body["key"] or "", json.dumps(body).encode(), message_id)
            log.warning("%s: dead-lettered %s:%s@%s: %s", self.group_id, record.topic, record.partition,
                        record.offset, reason)
        return "invalid"

    def _record_lag(self, consumer: AIOKafkaConsumer, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        newest_ms = max(msgs[-1].timestamp for msgs in batch.values())
        self._metrics.consumer_lag_seconds.set(max(time.time() - newest_ms / 1000, 0))
        for tp in batch:
            highwater = consumer.highwater(tp)
            if highwater is not None:
                position = batch[tp][-1].offset + 1
                self._metrics.consumer_lag_messages.labels(topic=tp.topic, partition=str(tp.partition)).set(
                    max(highwater - position, 0)
                )
