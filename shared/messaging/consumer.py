"""Thin consume loop: a batch of messages -> one transaction (inbox + projection + outbox) -> commit offsets.

Failures are told apart (shared/messaging/transient.py): a transient one (database or broker briefly away) is
retried with backoff and never drops an event; a permanent one (bad data, a handler bug on one event) parks
that event after a bounded number of attempts (shared/messaging/parking.py) and the partition moves on. A
consumer that keeps failing or makes no progress says so in its `health()`, once in the log, and in metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, UnknownTopicOrPartitionError

from shared.events import DecodeError, Envelope, decode
from shared.messaging.parking import park
from shared.messaging.transient import TRANSIENT_ERRORS, describe_failure, is_transient
from shared.messaging.unit_of_work import UnitOfWork
from shared.metrics import ServiceMetrics

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, list[Envelope]], Awaitable[None]]

HANDLER_ATTEMPTS = 3  # a handler failing this often on one event (permanently) gets the event parked
STUCK_AFTER = 30.0  # seconds a fetched batch may wait unapplied before the consumer reports itself stuck


def batched(handler: BatchHandler) -> Handler:
    """Mark a handler that takes a run of consecutive events of its type in one call (fewer statements)."""
    handler.takes_runs = True  # type: ignore[attr-defined]
    return handler  # type: ignore[return-value]


def batched_across_types(handler: BatchHandler) -> Handler:
    """Mark a handler registered for several types that takes a run of consecutive events of any of them in one
    call, in their order (a projection that folds every event of a batch's tickets and then writes set-based, like
    compensation's claims). Without it, a ticket's events of alternating types would come one call each."""
    handler.takes_runs = True  # type: ignore[attr-defined]
    handler.runs_across_types = True  # type: ignore[attr-defined]
    return handler  # type: ignore[return-value]


def _takes_runs(handler: Handler) -> bool:
    return getattr(handler, "takes_runs", False)


def _run_key(handlers: Mapping[str, Handler], envelope: Envelope) -> object:
    """What a run shares: the event type, or the handler itself when it takes runs across its types."""
    handler = handlers[envelope.type]
    return handler if getattr(handler, "runs_across_types", False) else envelope.type


def _runs(items: list[tuple[ConsumerRecord, Envelope]], handlers: Mapping[str, Handler]):
    """Consecutive events of one type (or of one handler that takes runs across types) whose handler takes runs go
    together; order is kept."""
    run: list[tuple[ConsumerRecord, Envelope]] = []
    for item in items:
        if run and (not _takes_runs(handlers[item[1].type])
                    or _run_key(handlers, item[1]) != _run_key(handlers, run[-1][1])):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


async def call_handler(handlers: Mapping[str, Handler], uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    handler = handlers[envelopes[0].type]
    if _takes_runs(handler):
        await handler(uow, envelopes)  # type: ignore[arg-type]
    else:
        for envelope in envelopes:
            await handler(uow, envelope)


@dataclass
class _Trouble:
    reason: str
    partitions: str
    since: float
    attempts: int = 1


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
        self.assigned = asyncio.Event()
        self.unassigned_since: float | None = None
        self._in_hand_since: float | None = None  # wall time of the oldest fetched, not yet applied event
        self._in_hand_fetched: float | None = None  # monotonic time that batch was fetched
        self._trouble: _Trouble | None = None

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
            if not await self._apply_until_done(batch):
                return  # stopping: offsets stay uncommitted, the batch is redelivered and deduplicated
            await self.commit_offsets(consumer, {tp: msgs[-1].offset + 1 for tp, msgs in batch.items()})
            self._record_lag(consumer, batch)

    async def commit_offsets(self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int]) -> None:
        """After the database commit: a crash before this line redelivers the batch, which the inbox skips."""
        try:
            await consumer.commit(offsets)
        except CommitFailedError:
            log.info("%s: rebalanced before offsets were committed; redelivery is deduplicated", self.group_id)
        except UnknownTopicOrPartitionError:
            raise  # the broker lost the topic (memory broker restarted): reconnect; the watchdog recreates it

    async def _apply_until_done(self, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> bool:
        """Apply the batch, retrying with backoff for as long as it fails: a transient failure must not drop
        events, and a failure outside any one event (the inbox or outbox write itself) cannot be pinned on one.
        False when asked to stop first."""
        self._in_hand_since = min(msgs[0].timestamp for msgs in batch.values()) / 1000
        self._in_hand_fetched = time.monotonic()
        backoff = 0.2
        while True:
            try:
                await self.apply(batch)
            except Exception as exc:  # noqa: BLE001 - reported and retried, never dropped
                self._note_trouble(exc, batch)
                try:
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                    return False
                except TimeoutError:
                    backoff = min(backoff * 2, 5.0)
                continue
            self._note_recovered()
            self._in_hand_since = self._in_hand_fetched = None
            return True

    def _note_trouble(self, exc: Exception, batch: Mapping[TopicPartition, list[ConsumerRecord]]) -> None:
        reason = f"{'transient' if is_transient(exc) else 'permanent'}: {describe_failure(exc)}"[:500]
        partitions = ", ".join(f"{tp.topic}[{tp.partition}]@{msgs[0].offset}" for tp, msgs in batch.items())
        if self._trouble is not None and self._trouble.reason == reason:
            self._trouble.attempts += 1
            return
        self._trouble = _Trouble(reason, partitions, time.time())
        log.warning("%s: cannot apply batch (%s) at %s; retrying with backoff until it succeeds",
                    self.group_id, reason, partitions)

    def _note_recovered(self) -> None:
        if self._trouble is not None:
            log.warning("%s: recovered after %d failed attempts over %.0fs", self.group_id,
                        self._trouble.attempts, time.time() - self._trouble.since)
            self._trouble = None

    def oldest_unapplied_seconds(self) -> float:
        """Age of the oldest event fetched and not yet applied (0 when none is in hand)."""
        return max(time.time() - self._in_hand_since, 0.0) if self._in_hand_since is not None else 0.0

    def health(self) -> dict[str, object]:
        """`ok`, or `degraded` with the partition and the reason: failing, or a batch waiting too long."""
        if self._trouble is not None:
            return {"state": "degraded", "reason": self._trouble.reason, "partitions": self._trouble.partitions,
                    "failing_for_seconds": round(time.time() - self._trouble.since, 1),
                    "attempts": self._trouble.attempts}
        if self._in_hand_fetched is not None and time.monotonic() - self._in_hand_fetched > STUCK_AFTER:
            return {"state": "degraded", "reason": "no progress: a fetched batch is still being applied",
                    "oldest_unapplied_seconds": round(self.oldest_unapplied_seconds(), 1)}
        return {"state": "ok"}

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

        Fast path: one inbox statement for the batch and no savepoints. If a handler fails permanently on a
        valid event, the batch is rolled back and applied again with a savepoint per event, so only that event
        is parked. A transient failure is raised for the caller to retry the whole batch."""
        records = [record for records in batch.values() for record in records]
        try:
            outcomes = await self._apply_records(records, isolate=False)
        except Exception as exc:
            if is_transient(exc):
                raise
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
                    await self._park(uow, record, exc.reason, attempts=1)
                    outcomes.append(("invalid", "dead_letter"))
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
                    await call_handler(self._handlers, uow, [envelope for _, envelope in run])
                    outcomes.extend((envelope.type, "applied") for _, envelope in run)
            await uow.commit()
        return outcomes

    async def _apply_isolated(self, uow: UnitOfWork, record: ConsumerRecord, envelope: Envelope) -> tuple[str, str]:
        failure: Exception | None = None
        for _ in range(HANDLER_ATTEMPTS):
            savepoint = await uow.conn.begin_nested()
            mark = uow.pending_mark()
            try:
                await call_handler(self._handlers, uow, [envelope])
                await savepoint.commit()
                return envelope.type, "applied"
            except Exception as exc:
                await savepoint.rollback()
                uow.discard_since(mark)
                if is_transient(exc):
                    raise
                failure = exc
        assert failure is not None
        reason = f"handler failed: {describe_failure(failure)}"
        log.error("%s: handler for %s %s failed %d times; parking it: %s", self.group_id, envelope.type,
                  envelope.event_id, HANDLER_ATTEMPTS, reason)
        await self._park(uow, record, reason, attempts=HANDLER_ATTEMPTS, envelope=envelope)
        return envelope.type, "dead_letter"

    async def _park(self, uow: UnitOfWork, record: ConsumerRecord, reason: str, attempts: int,
                    envelope: Envelope | None = None) -> None:
        if await park(uow, self.group_id, record, reason, attempts, envelope):
            self._metrics.events_parked.inc()

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
