"""RULEBOOK §7 outages and mass incidents: declare and restore, pure rules (TT-8.6, NJ-4.3.2c/e, GX-5.4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from shared import limits
from shared.events.lifecycle import OutageDeclared, OutageRestored
from shared.events.vocabulary import AreaType, Product, Role
from shared.inputs import Instant, Line, Text


class IncidentRefused(Exception):
    """The incident command is not allowed; `state` is the incident's current state."""

    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state, self.reason = state, reason


class DeclareOutage(BaseModel):
    """Declare an outage or planned work; `notice_at` is when customer service was told (TT-8.6)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    area: Line(limits.OUTAGE_AREA)
    districts: tuple[Line(limits.TICKET_AREA), ...] = Field(
        (), max_length=200, description="Directory district ids affected (issue 8); default: the district `area` "
        "names exactly, if any. Callers are told by district, never by text found in their address")
    area_type: AreaType | None = None
    products: tuple[Product, ...] = ()
    cause: Text(limits.FREE_TEXT)
    planned: StrictBool = False
    notice_at: Instant | None = Field(None, description="Defaults to now")
    starts_at: Instant
    estimated_restore_at: Instant | None = None
    publishing_department: Line(limits.DEPARTMENT) | None = Field(
        None, description="Department publishing the notice; pays for a late or wrong one (TT-8.6, NJ-4.3.2c)")


class RestoreOutage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    restored_at: Instant | None = Field(None, description="Defaults to now")
    notice_at: Instant | None = Field(None, description="Restore notice to customer service; defaults to now")
    note: Text(limits.FREE_TEXT) | None = None


@dataclass(frozen=True)
class IncidentState:
    incident_id: uuid.UUID
    starts_at: datetime
    restored_at: datetime | None

    @property
    def status(self) -> str:
        return "restored" if self.restored_at else "declared"


def declare(cmd: DeclareOutage, incident_id: uuid.UUID, actor: str, role: Role, now: datetime) -> OutageDeclared:
    notice = cmd.notice_at or now
    if notice > now:
        raise IncidentRefused("new", "notice_at is in the future")
    if cmd.estimated_restore_at is not None and cmd.estimated_restore_at <= cmd.starts_at:
        raise IncidentRefused("new", "estimated_restore_at must be after starts_at")
    return OutageDeclared(
        incident_id=incident_id, actor=actor, role=role, area=cmd.area, area_type=cmd.area_type,
        products=cmd.products, cause=cmd.cause, planned=cmd.planned, notice_at=notice, starts_at=cmd.starts_at,
        estimated_restore_at=cmd.estimated_restore_at, publishing_department=cmd.publishing_department,
    )


def restore(state: IncidentState, cmd: RestoreOutage, actor: str, role: Role, now: datetime) -> OutageRestored:
    if state.restored_at is not None:
        raise IncidentRefused(state.status, f"incident was already restored at {state.restored_at.isoformat()}")
    restored, notice = cmd.restored_at or now, cmd.notice_at or now
    if restored > now or notice > now:
        raise IncidentRefused(state.status, "restored_at and notice_at may not be in the future")
    if restored < state.starts_at:
        raise IncidentRefused(state.status, "restored_at is before the outage started")
    return OutageRestored(incident_id=state.incident_id, actor=actor, role=role, restored_at=restored,
                          notice_at=notice, note=cmd.note)
