"""The envelope every event travels in, whatever its type."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    """Metadata common to every event; `payload` is the type-specific body."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    type: str
    schema_version: int = Field(ge=1)
    ticket_id: uuid.UUID
    sequence: int = Field(ge=1, description="Position in the producing service's stream for this ticket")
    occurred_at: AwareDatetime = Field(description="When it happened in the field; timers use this")
    recorded_at: AwareDatetime = Field(description="When the producing service recorded it (server time)")
    producer: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    payload: Any


def new_envelope(
    payload: BaseModel,
    *,
    ticket_id: uuid.UUID,
    sequence: int,
    occurred_at: datetime,
    recorded_at: datetime,
    producer: str,
    correlation_id: uuid.UUID | None = None,
    causation: Envelope | None = None,
) -> Envelope:
    """Wrap a typed payload; correlation follows the causing event when there is one."""
    from shared.events.registry import REGISTRY

    spec = REGISTRY.spec_of(type(payload))
    event_id = uuid.uuid4()
    if correlation_id is None:
        correlation_id = causation.correlation_id if causation else event_id
    return Envelope(
        event_id=event_id,
        type=spec.name,
        schema_version=spec.version,
        ticket_id=ticket_id,
        sequence=sequence,
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        producer=producer,
        correlation_id=correlation_id,
        causation_id=causation.event_id if causation else None,
        payload=payload,
    )
