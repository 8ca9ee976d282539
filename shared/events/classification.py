"""A ticket's classification as the lifecycle events set it (RULEBOOK §2, §4 applies_to, §6 eligibility), in one
place for every consumer that keeps its own view of a ticket (sla_monitor, penalty, compensation).

`TicketCreated` sets every field it carries; `TicketReclassified` changes the fields of its `after` (unset ones
are not part of the change). Works on payloads in their JSON form, as consumers store them."""

from __future__ import annotations

from typing import Any

from shared.events.lifecycle.base import Classification
from shared.events.tickets import TicketCreated

#: The fields a classification has: `Classification`'s, and what TicketCreated adds (where the customer is).
FIELDS: tuple[str, ...] = (*Classification.model_fields, "channel", "area", "district")
_ON_CREATION = tuple(name for name in FIELDS if name in TicketCreated.model_fields)


def classification_change(event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The classification fields this event sets, with their values (empty for an event that sets none)."""
    if event_type == "TicketCreated":
        return {name: payload.get(name) for name in _ON_CREATION}
    if event_type == "TicketReclassified":
        after = payload.get("after") or {}
        return {name: value for name, value in after.items() if name in FIELDS and value is not None}
    return {}
