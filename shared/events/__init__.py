"""Event envelope, typed payloads and the registry that maps wire names to models.

Direction: `envelope` ← `registry` ← event modules (`payload`, `tickets`, `lifecycle`, `sla`, …) ← `catalog`.
Importing this package imports `catalog` last, so every event type is registered before anyone decodes."""

import shared.events.catalog  # noqa: F401  (registers every event type; see the docstring)
from shared.events.envelope import Envelope
from shared.events.registry import REGISTRY, DecodeError, decode, encode, new_envelope, topic_for

__all__ = ["REGISTRY", "DecodeError", "Envelope", "decode", "encode", "new_envelope", "topic_for"]
