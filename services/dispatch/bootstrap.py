"""Wires the dispatch service together."""

from pathlib import Path

from services.dispatch.adapters.tables import metadata, platform
from services.dispatch.entrypoints.api import router as queries
from services.dispatch.entrypoints.commands_api import router as commands
from services.dispatch.entrypoints.directory_api import router as directory  # issue 8: the organisation
from services.dispatch.entrypoints.incidents_api import router as incidents
from services.dispatch.entrypoints.messages_api import router as messages
from services.dispatch.entrypoints.network_api import router as network
from services.dispatch.service_layer.handlers import EVENT_HANDLERS
from shared.events.topics import TOPICS
from shared.policy.deployment import load_policy_config
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    configure=load_policy_config,  # the policy file (field-time limits), once; a bad file stops start
    name="dispatch",
    port=8102,
    title="dispatch",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    consumes=[TOPICS.tickets, TOPICS.sla],  # sla: TicketDueChanged (due_at, overdue)
    handlers=EVENT_HANDLERS,
    routers=[queries, commands, incidents, network, messages, directory],  # issue 8: faults, mail, forum posts
)
