"""RULEBOOK §7: which declared outages a caller is affected by, so the agent tells them cause and estimate."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.intake.domain.duplicates import normalize_address
from shared.directory_copy import MIN_PLACE
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
    districts: tuple[str, ...] = ()  # directory district ids (issue 8)


def place_like(key: str) -> bool:
    """A free-text area worth looking for in an address: a name (letters or 汉字), not a bare number or a letter
    ("1" is in every other address)."""
    return len(key) >= MIN_PLACE and any(ch.isalpha() for ch in key)


def affects(incident: ActiveIncident, address: str, area: str | None, product: Product | None,
            district: str | None = None) -> bool:
    """The product must be hit. An outage naming districts affects the callers of those districts (given at
    intake or found in the address), nobody else. One whose area is free text (no district in the directory
    names it) affects a caller whose `area` is that area, or whose address names that place."""
    if incident.products and product is not None and product not in incident.products:
        return False
    if incident.districts:
        return district is not None and district in incident.districts
    key = normalize_address(incident.area)
    if not key:
        return False
    if area and normalize_address(area) == key:
        return True
    return place_like(key) and key in normalize_address(address)


def affecting(
    incidents: Iterable[ActiveIncident], address: str, area: str | None, product: Product | None,
    district: str | None = None,
) -> list[ActiveIncident]:
    """Every active incident affecting the caller, soonest estimated restore first."""
    hits = [i for i in incidents if affects(i, address, area, product, district)]
    return sorted(hits, key=lambda i: (i.estimated_restore_at is None, i.estimated_restore_at or datetime.max))
