"""Wires the console (issue 12): server-rendered pages over the other services' HTTP APIs; it consumes no topic
and keeps only the platform tables."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.console.adapters.tables import metadata, platform
from services.console.entrypoints.auth_pages import router as auth_router
from services.console.entrypoints.board_pages import router as board_router
from services.console.entrypoints.compensation_pages import router as compensation_router
from services.console.entrypoints.penalty_pages import router as penalty_router
from services.console.entrypoints.report_pages import router as report_router
from services.console.service_layer.config import load_config
from shared.service import ServiceRuntime, ServiceSpec


async def close_clients_on_stop(runtime: ServiceRuntime) -> None:
    """Holds the console's HTTP clients of the other services; closes them when the runtime stops."""
    try:
        await asyncio.Event().wait()
    finally:
        await runtime.config.upstreams.close()


SPEC = ServiceSpec(
    name="console",
    port=8100,
    title="console",
    metadata=metadata,
    tables=platform,
    migrations_dir=Path(__file__).parent / "migrations",
    routers=[auth_router, board_router, penalty_router, compensation_router, report_router],
    configure=load_config,
    workers={"http-clients": close_clients_on_stop},
)
