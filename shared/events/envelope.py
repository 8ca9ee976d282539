"""The envelope every event travels in, whatever its type."""

from __future__ import annotations

import uuid
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
