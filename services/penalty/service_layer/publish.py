"""Put the ledger's events in penalty's outbox, in the transaction that writes the row or the act (issue 10).

Exactly once follows from where this is called: only for a row the insert actually wrote (its entry key was free,
ledger.py) and for an act the state machine allowed (domain/review.py), both in the same transaction as the
row. A replay into an empty store drops what its handlers queued (replay.py): the live ledger published those.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.penalty.adapters import repository as repo
from services.penalty.domain import ledger_events as le
from shared.messaging.unit_of_work import UnitOfWork


async def rows_written(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """One event per ledger row written (PenaltyAssessed, PenaltyReversed, PenaltyRefunded), in row order."""
    if not rows:
        return
    sequences = await repo.next_event_sequences(uow.conn, len(rows))
    for row, seq in zip(rows, sequences, strict=True):
        _put(uow, le.written(row), row, row["cause_at"], row["id"], seq)


async def act(uow: UnitOfWork, payload: BaseModel, entry: dict[str, Any], subject: uuid.UUID) -> None:
    """The event of a person's act on an entry (review, appeal: `subject` is the entry or the appeal), now, on the
    entry's stream."""
    [seq] = await repo.next_event_sequences(uow.conn, 1)
    _put(uow, payload, entry, uow.now(), subject, seq)


def _put(uow: UnitOfWork, payload: BaseModel, entry: dict[str, Any], at: datetime, subject: uuid.UUID,
         seq: int) -> None:
    [envelope] = uow.envelopes([payload], stream=le.stream_of(entry), first_sequence=seq, occurred_at=at)
    uow.publish(envelope.model_copy(update={"event_id": le.event_id(envelope.type, subject)}))
