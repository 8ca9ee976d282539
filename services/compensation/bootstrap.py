"""Wires the compensation service together."""

from pathlib import Path

from services.compensation.adapters.tables import metadata, observed, platform
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="compensation",
    port=8105,
    title="compensation",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    consumes=[TOPICS.tickets],
    handlers={name: observed.record for name in REGISTRY.names_on(TOPICS.tickets)},
    routers=[observed.router("compensation", "compensation", (Role.FINANCE, Role.OPS))],
)
