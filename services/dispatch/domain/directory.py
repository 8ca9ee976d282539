"""The directory (issue 8), pure rules: what an admin may record about departments, people and districts.

Departments have a head (a person), a parent, a kind (internal or contractor, CT-4.9.1) and the districts they
serve; people have a role, a department and a direct leader (the payers of RULEBOOK §5 / §9.3); districts have an
area type (CT-2.5) and the CT same-day opt-in of their rural area. Every reference must name an entry that exists
(in the directory as it will be after the change), and neither parents nor leaders may form a loop.

No I/O here: the service layer reads the directory, these functions decide, the service layer writes the
resulting entries and their events in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.directory_copy import ALIAS, DEPARTMENT_ID, DISTRICT_ID, NAME, PERSON_ID, fields_of
from shared.directory_copy import normalize_place as _norm
from shared.events.directory import (
    DIRECTORY_EVENTS,
    DepartmentKind,
    DirectoryEntry,
    EntryKind,
    PersonRole,
)
from shared.events.vocabulary import AreaType
from shared.inputs import Line

RULE_REFERENCE = "directory_reference"  # names an entry the directory does not have
RULE_LOOP = "directory_loop"  # a parent or leader chain that comes back to itself
RULE_ID = "directory_id"
RULE_DUPLICATE = "directory_duplicate"
MAX_ENTRIES = 1000  # of each kind per load request: the largest fits the 256 KiB body limit (split bigger files)


def _id_chars(value: str) -> str:
    if "/" in value:
        raise PydanticCustomError(RULE_ID, "an id may not contain '/' (it is part of the entry's URL)")
    return value


DepartmentId = Annotated[Line(DEPARTMENT_ID), AfterValidator(_id_chars)]
PersonId = Annotated[Line(PERSON_ID), AfterValidator(_id_chars)]
DistrictId = Annotated[Line(DISTRICT_ID), AfterValidator(_id_chars)]
Name = Line(NAME)
Alias = Line(ALIAS, min_length=2)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("name", "kind", "districts", "active", "role", "area_type", "ct_same_day_opt_in", "aliases",
                     check_fields=False)
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        """PATCH: `null` clears an optional reference (head, parent, department, leader), nothing else."""
        if value is None:
            raise PydanticCustomError("not_null", f"{info.field_name} may be changed but not cleared")
        return value


class DepartmentChange(_Body):
    """PATCH: only the fields given change; `null` clears head or parent."""

    name: Name | None = None
    head: PersonId | None = Field(None, description="Person id of the department head (TT-8.5 payer)")
    parent: DepartmentId | None = Field(None, description="Parent department id")
    kind: DepartmentKind | None = Field(None, description="internal, or contractor (CT-4.9.1)")
    districts: list[DistrictId] | None = Field(None, max_length=500, description="District ids it serves")
    active: StrictBool | None = Field(None, description="false retires it: no new dispatches")


class DepartmentIn(DepartmentChange):
    id: DepartmentId = Field(description="The code tickets are dispatched to, e.g. jianghan-maint")
    name: Name
    kind: DepartmentKind = DepartmentKind.internal
    districts: list[DistrictId] = Field([], max_length=500)
    active: StrictBool = True


class PersonChange(_Body):
    name: Name | None = None
    role: PersonRole | None = None
    department: DepartmentId | None = None
    leader: PersonId | None = Field(None, description="Person id of the direct leader")
    active: StrictBool | None = None


class PersonIn(PersonChange):
    id: PersonId = Field(description="The name tickets use (technician, handler), e.g. wang-wei")
    name: Name
    role: PersonRole
    active: StrictBool = True


class DistrictChange(_Body):
    name: Name | None = None
    area_type: AreaType | None = Field(None, description="CT-2.5: city-centre, county-town or rural")
    ct_same_day_opt_in: StrictBool | None = Field(
        None, description="CT-2.5: a rural district opted in to the same-day promise")
    aliases: list[Alias] | None = Field(None, max_length=50, description="Other names found in addresses")
    active: StrictBool | None = None


class DistrictIn(DistrictChange):
    id: DistrictId = Field(description="District code, e.g. jianghan")
    name: Name = Field(description="The name as written in addresses, e.g. 江汉区")
    area_type: AreaType
    ct_same_day_opt_in: StrictBool = False
    aliases: list[Alias] = Field([], max_length=50)
    active: StrictBool = True


class DirectoryDocument(_Body):
    """A whole directory (or part of one) to load at once: every entry is created or updated, all or nothing."""

    districts: list[DistrictIn] = Field([], max_length=MAX_ENTRIES)
    departments: list[DepartmentIn] = Field([], max_length=MAX_ENTRIES)
    people: list[PersonIn] = Field([], max_length=MAX_ENTRIES)


NEW: dict[EntryKind, type[_Body]] = {"department": DepartmentIn, "person": PersonIn, "district": DistrictIn}
CHANGE: dict[EntryKind, type[_Body]] = {
    "department": DepartmentChange, "person": PersonChange, "district": DistrictChange}
PLURAL: dict[EntryKind, str] = {"department": "departments", "person": "people", "district": "districts"}


@dataclass
class Directory:
    """The entries (as the APIs show them: dicts with the fields of `fields_of(kind)`) by kind and id."""

    departments: dict[str, dict[str, Any]] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    districts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, kind: EntryKind) -> dict[str, dict[str, Any]]:
        return {"department": self.departments, "person": self.people, "district": self.districts}[kind]


class DirectoryRefused(Exception):
    """The change is not allowed; `status` 404 (no such entry), 409 (already there) or 422 (`fields` at fault)."""

    def __init__(self, status: int, message: str, fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or []


def _problem(path: str, rule: str, message: str) -> dict[str, str]:
    return {"field": path, "in": "body", "rule": rule, "message": message}


def _values(kind: EntryKind, body: BaseModel, only_set: bool) -> dict[str, Any]:
    names = body.model_fields_set if only_set else set(fields_of(kind))
    data = body.model_dump(mode="json")
    return {name: data[name] for name in fields_of(kind) if name in names}


def proposed(kind: EntryKind, current: Mapping[str, Any] | None, body: BaseModel, *, create: bool,
             upsert: bool = False) -> dict[str, Any]:
    """The entry's fields after `body` (a create or a PATCH); refuses a create of an existing entry (409) and a
    change of a missing one (404). `upsert` (file loads): create when missing, else set every given field."""
    entry_id = getattr(body, "id", None) if create or upsert else None
    if upsert:
        create = current is None
    if create and current is not None:
        raise DirectoryRefused(409, f"{kind} {entry_id!r} already exists (version {current['version']}); "
                                    f"change it with PATCH")
    if not create and current is None:
        raise DirectoryRefused(404, f"{kind} is not in the directory")
    if create:
        return {"id": entry_id, **_values(kind, body, only_set=False)}
    assert current is not None
    changes = _values(kind, body, only_set=True)
    return {**{name: current[name] for name in ("id", *fields_of(kind))}, **changes}


def check(kind: EntryKind, entry: Mapping[str, Any], directory: Directory, path: str = "") -> list[dict[str, str]]:
    """Every reference of `entry` that names nothing, and any loop it would close; [] when it may be stored.
    `directory` already holds the other entries as they will be (`entry` itself is taken from the argument)."""
    at = f"{path}." if path else ""
    problems: list[dict[str, str]] = []

    def must_exist(name: str, ref_kind: EntryKind, value: str | None, where: str | None = None) -> None:
        if value is not None and value not in directory.of(ref_kind) and not (
                ref_kind == kind and value == entry["id"]):
            problems.append(_problem(f"{at}{where or name}", RULE_REFERENCE,
                                     f"{ref_kind} {value!r} is not in the directory"))

    if kind == "department":
        must_exist("head", "person", entry.get("head"))
        must_exist("parent", "department", entry.get("parent"))
        for i, district in enumerate(entry.get("districts") or ()):
            must_exist("districts", "district", district, f"districts.{i}")
        if len(set(entry.get("districts") or ())) != len(entry.get("districts") or ()):
            problems.append(_problem(f"{at}districts", RULE_DUPLICATE, "a district is listed twice"))
        if loop := _loop(entry["id"], entry.get("parent"), directory.departments, "parent"):
            problems.append(_problem(f"{at}parent", RULE_LOOP, f"parent chain loops: {' → '.join(loop)}"))
    elif kind == "person":
        must_exist("department", "department", entry.get("department"))
        must_exist("leader", "person", entry.get("leader"))
        if loop := _loop(entry["id"], entry.get("leader"), directory.people, "leader"):
            problems.append(_problem(f"{at}leader", RULE_LOOP, f"leader chain loops: {' → '.join(loop)}"))
    else:
        names = [entry["name"], *(entry.get("aliases") or ())]
        if len({_norm(n) for n in names}) != len(names):
            problems.append(_problem(f"{at}aliases", RULE_DUPLICATE, "an alias repeats the name or another alias"))
    return problems


def _loop(start: str, first: str | None, entries: Mapping[str, Mapping[str, Any]], link: str) -> list[str] | None:
    """The chain start → first → … when it comes back to `start` (or to itself); None when it ends."""
    chain, seen, current = [start], {start}, first
    while current is not None:
        chain.append(current)
        if current in seen:
            return chain
        seen.add(current)
        current = (entries.get(current) or {}).get(link)
    return None


def changed(current: Mapping[str, Any] | None, entry: Mapping[str, Any], kind: EntryKind) -> bool:
    if current is None:
        return True
    return any(_comparable(current[name]) != _comparable(entry[name]) for name in fields_of(kind))


def _comparable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def recorded(kind: EntryKind, entry: Mapping[str, Any], current: Mapping[str, Any] | None,
             actor: str) -> DirectoryEntry:
    """The event recording `entry` as its next version."""
    model = DIRECTORY_EVENTS[kind]
    id_field = {"department": "department_id", "person": "person_id", "district": "district_id"}[kind]
    values = {name: entry[name] for name in fields_of(kind)}
    for name in ("districts", "aliases"):
        if name in values:
            values[name] = tuple(values[name] or ())
    return model(**{id_field: entry["id"]}, **values, version=(current["version"] + 1) if current else 1,
                 change="updated" if current else "created", actor=actor)


def plan_load(document: DirectoryDocument, directory: Directory, actor: str) -> list[tuple[EntryKind, DirectoryEntry]]:
    """Every entry of `document` created or updated (fields it gives replace those stored), checked together:
    a department may name a head defined further down the same file. Unchanged entries make no event.
    Raises DirectoryRefused(422) with every problem (paths like `people.3.leader`) when any is refused."""
    problems: list[dict[str, str]] = []
    after = Directory(dict(directory.departments), dict(directory.people), dict(directory.districts))
    planned: list[tuple[EntryKind, str, str, dict[str, Any]]] = []
    for kind, items in (("district", document.districts), ("department", document.departments),
                        ("person", document.people)):
        seen: set[str] = set()
        for i, body in enumerate(items):
            path = f"{PLURAL[kind]}.{i}"
            key: str = body.id  # type: ignore[attr-defined]
            if key in seen:
                problems.append(_problem(f"{path}.id", RULE_DUPLICATE, f"{kind} {key!r} is listed twice"))
                continue
            seen.add(key)
            entry = proposed(kind, directory.of(kind).get(key), body, create=False, upsert=True)
            after.of(kind)[entry["id"]] = {**(directory.of(kind).get(entry["id"]) or {}), **entry}
            planned.append((kind, path, entry["id"], entry))
    for kind, path, _, entry in planned:
        problems += check(kind, entry, after, path)
    if problems:
        raise DirectoryRefused(422, f"{len(problems)} problem(s) in the directory: "
                                    + ", ".join(p["field"] for p in problems[:10]), problems)
    return [(kind, recorded(kind, entry, directory.of(kind).get(entry_id), actor))
            for kind, _, entry_id, entry in planned if changed(directory.of(kind).get(entry_id), entry, kind)]


# -- what tickets name ---------------------------------------------------------------------------------------

#: Command fields that name a directory entry: field -> kind. A given value must be an active entry.
TICKET_REFERENCES: dict[str, EntryKind] = {
    "department": "department",
    "technician": "person",
    "responsible_department": "department",
}


@dataclass(frozen=True)
class Reference:
    field: str
    kind: EntryKind
    value: str


def references(command: object, names: Mapping[str, EntryKind] = TICKET_REFERENCES) -> list[Reference]:
    """The directory entries a ticket command names (fields it has and gave)."""
    found = []
    for name, kind in names.items():
        value = getattr(command, name, None)
        if isinstance(value, str) and value:
            found.append(Reference(name, kind, value))
    return found


def reference_problems(refs: Iterable[Reference], known: Mapping[EntryKind, Mapping[str, Mapping[str, Any]]]
                       ) -> list[dict[str, str]]:
    """A 422 field error for each reference to an unknown or retired entry."""
    problems = []
    for ref in refs:
        entry = known.get(ref.kind, {}).get(ref.value)
        if entry is None:
            problems.append(_problem(ref.field, RULE_REFERENCE, f"{ref.kind} {ref.value!r} is not in the directory"))
        elif not entry["active"]:
            problems.append(_problem(ref.field, RULE_REFERENCE, f"{ref.kind} {ref.value!r} is retired"))
    return problems
