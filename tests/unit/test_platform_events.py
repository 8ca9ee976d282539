"""Envelope round trip and the dead-letter reasons a consumer gives for bad messages."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.events import DecodeError, decode, encode, new_envelope, topic_for
from shared.events.catalog import Customer, TicketCreated
from shared.events.topics import TOPICS

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def created() -> TicketCreated:
    return TicketCreated(ticket_id=uuid.uuid4(), number="2026-KF-000001", kind="fault",
                         customer=Customer(name="张三", phone="13812345678", address="a", account="ACC-1"),
                         description="断网", created_by="ivr-1")


def test_envelope_round_trips_with_typed_payload() -> None:
    payload = created()
    envelope = new_envelope(payload, ticket_id=payload.ticket_id, sequence=1, occurred_at=NOW, recorded_at=NOW,
                            producer="intake")
    decoded = decode(encode(envelope))
    assert decoded == envelope
    assert isinstance(decoded.payload, TicketCreated)
    assert decoded.correlation_id == envelope.event_id and decoded.causation_id is None
    assert topic_for(decoded) == TOPICS.tickets


def test_caused_event_keeps_the_correlation_of_its_cause() -> None:
    payload = created()
    cause = new_envelope(payload, ticket_id=payload.ticket_id, sequence=1, occurred_at=NOW, recorded_at=NOW,
                         producer="intake")
    effect = new_envelope(payload, ticket_id=payload.ticket_id, sequence=2, occurred_at=NOW, recorded_at=NOW,
                          producer="dispatch", causation=cause)
    assert effect.correlation_id == cause.correlation_id and effect.causation_id == cause.event_id


def wire(**changes: object) -> bytes:
    payload = created()
    envelope = new_envelope(payload, ticket_id=payload.ticket_id, sequence=1, occurred_at=NOW, recorded_at=NOW,
                            producer="intake")
    data = json.loads(encode(envelope))
    data.update(changes)
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "envelope is not a JSON object"),
        (None, "empty message"),
        (wire(type="TicketTeleported"), "unknown event type 'TicketTeleported'"),
        (wire(schema_version=2), "unknown schema_version 2 for TicketCreated"),
        (wire(schema_version="1"), "schema_version must be an integer"),
        (wire(occurred_at="2026-03-02T09:00:00"), "invalid TicketCreated v1: occurred_at"),
        (wire(payload={"ticket_id": "x"}), "invalid TicketCreated v1: ticket_id"),
    ],
)
def test_bad_messages_are_refused_with_a_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(DecodeError) as refused:
        decode(raw)
    assert refused.value.reason.startswith(reason)
