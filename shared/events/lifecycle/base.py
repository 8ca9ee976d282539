"""Base classes shared by the lifecycle events."""

from __future__ import annotations

import uuid

from pydantic import Field

from shared.events.payload import Payload
from shared.events.vocabulary import (
    AreaType,
    ComplaintClass,
    Priority,
    Product,
    Role,
    SameDay,
    Segment,
    TicketKind,
)


class TicketEvent(Payload):
    """Common part of every per-ticket lifecycle event."""

    ticket_id: uuid.UUID


class HumanAct(TicketEvent):
    """An event recording what a person (or named system) did."""

    actor: str = Field(description="API key name of whoever acted")
    role: Role


class Classification(Payload):
    """A subset of a ticket's classification; unset fields are not part of the change."""

    kind: TicketKind | None = None
    complaint_class: ComplaintClass | None = None
    priority: Priority | None = None
    segment: Segment | None = None
    product: Product | None = None
    area_type: AreaType | None = None
    same_day: SameDay | None = None
