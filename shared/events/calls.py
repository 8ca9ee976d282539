"""Hotline calls an agent handled, as the IVR/ACD reports them to intake (`POST /calls`), for the call-centre KPI
"≥2,200 calls per agent-month" (RULEBOOK §5.3, CS call centre).

A call is an entity of its own, like a mail or a network fault (envelope `ticket_id`: "that entity's id"): every
call is its own stream, `call_stream(call_id)`, whether or not it concerns a ticket, so the same call id always
lands on the same stream and key. The ticket it concerns, if any, is in the payload. Calls travel on their own
topic, `gongdan.calls`: a hotline handles thousands a day and only penalty counts them, so the consumers of
`gongdan.tickets` (sla_monitor, compensation, dispatch, intake) never have to read and set them aside.
"""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import Role

#: Namespace of call streams: uuid5(CALL_STREAMS, call id).
CALL_STREAMS = uuid.UUID("5d0c4a57-8c3e-5b1e-9a61-63616c6c7321")


def call_stream(call_id: str) -> uuid.UUID:
    """The stream (and message key) of a call: the same call id always gives the same id."""
    return uuid.uuid5(CALL_STREAMS, call_id)


@REGISTRY.register("CallHandled", 1, TOPICS.calls)
class CallHandled(Payload):
    """An agent handled a hotline call (field time: when the call started)."""

    call_id: str = Field(description="The ACD's own id of the call")
    agent: str = Field(description="The agent who handled it (their directory person id or ACD login)")
    started_at: AwareDatetime
    ended_at: AwareDatetime
    duration_seconds: int = Field(ge=0)
    ticket_id: uuid.UUID | None = Field(None, description="The ticket the call concerns, when the agent logged or "
                                                          "looked one up")
    ticket_number: str | None = None
    actor: str = Field(description="API key name of the system that reported the call (the IVR/ACD)")
    role: Role
