"""Work that is not a customer ticket (issue 8): network and system faults (CS-25/32/33, NJ-4.3.2e), internal mail
(TT-8.2) and web-forum posts (CS-8). Each item has its own stream and number in dispatch; its events travel on the
tickets topic keyed by the item's id (the envelope's `ticket_id` is the item id), so the SLA monitor times them."""

from __future__ import annotations

import uuid
from enum import Enum

from pydantic import Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import Role

NETWORK_FAULT, SYSTEM_FAULT, MAIL, FORUM_POST = "network-fault", "system-fault", "mail", "forum-post"
STAFFED_ROOM = "staffed-room"  # the flag NJ-4.3.2e rules match on


class FaultLayer(str, Enum):
    """Where a fault is: network layers (CS-24/25/26, NJ trunk and transmission) or systems (CS-32/33, NJ-4.3.2e)."""

    core = "core"
    backbone = "backbone"
    aggregation = "aggregation"
    access = "access"
    egress = "egress"
    trunk_fibre = "trunk-fibre"
    transmission = "transmission"
    boss = "boss"
    lan = "lan"
    call_system = "call-system"
    headend = "headend"
    interactive_tv = "interactive-tv"
    cmts = "cmts"
    power_supply = "power-supply"

    @property
    def kind(self) -> str:
        """`network-fault` or `system-fault`: the kind timer rules match on (`applies_to.kind`)."""
        return NETWORK_FAULT if self in NETWORK_LAYERS else SYSTEM_FAULT


NETWORK_LAYERS = frozenset({FaultLayer.core, FaultLayer.backbone, FaultLayer.aggregation, FaultLayer.access,
                            FaultLayer.egress, FaultLayer.trunk_fibre, FaultLayer.transmission})


class FaultSeverity(str, Enum):
    """CS-32/33: a general (一般性) or major (重大) fault."""

    general = "general"
    major = "major"


class WorkItemAct(Payload):
    """Who acted on a work item, in which role."""

    actor: str = Field(description="API key name of whoever acted (a person, or the NMS)")
    role: Role


class FaultAct(WorkItemAct):
    fault_id: uuid.UUID


@REGISTRY.register("NetworkFaultReported", 1, TOPICS.tickets)
class NetworkFaultReported(FaultAct):
    """A network or system fault was detected (field time: when); its layer, severity and staffed-room flag."""

    number: str = Field(description="YEAR-NF-SEQUENCE")
    kind: str = Field(description="network-fault or system-fault, from the layer")
    layer: FaultLayer
    severity: FaultSeverity
    staffed_room: bool = Field(description="In a staffed indoor room: CS must be told within 10 min (NJ-4.3.2e)")
    description: str
    location: str | None = None
    alarm_ref: str | None = Field(None, description="The monitoring system's own alarm id")
    department: str | None = Field(None, description="Department responsible for the repair (pays a breach)")
    device_id: str | None = Field(None, description="The failed device as the NMS names it: repeat failures of a "
                                                   "device in a month count 1, 2, 4, 8 (RULEBOOK §5.3)")


@REGISTRY.register("NetworkFaultResponded", 1, TOPICS.tickets)
class NetworkFaultResponded(FaultAct):
    """The maintenance team took the fault on (CS-25 access layer: response within 30 min)."""

    technician: str | None = None
    note: str | None = None


@REGISTRY.register("NetworkFaultOnSite", 1, TOPICS.tickets)
class NetworkFaultOnSite(FaultAct):
    """A technician arrived on site (CS-25 backbone 40 min, aggregation 1 h)."""

    technician: str | None = None


@REGISTRY.register("NetworkFaultFixed", 1, TOPICS.tickets)
class NetworkFaultFixed(FaultAct):
    """Service restored (CS-25 backbone 2 h; CS-32 BOSS/LAN 1 h / 3 h; CS-33 call system 30 min / 2 h)."""

    cause: str | None = None
    result: str | None = None


@REGISTRY.register("NetworkFaultReplied", 1, TOPICS.tickets)
class NetworkFaultReplied(FaultAct):
    """回单: the fix was reported back (CS-25 aggregation 2 h, access 24 h: fixed and replied)."""

    cause: str
    result: str


@REGISTRY.register("CustomerServiceNotified", 1, TOPICS.tickets)
class CustomerServiceNotified(FaultAct):
    """Customer service was told of the fault, so the call centre can brief callers (NJ-4.3.2e: 10 min)."""

    notified: str | None = Field(None, description="Who in customer service was told")
    message: str | None = Field(None, description="What callers are to be told (统一对外解释口径)")


@REGISTRY.register("NetworkFaultLinked", 1, TOPICS.tickets)
class NetworkFaultLinked(FaultAct):
    """The fault is behind a mass incident and/or these customer tickets (RULEBOOK §7)."""

    incident_id: uuid.UUID | None = None
    ticket_ids: tuple[uuid.UUID, ...] = ()


@REGISTRY.register("MailReceived", 1, TOPICS.tickets)
class MailReceived(WorkItemAct):
    """TT-8.2: an internal mail reached a department, which must answer it within 72 h."""

    mail_id: uuid.UUID
    number: str = Field(description="YEAR-ML-SEQUENCE")
    subject: str
    sender: str
    department: str = Field(description="The department that must reply")
    reference: str | None = Field(None, description="The mail system's message id")


@REGISTRY.register("MailReplied", 1, TOPICS.tickets)
class MailReplied(WorkItemAct):
    """The department answered the mail."""

    mail_id: uuid.UUID
    summary: str
    reference: str | None = None


@REGISTRY.register("ForumPostPublished", 1, TOPICS.tickets)
class ForumPostPublished(WorkItemAct):
    """CS-8: a customer's post on the operator's web forum, to be answered within 4 h."""

    post_id: uuid.UUID
    number: str = Field(description="YEAR-FP-SEQUENCE")
    forum: str
    title: str
    author: str
    url: str | None = None
    department: str | None = Field(None, description="Who must reply; default customer service")


@REGISTRY.register("ForumPostReplied", 1, TOPICS.tickets)
class ForumPostReplied(WorkItemAct):
    """Customer service replied on the forum."""

    post_id: uuid.UUID
    summary: str
    url: str | None = None
