"""One registry of event types: wire name + schema version -> payload model and topic."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ValidationError

from shared.events.envelope import Envelope


class DecodeError(Exception):
    """A message that cannot be turned into a known, valid event; `reason` goes to the dead-letter topic."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EventSpec:
    name: str
    version: int
    model: type[BaseModel]
    topic: str


class Registry:
    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int], EventSpec] = {}
        self._by_model: dict[type[BaseModel], EventSpec] = {}

    def register(self, name: str, version: int, topic: str):
        """Class decorator: `@REGISTRY.register("TicketCreated", 1, TOPICS.tickets)`."""

        def wrap(model: type[BaseModel]) -> type[BaseModel]:
            spec = EventSpec(name, version, model, topic)
            if (name, version) in self._by_key:
                raise ValueError(f"event {name} v{version} registered twice")
            self._by_key[(name, version)] = spec
            self._by_model[model] = spec
            return model

        return wrap

    def spec_of(self, model: type[BaseModel]) -> EventSpec:
        return self._by_model[model]

    def lookup(self, name: str, version: int) -> EventSpec:
        spec = self._by_key.get((name, version))
        if spec is None:
            known = sorted(v for (n, v) in self._by_key if n == name)
            if not known:
                raise DecodeError(f"unknown event type {name!r}")
            raise DecodeError(f"unknown schema_version {version} for {name} (known: {known})")
        return spec

    def names(self) -> list[str]:
        return sorted({name for name, _ in self._by_key})

    def names_on(self, topic: str) -> list[str]:
        return sorted({spec.name for spec in self._by_key.values() if spec.topic == topic})


REGISTRY = Registry()


def topic_for(envelope: Envelope) -> str:
    return REGISTRY.lookup(envelope.type, envelope.schema_version).topic


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode(raw: bytes | None) -> Envelope:
    """Parse wire bytes into an envelope with a typed payload, or raise DecodeError with the reason."""
    if raw is None:
        raise DecodeError("empty message")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DecodeError("envelope is not a JSON object")
    spec = REGISTRY.lookup(str(data.get("type")), _version(data.get("schema_version")))
    try:
        envelope = Envelope.model_validate(data)
        payload = spec.model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise DecodeError(f"invalid {spec.name} v{spec.version}: {_brief(exc)}") from None
    return envelope.model_copy(update={"payload": payload})


def _version(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise DecodeError(f"schema_version must be an integer, got {value!r}")


def _brief(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])


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
