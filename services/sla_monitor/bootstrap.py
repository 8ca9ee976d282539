"""Wires the SLA monitor service together."""

from pathlib import Path

from services.sla_monitor.adapters.tables import directory, metadata, observed, platform
from services.sla_monitor.entrypoints.api import router
from services.sla_monitor.entrypoints.readiness import sla_readiness
from services.sla_monitor.service_layer.config import load_config
from services.sla_monitor.service_layer.exemptions import EXEMPTION_HANDLERS
from services.sla_monitor.service_layer.handlers import EVENT_HANDLERS
from services.sla_monitor.service_layer.scanner import timer_scanner
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    configure=load_config,  # the policy, once per runtime; a bad file stops start, naming the key
    name="sla_monitor",
    port=8103,
    title="SLA monitor",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    # compensation (issue 11): exemptions, to show breaches of exempt tickets as "late, exempt" (RULEBOOK §9.12)
    consumes=[TOPICS.tickets, TOPICS.directory, TOPICS.compensation],
    handlers={**EVENT_HANDLERS, **directory.handlers(), **EXEMPTION_HANDLERS},
    routers=[observed.router("sla_monitor", "sla", (Role.OPS, Role.DISPATCHER)), router,
             directory.router((Role.OPS, Role.DISPATCHER, Role.SUPERVISOR))],
    workers={"timer-scanner": timer_scanner},
    readiness_details=sla_readiness,
)
