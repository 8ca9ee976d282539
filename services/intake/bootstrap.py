"""Wires the intake service together."""

from pathlib import Path

from services.intake.adapters.tables import directory, metadata, platform
from services.intake.entrypoints.api import router
from services.intake.entrypoints.calls_api import router as calls_router
from services.intake.service_layer.projection import EVENT_HANDLERS
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.policy.deployment import load_policy_config
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    configure=load_policy_config,  # the policy file (field-time limits), once; a bad file stops start
    name="intake",
    port=8101,
    title="intake",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    consumes=[TOPICS.tickets, TOPICS.directory],  # ticket status for GX-5.3.1, outages for RULEBOOK §7; districts
    handlers={**EVENT_HANDLERS, **directory.handlers()},
    routers=[router, calls_router, directory.router((Role.AGENT, Role.IVR, Role.SUPERVISOR, Role.OPS))],
)
