"""RULEBOOK §7: which declared outages a caller is affected by, so the agent tells them cause and estimate."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.duplicates import normalize_address
from shared.events.vocabulary import Product


@dataclass(frozen=True)
class ActiveIncident:
    """An outage declared and not yet restored."""

    incident_id: uuid.UUID
    area: str
    cause: str
    planned: bool
    products: tuple[Product, ...]
    estimated_restore_at: datetime | None


def affects(incident: ActiveIncident, address: str, area: str | None, product: Product | None) -> bool:
    """The caller's area names the incident's area, or their address lies in it; the product must be hit."""
    if incident.products and product is not None and product not in incident.products:
        return False
    key = normalize_address(incident.area)
    if not key:
        return False
    if area and normalize_address(area) == key:
        return True
    return key in normalize_address(address)


def affecting(
    incidents: Iterable[ActiveIncident], address: str, area: str | None, product: Product | None
) -> list[ActiveIncident]:
    """Every active incident affecting the caller, soonest estimated restore first."""
    hits = [i for i in incidents if affects(i, address, area, product)]
    return sorted(hits, key=lambda i: (i.estimated_restore_at is None, i.estimated_restore_at or datetime.max))
