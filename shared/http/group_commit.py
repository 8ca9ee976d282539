"""Group commit: write requests that arrive while a transaction is in flight share the next transaction (issue 13).

One transaction and a dozen statements per request kept intake's POST /tickets near 400 a second on two cores
(the guide's "one transaction per event" figure); the same work done set-based for a batch costs a handful of
statements whatever the batch's size. No request waits for a timer: the first one to arrive while none is being
written starts a writer, which takes everything queued (up to `max_batch`) each time it is free. At low load a
batch is one request, written alone (`write_one`: with nothing to share, the single-row statements cost less than
the set-based ones); under load batches grow and each request's share of the work shrinks.

A batch that fails as a whole (a deadlock, a bug, a constraint) is not allowed to fail its requests: each is run
again alone (`write_one`), so a request is answered exactly as if it had come alone. The one exception is a
connection lost mid-batch: its commit may have gone through, so only requests that can be replayed safely (an
Idempotency-Key) are run again; the others get the error, as they would alone.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Answer = TypeVar("Answer")


@dataclass(frozen=True)
class RunAlone:
    """`write_many`'s outcome for an item it left out of the batch's transaction: it is written alone after."""


ALONE = RunAlone()


class GroupCommit(Generic[Item, Answer]):
    def __init__(self, write_many: Callable[[list[Item]], Awaitable[list[Answer | BaseException | RunAlone]]],
                 write_one: Callable[[Item], Awaitable[Answer]], *, replay_key: Callable[[Item], Hashable | None],
                 max_batch: int = 64, writers: int = 2, on_batch: Callable[[int, float], None] = lambda size, seconds: None) -> None:
        """`write_many` writes a batch in one transaction and returns each item's answer (or the exception to raise
        for it, or ALONE); `write_one` writes one item in its own transaction. `replay_key` names what makes an item
        safe to run twice (its Idempotency-Key): two items with the same key never share a batch, and only items
        with one are run again after a lost connection. Up to `writers` batches are written at once, each in its own
        transaction: a batch spends most of its time waiting for the database, not on the CPU. `on_batch(size,
        seconds)` follows each batch (metrics)."""
        self._write_many, self._write_one, self._replay_key = write_many, write_one, replay_key
        self._max_batch, self._writers, self._on_batch = max_batch, writers, on_batch
        self._queue: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._writing: set[asyncio.Task[None]] = set()
        self.batches = 0  # written so far, for metrics and tests
        self.largest = 0

    async def submit(self, item: Item) -> Answer:
        """Write `item` with whatever else is waiting; its answer, or its exception raised here."""
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queue.append((item, answer))
        if len(self._writing) < self._writers:
            writer = asyncio.create_task(self._write_queued())
            self._writing.add(writer)
            writer.add_done_callback(self._writing.discard)
        return await asyncio.shield(answer)  # a caller that goes away does not cancel the others' batch

    async def _write_queued(self) -> None:
        while self._queue:
            batch = self._take()
            self.batches, self.largest = self.batches + 1, max(self.largest, len(batch))
            started = time.perf_counter()
            try:
                await self._write(batch)
            except BaseException as exc:  # never leave a caller waiting forever
                for _, answer in batch:
                    if not answer.done():
                        answer.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            self._on_batch(len(batch), time.perf_counter() - started)

    def _take(self) -> list[tuple[Item, asyncio.Future[Answer]]]:
        """The next batch in arrival order: items whose replay key is already in it wait for the next one."""
        batch, keys, rest = [], set(), []
        for entry in self._queue:
            key = self._replay_key(entry[0])
            if len(batch) >= self._max_batch or (key is not None and key in keys):
                rest.append(entry)
                continue
            batch.append(entry)
            if key is not None:
                keys.add(key)
        self._queue = rest
        return batch

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Answer]]]) -> None:
        if len(batch) == 1:  # nothing to share: the single-row statements cost less than the set-based ones
            outcomes: list[Answer | BaseException | RunAlone] = [ALONE]
        else:
            outcomes = await self._write_batch(batch)
        await self._answer(batch, outcomes)

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[Answer]]]
                           ) -> list[Answer | BaseException | RunAlone]:
        try:
            return await self._write_many([item for item, _ in batch])
        except Exception as exc:  # noqa: BLE001 - the batch is run again item by item below
            lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
            log.warning("a batch of %d failed (%s); each runs alone", len(batch), type(exc).__name__)
            return [exc if lost and self._replay_key(item) is None else ALONE for item, _ in batch]

    async def _answer(self, batch: list[tuple[Item, asyncio.Future[Answer]]],
                      outcomes: list[Answer | BaseException | RunAlone]) -> None:
        """Each caller's answer: the batch's outcome for it, or its own write for an item left ALONE."""
        for (item, answer), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, RunAlone):
                try:
                    outcome = await self._write_one(item)
                except Exception as exc:  # noqa: BLE001 - handed to its caller
                    outcome = exc
            if answer.done():
                continue
            if isinstance(outcome, BaseException):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)
