"""What compensation knows of a ticket, folded from the lifecycle events it consumed (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from shared.events.classification import classification_change

CUSTOMER_PAUSES = frozenset({"customer-not-home", "customer-postponed", "customer-equipment", "customer-unreachable"})


@dataclass(frozen=True)
class Fact:
    """One consumed event: type, field time, system time and its JSON payload."""

    type: str
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class Completion:
    """The completion as recorded (CT-3.3.2): field time, when it reached the system, and which counts (§9.13)."""

    field_at: datetime
    recorded_at: datetime

    def counted(self, flag_after: timedelta, confirmed: bool) -> tuple[datetime, str]:
        """The time that counts for money, and why: a completion backdated more than `flag_after` counts when it
        reached the system unless a supervisor confirmed its field time (RULEBOOK §9.13)."""
        backdated = self.recorded_at - self.field_at
        if backdated <= flag_after:
            return self.field_at, "completion as recorded in the ticket system (CT-3.3.2)"
        if confirmed:
            return self.field_at, (f"field time, recorded {_span(backdated)} later, confirmed by a supervisor "
                                   "(RULEBOOK §9.13)")
        return self.recorded_at, (f"time it reached the system: its field time was {_span(backdated)} earlier "
                                  "and no supervisor confirmed it (RULEBOOK §9.13)")


@dataclass(frozen=True)
class Appointment:
    """An appointment event that matters to a scheme: booked, missed by staff, or moved."""

    kind: str  # booked | missed | rebooked
    at: datetime  # when it was recorded in the field
    window_start: datetime
    previous_start: datetime | None = None
    cause: str | None = None  # missed: staff | customer; rebooked: requested_by


@dataclass(frozen=True)
class TicketFacts:
    ticket_id: str
    number: str = ""
    kind: str | None = None
    product: str | None = None
    segment: str | None = None
    area_type: str | None = None
    district: str | None = None
    same_day: str | None = None
    customer: dict[str, str] = field(default_factory=dict)
    entered_at: datetime | None = None  # system entry time (CT-3.3.2): TicketCreated recorded_at
    completion: Completion | None = None
    recordings: tuple[str, ...] = ()
    appointments: tuple[Appointment, ...] = ()
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()  # customer-caused waits

    def eligibility_facts(self) -> dict[str, Any]:
        return {"segment": self.segment, "product": self.product, "district": self.district,
                "area_type": self.area_type, "kind": self.kind, "same_day": self.same_day}


def fold(ticket_id: str, facts: list[Fact]) -> TicketFacts:
    """Apply every fact in the order it was recorded."""
    state = TicketFacts(ticket_id=ticket_id)
    for f in sorted(facts, key=lambda f: f.recorded_at):
        state = _apply(f.type, state, f)
    return state


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_HANDLERS: dict[str, Any] = {}


def _on(name: str):
    def wrap(fn: Any) -> Any:
        _HANDLERS[name] = fn
        return fn
    return wrap


def _apply(name: str, state: TicketFacts, f: Fact) -> TicketFacts:
    handler = _HANDLERS.get(name)
    return handler(state, f) if handler else state


_CLASSIFIED = ("kind", "product", "segment", "area_type", "same_day")  # what a scheme's eligibility reads


@_on("TicketCreated")
def _created(s: TicketFacts, f: Fact) -> TicketFacts:
    p = f.payload
    customer = p.get("customer") or {}
    c = classification_change(f.type, p)
    return replace(s, **{k: c[k] for k in _CLASSIFIED}, district=c["district"] or c["area"], number=p.get("number", ""),
                   customer={k: customer.get(k, "") for k in ("name", "phone", "account")}, entered_at=f.recorded_at)


@_on("TicketReclassified")
def _reclassified(s: TicketFacts, f: Fact) -> TicketFacts:
    change = classification_change(f.type, f.payload)
    return replace(s, **{k: v for k, v in change.items() if k in _CLASSIFIED})


@_on("Resolved")
def _resolved(s: TicketFacts, f: Fact) -> TicketFacts:
    if s.completion is not None:  # one payment per ticket: the first completion counts (RULEBOOK §6 Decision)
        return s
    field_at = _ts(f.payload.get("completed_at")) or f.occurred_at
    return replace(s, completion=Completion(field_at=field_at, recorded_at=f.recorded_at))


@_on("ResolvedAtFirstContact")
def _first_contact(s: TicketFacts, f: Fact) -> TicketFacts:
    if s.completion is not None:
        return s
    return replace(s, completion=Completion(field_at=f.occurred_at, recorded_at=f.recorded_at))


@_on("CallRecordingAttached")
def _recording(s: TicketFacts, f: Fact) -> TicketFacts:
    return replace(s, recordings=(*s.recordings, f.payload["recording_ref"]))


@_on("AppointmentBooked")
def _booked(s: TicketFacts, f: Fact) -> TicketFacts:
    a = Appointment("booked", f.occurred_at, _ts(f.payload["window_start"]))  # type: ignore[arg-type]
    return replace(s, appointments=(*s.appointments, a))


@_on("AppointmentMissed")
def _missed(s: TicketFacts, f: Fact) -> TicketFacts:
    a = Appointment("missed", f.occurred_at, _ts(f.payload["window_start"]),  # type: ignore[arg-type]
                    cause=f.payload.get("cause"))
    return replace(s, appointments=(*s.appointments, a))


@_on("AppointmentRebooked")
def _rebooked(s: TicketFacts, f: Fact) -> TicketFacts:
    a = Appointment("rebooked", f.occurred_at, _ts(f.payload["window_start"]),  # type: ignore[arg-type]
                    previous_start=_ts(f.payload.get("previous_start")), cause=f.payload.get("requested_by"))
    return replace(s, appointments=(*s.appointments, a))


@_on("TicketPaused")
def _paused(s: TicketFacts, f: Fact) -> TicketFacts:
    if f.payload.get("reason") not in CUSTOMER_PAUSES:
        return s
    return replace(s, pauses=(*s.pauses, (f.occurred_at, None)))


@_on("TicketResumed")
def _resumed(s: TicketFacts, f: Fact) -> TicketFacts:
    if not s.pauses or s.pauses[-1][1] is not None:
        return s
    return replace(s, pauses=(*s.pauses[:-1], (s.pauses[-1][0], f.occurred_at)))


def _span(td: timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


#: The event types `fold` applies: the only ones a claim can depend on.
FOLDED = frozenset(_HANDLERS)
