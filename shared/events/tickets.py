"""A ticket is born: TicketCreated (intake, RULEBOOK §3)."""

from __future__ import annotations

import uuid

from pydantic import Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import AreaType, Channel, ComplaintClass, Priority, Product, SameDay, Segment


class Customer(Payload):
    name: str
    phone: str
    address: str
    account: str


@REGISTRY.register("TicketCreated", 1, TOPICS.tickets)
class TicketCreated(Payload):
    """A call, letter or visit became a ticket (GX-5.1.2: every call ends in a ticket)."""

    ticket_id: uuid.UUID
    number: str
    kind: str
    customer: Customer
    description: str
    created_by: str = Field(description="API key name of the IVR system or agent that logged it")
    # Issue 3 classification; optional so events written before it still decode.
    channel: Channel | None = None
    authority: str | None = Field(None, description="Which authority forwarded it (channel forwarded-by-authority)")
    complaint_class: ComplaintClass | None = Field(None, description="NJ-4.1, complaints only")
    segment: Segment | None = None
    area_type: AreaType | None = None
    area: str | None = Field(None, description="Service area (district, grid) as the operator names it")
    product: Product | None = None
    priority: Priority | None = None
    same_day: SameDay | None = Field(None, description="CT-2.4: same-day install requested / repair declined")
    district: str | None = Field(None, description="Directory district id: given at intake or found in the address")
