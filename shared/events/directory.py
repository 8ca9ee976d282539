"""The organisation (issue 8): departments, people and districts, kept by dispatch and copied by every service.

Penalties need payers (RULEBOOK §5, §9.3: the department, its head, the person and their direct leader) and
compensation needs districts (CT-2.5 area types, the rural opt-in per district) and contractors (CT-4.9.1).

Each event carries the whole entry as it is after the change (a snapshot with its `version`), so a copy only keeps
the highest version it has seen. Events travel on `gongdan.directory`; the envelope's `ticket_id` is the entry's
key (`entry_key`), so one entry's changes stay in order on one partition, and `sequence` is its version.
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Literal

from pydantic import Field

from shared.events.payload import Payload
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.events.vocabulary import AreaType

#: Namespace of the entry keys (uuid5): stable, so every service computes the same key for an entry.
DIRECTORY_NAMESPACE = uuid.UUID("5b7c5a0e-6f0e-4d44-9c7e-0a3f3d1d2b8e")

EntryKind = Literal["department", "person", "district"]


def entry_key(kind: EntryKind, entry_id: str) -> uuid.UUID:
    """The envelope key of a directory entry: the same for every version of it."""
    return uuid.uuid5(DIRECTORY_NAMESPACE, f"{kind}:{entry_id}")


class DepartmentKind(str, Enum):
    """Who the department is: the operator's own, or an outsourced contractor (CT-4.9.1)."""

    internal = "internal"
    contractor = "contractor"


class PersonRole(str, Enum):
    """What a person does in the organisation (not an API role: people need no key to be a payer)."""

    agent = "agent"
    dispatcher = "dispatcher"
    handler = "handler"
    technician = "technician"
    supervisor = "supervisor"
    manager = "manager"
    deputy_gm = "deputy-gm"
    gm = "gm"
    staff = "staff"


Change = Literal["created", "updated"]


class DirectoryEntry(Payload):
    version: int = Field(ge=1, description="1 when created, +1 on every change")
    change: Change
    actor: str = Field(description="API key name of the admin who made the change")
    active: bool = Field(True, description="A retired entry stays (old tickets name it) but takes no new work")


@REGISTRY.register("DepartmentRecorded", 1, TOPICS.directory)
class DepartmentRecorded(DirectoryEntry):
    """A department as it now is: who heads it, where it sits, whom it serves."""

    department_id: str = Field(description="The code tickets are dispatched to (e.g. jianghan-maint)")
    name: str
    head: str | None = Field(None, description="Person id of the department head (TT-8.5 payer)")
    parent: str | None = Field(None, description="Parent department id")
    kind: DepartmentKind = DepartmentKind.internal
    districts: tuple[str, ...] = Field((), description="District ids the department serves")


@REGISTRY.register("PersonRecorded", 1, TOPICS.directory)
class PersonRecorded(DirectoryEntry):
    """A person as they now are: role, department, direct leader (CS: 30 to the person and 30 to the leader)."""

    person_id: str = Field(description="The name tickets use for them (technician, handler)")
    name: str
    role: PersonRole
    department: str | None = None
    leader: str | None = Field(None, description="Person id of the direct leader")


@REGISTRY.register("DistrictRecorded", 1, TOPICS.directory)
class DistrictRecorded(DirectoryEntry):
    """A district as it now is: its area type (CT-2.5) and whether its rural area opted in to CT same-day."""

    district_id: str
    name: str
    area_type: AreaType
    ct_same_day_opt_in: bool = Field(
        False, description="CT-2.5: a rural district's opt-in to the same-day promise (city and county: mandatory)")
    aliases: tuple[str, ...] = Field((), description="Other names of the district found in addresses")


DIRECTORY_EVENTS: dict[EntryKind, type[DirectoryEntry]] = {
    "department": DepartmentRecorded, "person": PersonRecorded, "district": DistrictRecorded}
