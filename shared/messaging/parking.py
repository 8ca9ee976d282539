"""Parked events: messages a consumer could not apply (undecodable, or a handler failing on them for good).

Each is kept in the service's own `parked_events` table (to list and replay after a fix) and published to
`gongdan.dead-letter` with the reason and its source offset. Parking removes the event from the inbox, so a
replay applies it through the normal path, exactly once (the inbox records it again in the same transaction).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from shared.events import DecodeError, Envelope, decode
from shared.events.topics import TOPICS
from shared.messaging.transient import describe_failure
from shared.messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
_DLQ_NAMESPACE = uuid.UUID("6f1d3c1e-8a53-4c55-9a43-0e0c2b4d9f10")


def _text(value: str, limit: int) -> str:
    """PostgreSQL text refuses NUL; a parked message must be storable whatever it holds."""
    return value.replace("\x00", "\\x00")[:limit]


async def park(uow: UnitOfWork, group: str, record: ConsumerRecord, reason: str, attempts: int,
               envelope: Envelope | None = None) -> bool:
    """Keep the message and announce it on the dead-letter topic; False if it was parked before."""
    raw = record.value or b""
    message_id = uuid.uuid5(_DLQ_NAMESPACE, f"{group}:{hashlib.sha256(raw).hexdigest()}")
    key = record.key.decode(errors="replace") if record.key else None
    parked = uow.tables.parked_events
    inserted = (
        await uow.conn.execute(
            insert(parked).values(
                message_id=message_id, event_id=envelope.event_id if envelope else None,
                event_type=envelope.type if envelope else None, consumer_group=group, topic=record.topic,
                partition=record.partition, offset=record.offset, key=_text(key, 200) if key else None,
                value=raw, reason=_text(reason, 2000), attempts=attempts, parked_at=uow.now(),
            ).on_conflict_do_nothing().returning(parked.c.id)
        )
    ).first()
    if envelope is not None:  # let a replay through the inbox
        await uow.conn.execute(delete(uow.tables.inbox).where(uow.tables.inbox.c.event_id == envelope.event_id))
    if inserted is None:
        return False
    body = {
        "reason": reason,
        "consumer_group": group,
        "parked_id": inserted.id,
        "source": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
        "key": key,
        "value": raw.decode(errors="replace"),
    }
    uow.publish_raw(TOPICS.dead_letter, key or "", json.dumps(body).encode(), message_id)
    log.warning("%s: parked %s:%s@%s (parked id %s): %s", group, record.topic, record.partition, record.offset,
                inserted.id, reason)
    return True


def describe(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "event_id": str(row.event_id) if row.event_id else None, "event_type": row.event_type,
        "consumer_group": row.consumer_group,
        "source": {"topic": row.topic, "partition": row.partition, "offset": row.offset},
        "key": row.key, "reason": row.reason, "attempts": row.attempts, "parked_at": row.parked_at.isoformat(),
        "replay_attempts": row.replay_attempts, "last_replay_error": row.last_replay_error,
        "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None, "replayed_by": row.replayed_by,
        "value": row.value.decode(errors="replace"),
    }


async def list_parked(uow: UnitOfWork, *, waiting_only: bool, after_id: int, limit: int) -> list[dict[str, Any]]:
    parked = uow.tables.parked_events
    query = select(parked).where(parked.c.id > after_id).order_by(parked.c.id).limit(limit)
    if waiting_only:
        query = query.where(parked.c.replayed_at.is_(None))
    return [describe(row) for row in (await uow.conn.execute(query)).all()]


async def count_waiting(uow: UnitOfWork) -> int:
    parked = uow.tables.parked_events
    return (await uow.conn.execute(
        select(func.count()).where(parked.c.replayed_at.is_(None)))).scalar_one()


class NotParked(LookupError):
    pass


class ReplayFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ReplayResult:
    parked: dict[str, Any]
    outcome: str  # applied | duplicate (already applied by other means) | ignored (no handler) | already-replayed


async def replay(new_uow: Callable[[], UnitOfWork], handlers: Mapping[str, Any],
                 call: Callable[[Mapping[str, Any], UnitOfWork, list[Envelope]], Awaitable[None]],
                 parked_id: int, by: str) -> ReplayResult:
    """Apply a parked event again, in one transaction with its inbox row and the parked row's release.
    A failure leaves it parked with the new reason and raises ReplayFailed."""
    try:
        async with new_uow() as uow:
            parked = uow.tables.parked_events
            row = (await uow.conn.execute(select(parked).where(parked.c.id == parked_id).with_for_update())).first()
            if row is None:
                raise NotParked(parked_id)
            if row.replayed_at is not None:
                return ReplayResult(describe(row), "already-replayed")
            envelope = decode(row.value)
            if envelope.type not in handlers:
                outcome = "ignored"
            elif not await uow.mark_all_consumed([(envelope.event_id, envelope.type, row.topic)]):
                outcome = "duplicate"
            else:
                await call(handlers, uow, [envelope])
                outcome = "applied"
            await uow.conn.execute(update(parked).where(parked.c.id == parked_id)
                                   .values(replayed_at=uow.now(), replayed_by=_text(by, 100),
                                           replay_attempts=parked.c.replay_attempts + 1))
            await uow.commit()
            row = (await uow.conn.execute(select(parked).where(parked.c.id == parked_id))).first()
    except (NotParked, ReplayFailed):
        raise
    except DecodeError as exc:
        await _note_failed_replay(new_uow, parked_id, f"still undecodable: {exc.reason}")
        raise ReplayFailed(f"still undecodable: {exc.reason}") from None
    except Exception as exc:  # noqa: BLE001 - a handler still failing: the event stays parked, the reason is kept
        reason = f"handler failed: {describe_failure(exc)}"
        await _note_failed_replay(new_uow, parked_id, reason)
        raise ReplayFailed(reason) from None
    log.warning("replayed parked event %s (%s) by %s: %s", parked_id, row.event_type, by, outcome)
    return ReplayResult(describe(row), outcome)


async def _note_failed_replay(new_uow: Callable[[], UnitOfWork], parked_id: int, reason: str) -> None:
    async with new_uow() as uow:
        parked = uow.tables.parked_events
        await uow.conn.execute(update(parked).where(parked.c.id == parked_id).values(
            replay_attempts=parked.c.replay_attempts + 1, last_replay_error=_text(reason, 2000)))
        await uow.commit()
