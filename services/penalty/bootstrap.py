"""Wires the penalty service together: the 考核 ledger from breaches and acts (issue 10)."""

from pathlib import Path

from services.penalty.adapters.tables import directory, metadata, platform
from services.penalty.entrypoints.api import router as read_router
from services.penalty.entrypoints.commands_api import router as command_router
from services.penalty.entrypoints.reports_api import router as reports_router
from services.penalty.entrypoints.scorecards_api import router as scorecards_router
from services.penalty.service_layer.config import load_config
from services.penalty.service_layer.handlers import EVENT_HANDLERS
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    configure=load_config,  # the policy's penalty clauses, once per runtime; a bad file stops start, naming the key
    name="penalty",
    port=8104,
    title="penalty",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    # directory (issue 8): payers' departments, leaders; calls: CallHandled for the calls-per-agent scorecard;
    # compensation: CT exemptions, whose late timers the on-time rate leaves out (RULEBOOK §9.12)
    consumes=[TOPICS.tickets, TOPICS.sla, TOPICS.directory, TOPICS.calls, TOPICS.compensation],
    handlers={**EVENT_HANDLERS, **directory.handlers()},
    routers=[read_router, command_router, scorecards_router, reports_router,
             directory.router((Role.OPS, Role.FINANCE))],
)
