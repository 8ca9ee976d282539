"""One transaction for state and outgoing events (outbox), and for consumed event ids (inbox)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.clock import Clock
from shared.events import Envelope, encode, new_envelope, topic_for
from shared.persistence.tables import Tables
from shared.persistence.views import CommittedViews


class UnitOfWork:
    """`async with uow:` rolls back unless `commit()` was awaited; events go to the outbox on commit."""

    def __init__(self, engine: AsyncEngine, tables: Tables, clock: Clock, on_commit: Callable[[], None],
                 config: Any = None, producer: str = "gongdan", views: CommittedViews | None = None):
        self.config = config  # the service's own configuration (ServiceSpec.configure), for handlers
        self.producer = producer  # the service whose events these are
        self.views = views if views is not None else CommittedViews(max_age=-1.0)  # none given: read every time
        self._changed: set[str] = set()
        self._engine = engine
        self._tables = tables
        self.clock = clock
        self._on_commit = on_commit
        self._pending: list[tuple[str, str, bytes, uuid.UUID]] = []
        self._began: datetime | None = None
        self.conn: AsyncConnection

    async def __aenter__(self) -> UnitOfWork:
        self.conn = await self._engine.connect()
        await self.conn.begin()
        self._began = self.clock.now()
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.conn.in_transaction():
                await self.conn.rollback()
        finally:
            await self.conn.close()
            self._pending.clear()
            self._changed.clear()
            self._began = None

    @property
    def tables(self) -> Tables:
        return self._tables

    def now(self) -> datetime:
        """The time this transaction began, as PostgreSQL's now(): one instant for everything it records. A clock
        moved while the transaction runs (tests) must not price a claim at one time and log its inbox at another."""
        return self._began if self._began is not None else self.clock.now()

    def envelopes(self, payloads: list[BaseModel], *, stream: uuid.UUID, first_sequence: int,
                  occurred_at: datetime, cause: Envelope | None = None) -> list[Envelope]:
        """This service's next events of `stream` (see Envelope.ticket_id), numbered from `first_sequence`;
        one correlation id for the batch (the cause's, when there is one). Not published yet: see `emit`."""
        correlation = cause.correlation_id if cause else uuid.uuid4()
        return [new_envelope(p, ticket_id=stream, sequence=first_sequence + i, occurred_at=occurred_at,
                             recorded_at=self.now(), producer=self.producer, correlation_id=correlation,
                             causation=cause)
                for i, p in enumerate(payloads)]

    def emit(self, payloads: list[BaseModel], *, stream: uuid.UUID, first_sequence: int, occurred_at: datetime,
             cause: Envelope | None = None) -> list[Envelope]:
        """Build this service's next events of `stream` and put them in the outbox (published on commit)."""
        envelopes = self.envelopes(payloads, stream=stream, first_sequence=first_sequence,
                                   occurred_at=occurred_at, cause=cause)
        for envelope in envelopes:
            self.publish(envelope)
        return envelopes

    def publish(self, envelope: Envelope) -> None:
        self._pending.append((topic_for(envelope), str(envelope.ticket_id), encode(envelope), envelope.event_id))

    def publish_raw(self, topic: str, key: str, value: bytes, message_id: uuid.UUID) -> None:
        """For the dead-letter topic: a message that is not a valid event."""
        self._pending.append((topic, key, value, message_id))

    def pending_mark(self) -> int:
        """Where the queued outgoing events end now; pair with `discard_since` around a savepoint."""
        return len(self._pending)

    def discard_since(self, mark: int) -> None:
        """Forget events queued after `mark` (their savepoint was rolled back)."""
        del self._pending[mark:]

    def changed(self, view: str) -> None:
        """This transaction changes the table behind `view` (see shared/persistence/views.py): on commit, the
        service instance reads it again."""
        self._changed.add(view)

    async def mark_all_consumed(self, events: list[tuple[uuid.UUID, str, str]]) -> set[uuid.UUID]:
        """Record (event_id, type, topic) rows in one statement; returns the ids not seen before."""
        if not events:
            return set()
        inbox = self._tables.inbox
        now = self.now()
        # executemany (SQLAlchemy's insertmanyvalues) rather than one VALUES list: compiled once and cached
        stmt = pg_insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id)
        rows = [{"event_id": e, "event_type": t, "topic": topic, "applied_at": now} for e, t, topic in events]
        return {row.event_id for row in await self.conn.execute(stmt, rows)}

    async def commit(self) -> None:
        if self._pending:
            created = self.now()
            rows = [
                {"event_id": mid, "topic": topic, "key": key, "value": value, "created_at": created}
                for topic, key, value, mid in self._pending
            ]
            await self.conn.execute(insert(self._tables.outbox), rows)
        had_events = bool(self._pending)
        await self.conn.commit()
        self._pending.clear()
        for view in self._changed:
            self.views.bump(view)
        self._changed.clear()
        if had_events:
            self._on_commit()
