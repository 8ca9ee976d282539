"""Drive the SLA timer scanner by hand in tests (no waiting for its interval)."""

from __future__ import annotations

from services.sla_monitor.service_layer.config import SlaConfig
from services.sla_monitor.service_layer.scanner import scan_once
from shared.service import ServiceRuntime


async def scan_until_idle(runtime: ServiceRuntime, cfg: SlaConfig) -> int:
    """Fire batches until nothing is due at the clock's current time."""
    total = 0
    while handled := await scan_once(runtime, cfg, runtime.clock.now()):
        total += handled
    return total
