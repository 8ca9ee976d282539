"""Wires the penalty service together."""

from pathlib import Path

from services.penalty.adapters.tables import metadata, observed, platform
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="penalty",
    port=8104,
    title="penalty",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    consumes=[TOPICS.tickets],
    handlers={name: observed.record for name in REGISTRY.names_on(TOPICS.tickets)},
    routers=[observed.router("penalty", "penalties", (Role.OPS, Role.FINANCE))],
)
