"""Wires the SLA monitor service together."""

from pathlib import Path

from services.sla_monitor.adapters.tables import metadata, observed, platform
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="sla_monitor",
    port=8103,
    title="SLA monitor",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    consumes=[TOPICS.tickets],
    handlers={name: observed.record for name in REGISTRY.names_on(TOPICS.tickets)},
    routers=[observed.router("sla_monitor", "sla", (Role.OPS, Role.DISPATCHER))],
)
