"""The services and where each is wired together."""

from __future__ import annotations

import dataclasses
import importlib
from functools import cache

from shared.parked_api import router as parked_router
from shared.service import ServiceSpec, consumer_group

# In port order: the console (issue 12) on 8100, then the APIs on 8101..8105.
SERVICE_NAMES = ("console", "intake", "dispatch", "sla_monitor", "penalty", "compensation")


def _wired(name: str) -> ServiceSpec:
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.bootstrap").SPEC


@cache
def consumer_groups() -> dict[str, tuple[str, ...]]:
    """For each topic, the consumer group of every service that consumes it."""
    groups: dict[str, list[str]] = {}
    for name in SERVICE_NAMES:
        for topic in _wired(name).consumes:
            groups.setdefault(topic, []).append(consumer_group(name))
    return {topic: tuple(names) for topic, names in groups.items()}


def load_spec(name: str) -> ServiceSpec:
    """A service as it runs: its own wiring, plus what every consuming service has (the parked-events API) and
    the platform's consumer groups (the delivery watermark)."""
    spec = _wired(name)
    routers = [*spec.routers, parked_router] if spec.consumes else spec.routers
    return dataclasses.replace(spec, routers=routers, consumer_groups=consumer_groups())
