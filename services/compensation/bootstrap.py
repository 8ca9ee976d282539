"""Wires the compensation service together (issue 11: claims, exemptions, payout batches, notices)."""

from pathlib import Path

from services.compensation.adapters.tables import directory, metadata, observed, platform
from services.compensation.entrypoints.api import router
from services.compensation.entrypoints.exemptions_api import router as exemptions_router
from services.compensation.entrypoints.payouts_api import router as payouts_router
from services.compensation.entrypoints.reports_api import router as reports_router
from services.compensation.service_layer.config import load_config
from services.compensation.service_layer.handlers import EVENT_HANDLERS
from services.compensation.service_layer.notices import notice_delivery
from services.compensation.service_layer.payment_deadlines import payment_deadlines
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    configure=load_config,  # the policy's schemes, once per runtime; a bad file stops start, naming the key
    name="compensation",
    port=8105,
    title="compensation",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    consumes=[TOPICS.tickets, TOPICS.directory],  # directory (issue 8): districts' CT-2.5 opt-in and area type
    handlers={**EVENT_HANDLERS, **directory.handlers()},
    routers=[observed.router("compensation", "compensation", (Role.FINANCE, Role.OPS)), router, payouts_router,
             reports_router, exemptions_router,
             directory.router((Role.OPS, Role.FINANCE))],
    # CT-4.6: pending notices to the SMS gateway (or the dev table); CT-3.4: missed payment limits as breaches
    workers={"notice-delivery": notice_delivery, "payment-deadlines": payment_deadlines},
)
