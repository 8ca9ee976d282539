"""Work items that are not customer tickets (issue 8): network/system faults, internal mail, forum posts.

Each has its own event stream and number (`2026-NF-000001`, `2026-ML-…`, `2026-FP-…`). The state is folded from
the item's events; every act is a pure `decide(state, command, acting, now) -> events` with a refusal (409) when the
item's state forbids it. Field time follows the ticket commands: `occurred_at` (not in the future, not before the
item's previous event) or now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from shared.events import Envelope
from shared.events.vocabulary import Role
from shared.inputs import Instant


class Series(str, Enum):
    """The kinds of work item, each with its own numbering code."""

    network_fault = "network-fault"
    mail = "mail"
    forum_post = "forum-post"

    @property
    def code(self) -> str:
        return {"network-fault": "NF", "mail": "ML", "forum-post": "FP"}[self.value]


def item_number(series: Series, at: datetime, sequence: int, tz: ZoneInfo) -> str:
    """`2026-NF-000001`: the operator's local year at `at`, the series code, a 6-digit (or wider) sequence."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if sequence < 1:
        raise ValueError("sequence must be at least 1")
    return f"{at.astimezone(tz).year:04d}-{series.code}-{sequence:06d}"


class WorkItemRefused(Exception):
    """The act is not allowed now; `state` is the item's current state (the 409's `current_state`)."""

    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state, self.reason = state, reason


@dataclass(frozen=True)
class Acting:
    """Who acts and in which lifecycle role (from the API key)."""

    actor: str
    role: Role


class ItemCommand(BaseModel):
    """An act on a work item; `occurred_at` is its field time."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    occurred_at: Instant | None = Field(None, description="Field time; defaults to now")


@dataclass(frozen=True)
class ItemState:
    """A work item folded from its events: the first event's payload, and when each later act first happened."""

    item_id: uuid.UUID
    series: Series
    number: str
    opened: dict[str, object]
    version: int
    last_event_at: datetime
    acts: dict[str, datetime] = field(default_factory=dict)
    incident_id: uuid.UUID | None = None
    ticket_ids: frozenset[uuid.UUID] = frozenset()

    def did(self, event_type: str) -> datetime | None:
        return self.acts.get(event_type)


#: The event that opens a stream of each series.
OPENERS = {"NetworkFaultReported": Series.network_fault, "MailReceived": Series.mail,
           "ForumPostPublished": Series.forum_post}


def fold(events: list[Envelope]) -> ItemState:
    """The item's state after its events (the first opens it)."""
    first = events[0]
    series = OPENERS.get(first.type)
    if series is None:
        raise ValueError(f"{first.type} does not open a work item")
    state = ItemState(item_id=first.ticket_id, series=series, number=first.payload.number,
                      opened=first.payload.model_dump(mode="json"), version=1, last_event_at=first.occurred_at)
    for event in events[1:]:
        state = evolve(state, event.type, event.payload, event.occurred_at)
    return state


def evolve(state: ItemState, event_type: str, payload: BaseModel, at: datetime) -> ItemState:
    """One more event: remember the act's first field time (and the links a fault gained)."""
    acts = dict(state.acts)
    acts.setdefault(event_type, at)
    incident = getattr(payload, "incident_id", None) or state.incident_id
    tickets = state.ticket_ids | frozenset(getattr(payload, "ticket_ids", ()) or ())
    return ItemState(state.item_id, state.series, state.number, state.opened, state.version + 1,
                     max(state.last_event_at, at), acts, incident, tickets)


def field_time(status: str, last_event_at: datetime | None, occurred_at: datetime | None, now: datetime) -> datetime:
    """When the act happened: `occurred_at` (not in the future, not before the previous event) or now."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    if occurred_at is None:
        return now
    if occurred_at > now:
        raise WorkItemRefused(status, f"occurred_at {occurred_at.isoformat()} is in the future (now {now.isoformat()})")
    if last_event_at is not None and occurred_at < last_event_at:
        raise WorkItemRefused(status, f"occurred_at {occurred_at.isoformat()} is before the item's previous event "
                                      f"at {last_event_at.isoformat()}")
    return occurred_at
