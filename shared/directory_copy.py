"""Every service's own copy of the directory (issue 8): departments, people and districts.

Dispatch keeps the directory (services/dispatch/service_layer/directory.py) in these same tables and publishes
every change on `gongdan.directory` (shared/events/directory.py). The other services apply those events here:
each event is a snapshot of the whole entry with its version, so a copy keeps the highest version it has seen
(a redelivered or late older version changes nothing). Reads are the same everywhere: `DirectoryTables.get`,
`.list`, `.districts`, and a read-only HTTP router (`GET /directory/...`).

Penalty reads payers from it (a department's head, a person's department and direct leader, RULEBOOK §9.3);
compensation reads districts (CT-2.5 area type, rural opt-in) and contractors (CT-4.9.1).
"""

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared import limits
from shared.events import Envelope
from shared.events.directory import (
    DIRECTORY_EVENTS,
    DepartmentRecorded,
    DirectoryEntry,
    DistrictRecorded,
    EntryKind,
    PersonRecorded,
)
from shared.events.registry import REGISTRY
from shared.events.topics import TOPICS
from shared.http.auth import Principal, Role, require
from shared.errors import Invalid, NotFound
from shared.inputs import Line
from shared.messaging.consumer import Handler
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep

# Column sizes: department and person ids are what tickets store (shared/limits.py).
DEPARTMENT_ID = limits.DEPARTMENT
PERSON_ID = limits.PERSON
DISTRICT_ID = limits.TICKET_AREA
NAME = 200
DIRECTORY_VIEW = "directory"  # the copy as a view held in memory (shared/persistence/views.py); its events change it
ALIAS = 100


@dataclass(frozen=True)
class KindSpec:
    """One kind of entry: its table, the payload field holding its id, its path segment and its list filters."""

    kind: EntryKind
    path: str
    id_field: str
    id_size: int
    filters: tuple[str, ...]


KINDS: dict[EntryKind, KindSpec] = {
    "department": KindSpec("department", "departments", "department_id", DEPARTMENT_ID, ("kind", "parent", "district")),
    "person": KindSpec("person", "people", "person_id", PERSON_ID, ("role", "department", "leader")),
    "district": KindSpec("district", "districts", "district_id", DISTRICT_ID, ("area_type",)),
}


def _common(kind: EntryKind, size: int) -> list[Column]:
    return [
        Column("id", String(size), primary_key=True),
        Column("name", String(NAME), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("version", Integer, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(limits.PERSON), nullable=False),
    ]


class DirectoryTables:
    """The three directory tables of one service's database, and how to read and apply them."""

    def __init__(self, metadata: MetaData) -> None:
        self.departments = Table(
            "directory_departments", metadata, *_common("department", DEPARTMENT_ID),
            Column("head", String(PERSON_ID)),
            Column("parent", String(DEPARTMENT_ID)),
            Column("kind", String(20), nullable=False),
            Column("districts", JSONB, nullable=False),
        )
        self.people = Table(
            "directory_people", metadata, *_common("person", PERSON_ID),
            Column("role", String(20), nullable=False),
            Column("department", String(DEPARTMENT_ID)),
            Column("leader", String(PERSON_ID)),
        )
        self.districts_table = Table(
            "directory_districts", metadata, *_common("district", DISTRICT_ID),
            Column("area_type", String(20), nullable=False),
            Column("ct_same_day_opt_in", Boolean, nullable=False),
            Column("aliases", JSONB, nullable=False),
        )

    def table(self, kind: EntryKind) -> Table:
        return {"department": self.departments, "person": self.people, "district": self.districts_table}[kind]

    # -- writing (dispatch's service layer and the copies' event handler) -------------------------------------

    async def save(self, conn: AsyncConnection, entry: DirectoryEntry, at: Any) -> bool:
        """Keep `entry` unless a version as new is already here; True when the row changed."""
        kind = kind_of(entry)
        table = self.table(kind)
        values = row_values(entry) | {"updated_at": at}
        stmt = insert(table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.id], set_={k: stmt.excluded[k] for k in values if k != "id"},
            where=table.c.version < stmt.excluded.version,
        ).returning(table.c.id)
        return (await conn.execute(stmt)).first() is not None

    async def apply(self, uow: UnitOfWork, event: Envelope) -> None:
        """Event handler of the copies: the newest version of each entry wins, whatever the arrival order."""
        uow.changed(DIRECTORY_VIEW)
        await self.save(uow.conn, event.payload, event.recorded_at)

    def handlers(self) -> dict[str, Handler]:
        """For a service's `handlers`: every directory event type (add TOPICS.directory to its `consumes`)."""
        return {name: self.apply for name in REGISTRY.names_on(TOPICS.directory)}

    # -- reading ----------------------------------------------------------------------------------------------

    async def get(self, conn: AsyncConnection, kind: EntryKind, entry_id: str, *,
                  for_update: bool = False) -> dict[str, Any] | None:
        table = self.table(kind)
        query = select(table).where(table.c.id == entry_id)
        row = (await conn.execute(query.with_for_update() if for_update else query)).mappings().first()
        return view(kind, row) if row else None

    async def known(self, conn: AsyncConnection, kind: EntryKind, ids: set[str]) -> dict[str, dict[str, Any]]:
        """The entries of `ids` that exist (active or not), by id."""
        if not ids:
            return {}
        table = self.table(kind)
        rows = (await conn.execute(select(table).where(table.c.id.in_(sorted(ids))))).mappings().all()
        return {row["id"]: view(kind, row) for row in rows}

    async def entries(self, conn: AsyncConnection, kind: EntryKind, filters: Mapping[str, Any] | None = None, *,
                   after: str | None = None, limit: int | None = None,
                   active: bool | None = None) -> list[dict[str, Any]]:
        table = self.table(kind)
        query = select(table).order_by(table.c.id)
        for name, value in (filters or {}).items():
            if value is None:
                continue
            if kind == "department" and name == "district":
                query = query.where(table.c.districts.contains([value]))
            else:
                query = query.where(table.c[name] == value)
        if active is not None:
            query = query.where(table.c.active.is_(active))
        if after is not None:
            query = query.where(table.c.id > after)
        if limit is not None:
            query = query.limit(limit)
        return [view(kind, row) for row in (await conn.execute(query)).mappings().all()]

    async def districts(self, conn: AsyncConnection) -> list[dict[str, Any]]:
        """Every active district (for address matching at intake)."""
        return await self.entries(conn, "district", active=True)

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def router(self, roles: tuple[Role, ...], *, tag: str = "directory", copy_of: str | None = "dispatch"
               ) -> APIRouter:
        """`GET /directory/{departments,people,districts}` and `/{id}`: this service's copy (or the directory)."""
        router = APIRouter(tags=[tag])
        reader = Depends(require(*roles))
        whose = f" (this service's copy of the {copy_of} directory)" if copy_of else ""
        for spec in KINDS.values():
            self._routes(router, spec, reader, whose)
        return router

    def _routes(self, router: APIRouter, spec: KindSpec, reader: Any, whose: str) -> None:
        tables = self
        Id = Line(spec.id_size)  # noqa: N806 - a type
        known_params = {"limit", "after", "active", *spec.filters}

        async def list_entries(
            request: Request, rt: RuntimeDep, principal: Principal = reader,
            limit: Annotated[int, Query(ge=1, le=1000)] = 500,
            after: Annotated[Id | None, Query(description="`next_after` of the previous page")] = None,
            active: Annotated[bool | None, Query(description="Only active (true) or retired entries")] = None,
            **_: Any,
        ) -> dict[str, Any]:
            unknown = sorted(set(request.query_params) - known_params)
            if unknown:
                raise Invalid(f"unknown query parameter: {', '.join(unknown)}", fields=[
                    {"field": name, "in": "query", "rule": "unknown_parameter",
                     "message": f"known: {', '.join(sorted(known_params))}"} for name in unknown])
            filters = {name: request.query_params.get(name) for name in spec.filters}
            async with rt.new_uow() as uow:
                items = await tables.entries(uow.conn, spec.kind, filters, after=after, limit=limit + 1, active=active)
            more = len(items) > limit
            items = items[:limit]
            return {"items": items, "next_after": items[-1]["id"] if more else None}

        # The filters are declared as query parameters for the OpenAPI (and read from the request above).
        _declare_filters(list_entries, spec)
        list_entries.__name__ = f"list_{spec.path}"
        router.add_api_route(f"/directory/{spec.path}", list_entries, methods=["GET"],
                             summary=f"List {spec.path}{whose}, by id, with paging")

        async def read_entry(entry_id: Id, rt: RuntimeDep,  # type: ignore[valid-type]
                             principal: Principal = reader) -> dict[str, Any]:
            async with rt.new_uow() as uow:
                found = await tables.get(uow.conn, spec.kind, entry_id)
            if found is None:
                raise NotFound(f"{spec.kind} {entry_id!r} is not in the directory")
            return found

        read_entry.__name__ = f"read_{spec.kind}"
        router.add_api_route(f"/directory/{spec.path}/{{entry_id}}", read_entry, methods=["GET"],
                             summary=f"One {spec.kind}{whose}")


def _declare_filters(endpoint: Any, spec: KindSpec) -> None:
    """Give `endpoint` one optional string query parameter per filter of `spec` (replacing **_)."""
    import inspect

    signature = inspect.signature(endpoint)
    params = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    for name in spec.filters:
        size = DISTRICT_ID if name == "district" else PERSON_ID if name == "leader" else DEPARTMENT_ID
        params.append(inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[Line(size) | None, Query(description=f"Only entries whose {name} is this")]))
    endpoint.__signature__ = signature.replace(parameters=params)


def kind_of(entry: DirectoryEntry) -> EntryKind:
    for kind, model in DIRECTORY_EVENTS.items():
        if isinstance(entry, model):
            return kind
    raise TypeError(f"not a directory entry: {type(entry).__name__}")


def entry_id(entry: DirectoryEntry) -> str:
    return getattr(entry, KINDS[kind_of(entry)].id_field)


def row_values(entry: DirectoryEntry) -> dict[str, Any]:
    """The table row of an entry (without `updated_at`)."""
    common = {"id": entry_id(entry), "name": entry.name, "active": entry.active,  # type: ignore[attr-defined]
              "version": entry.version, "updated_by": entry.actor}
    if isinstance(entry, DepartmentRecorded):
        return common | {"head": entry.head, "parent": entry.parent, "kind": entry.kind.value,
                         "districts": list(entry.districts)}
    if isinstance(entry, PersonRecorded):
        return common | {"role": entry.role.value, "department": entry.department, "leader": entry.leader}
    if isinstance(entry, DistrictRecorded):
        return common | {"area_type": entry.area_type.value, "ct_same_day_opt_in": entry.ct_same_day_opt_in,
                         "aliases": list(entry.aliases)}
    raise TypeError(type(entry).__name__)


_FIELDS: dict[EntryKind, tuple[str, ...]] = {
    "department": ("name", "head", "parent", "kind", "districts", "active"),
    "person": ("name", "role", "department", "leader", "active"),
    "district": ("name", "area_type", "ct_same_day_opt_in", "aliases", "active"),
}


def view(kind: EntryKind, row: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as the APIs show it: its fields, version and when it last changed."""
    body = {"id": row["id"], **{name: row[name] for name in _FIELDS[kind]}, "version": row["version"],
            "updated_at": row["updated_at"].isoformat(), "updated_by": row["updated_by"]}
    for name in ("districts", "aliases"):
        if name in body:
            body[name] = list(body[name] or [])
    return body


def fields_of(kind: EntryKind) -> tuple[str, ...]:
    """The fields an admin sets on an entry of `kind` (besides its id)."""
    return _FIELDS[kind]


# -- places: which district a text names ------------------------------------------------------------------------

MIN_PLACE = 2  # a name or alias shorter than this is never looked for inside an address ("1" is in every other one)


def normalize_place(text: str) -> str:
    """Compare place names without width, case or whitespace differences (全角/半角, 江汉 区 = 江汉区)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _terms(district: Mapping[str, Any]) -> list[str]:
    return [normalize_place(t) for t in (district["name"], *(district.get("aliases") or ()))]


def district_named(text: str | None, districts: Iterable[Mapping[str, Any]]) -> str | None:
    """The district whose id, name or an alias is exactly `text` (an outage's `area`, a caller's `area`)."""
    if not text:
        return None
    key = normalize_place(text)
    for district in districts:
        if key == normalize_place(district["id"]) or key in _terms(district):
            return district["id"]
    return None


def district_in_address(address: str | None, districts: Iterable[Mapping[str, Any]]) -> str | None:
    """The district an address lies in: the one whose name or alias appears in it, the longest match winning
    (海州区 over 海州); None when none does or two different districts match equally well."""
    if not address:
        return None
    text = normalize_place(address)
    best: tuple[int, set[str]] = (0, set())
    for district in districts:
        length = max((len(t) for t in _terms(district) if len(t) >= MIN_PLACE and t in text), default=0)
        if length > best[0]:
            best = (length, {district["id"]})
        elif length and length == best[0]:
            best[1].add(district["id"])
    return next(iter(best[1])) if len(best[1]) == 1 else None


def create_directory_tables_migration() -> None:
    """For a service's directory migration (dispatch's directory and every copy use the same tables)."""
    from alembic import op

    tables = DirectoryTables(MetaData())
    bind = op.get_bind()
    for kind in KINDS:
        tables.table(kind).create(bind)


def drop_directory_tables_migration() -> None:
    from alembic import op

    for table in ("directory_departments", "directory_people", "directory_districts"):
        op.drop_table(table)
