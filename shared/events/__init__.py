"""Event envelope, typed payloads and the registry that maps wire names to models."""

from shared.events.envelope import Envelope, new_envelope
from shared.events.registry import REGISTRY, DecodeError, decode, encode, topic_for

__all__ = ["Envelope", "new_envelope", "REGISTRY", "DecodeError", "decode", "encode", "topic_for"]
