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
    ticket_id: uuid.UUID = Field(description="The stream the event belongs to, and its message key: a ticket; "
                                 "for events about an incident, a network fault, a mail, a forum post, a "
                                 "directory entry or a compensation claim, that entity's id")
    sequence: int = Field(ge=1, description="Grows with each event its producer publishes for this stream, so one "
                          "producer's events of one stream can be ordered (dispatch and intake number them without "
                          "gaps; sla_monitor's may have gaps). Different producers number independently.")
    occurred_at: AwareDatetime = Field(description="When it happened in the field; timers use this")
    recorded_at: AwareDatetime = Field(description="When the producing service recorded it (server time)")
    producer: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    payload: Any
