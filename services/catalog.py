"""The five services and where each is wired together."""

from __future__ import annotations

import importlib

from shared.service import ServiceSpec

SERVICE_NAMES = ("intake", "dispatch", "sla_monitor", "penalty", "compensation")


def load_spec(name: str) -> ServiceSpec:
    if name not in SERVICE_NAMES:
        raise ValueError(f"unknown service {name!r}; one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.bootstrap").SPEC
