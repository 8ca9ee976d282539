"""Wires the intake service together."""

from pathlib import Path

from services.intake.adapters.tables import metadata, platform
from services.intake.entrypoints.api import router
from shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="intake",
    port=8101,
    title="intake",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[router],
)
