"""Every event type Gongdan publishes, in one place: importing this module registers them all (the registry
maps wire names to these models). Event modules depend on `payload`, `registry`, `topics` and `vocabulary`
only; this module depends on them, never the other way round."""

from __future__ import annotations

import shared.events.calls
import shared.events.compensation
import shared.events.directory
import shared.events.lifecycle
import shared.events.penalties
import shared.events.sla  # noqa: F401  (timers, RULEBOOK §4)
from shared.events.payload import Payload
from shared.events.tickets import Customer, TicketCreated

__all__ = ["Customer", "Payload", "TicketCreated"]
