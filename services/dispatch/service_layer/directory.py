"""Directory use cases (issue 8): create, change and load entries; each write stores the entries and their events
(outbox) in one transaction. Also the checks other dispatch use cases make against the directory."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from services.dispatch.adapters.directory_tables import directory as tables
from services.dispatch.domain.directory import (
    RULE_REFERENCE,
    Directory,
    DirectoryDocument,
    DirectoryRefused,
    Reference,
    changed,
    check,
    plan_load,
    proposed,
    recorded,
    reference_problems,
    references,
)
from shared.directory_copy import KINDS, district_named, entry_id, kind_of
from shared.errors import Conflict, Invalid, NotFound, Refused
from shared.events.directory import DirectoryEntry, EntryKind, entry_key
from shared.identity import Principal
from shared.messaging.unit_of_work import UnitOfWork


async def _lock(uow: UnitOfWork) -> None:
    """One directory writer at a time: references and versions are checked against a directory nobody changes."""
    await uow.conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended('gongdan:directory', 0))"))


async def read_all(uow: UnitOfWork) -> Directory:
    directory = Directory()
    for kind in KINDS:
        directory.of(kind).update({e["id"]: e for e in await tables.entries(uow.conn, kind)})
    return directory


def _refused(refused: DirectoryRefused) -> Refused:
    kind = {404: NotFound, 409: Conflict}.get(refused.status, Invalid)
    return kind(refused.message, fields=refused.fields) if refused.fields else kind(refused.message)


async def _record(uow: UnitOfWork, events: Iterable[DirectoryEntry]) -> list[str]:
    """Store each entry's new version and publish it (keyed by the entry); returns the event ids."""
    now, ids = uow.now(), []
    for event in events:
        await tables.save(uow.conn, event, now)
        [envelope] = uow.emit([event], stream=entry_key(kind_of(event), entry_id(event)),
                              first_sequence=event.version, occurred_at=now)
        ids.append(str(envelope.event_id))
    return ids


async def write(uow: UnitOfWork, kind: EntryKind, body: BaseModel, principal: Principal,
                entry: str | None = None) -> dict[str, Any]:
    """Create (`entry` None: the id is in the body) or change one entry; the entry as stored, and its event."""
    await _lock(uow)
    directory = await read_all(uow)
    create = entry is None
    key = body.id if create else entry
    current = directory.of(kind).get(key)
    try:
        new = proposed(kind, current, body, create=create)
    except DirectoryRefused as refused:
        if refused.status == 404:
            raise NotFound(f"{kind} {key!r} is not in the directory") from None
        raise _refused(refused) from None
    if problems := check(kind, new, directory):
        raise Invalid(f"invalid {kind}: " + ", ".join(p["field"] for p in problems), fields=problems)
    events: list[str] = []
    if changed(current, new, kind):
        events = await _record(uow, [recorded(kind, new, current, principal.name)])
    stored = await tables.get(uow.conn, kind, key)
    return {"entry": stored, "event_id": events[0] if events else None}


async def load(uow: UnitOfWork, document: DirectoryDocument, principal: Principal) -> dict[str, Any]:
    """Create or update every entry of `document` at once (a first deployment's file): all or nothing."""
    await _lock(uow)
    directory = await read_all(uow)
    try:
        events = plan_load(document, directory, principal.name)
    except DirectoryRefused as refused:
        raise _refused(refused) from None
    await _record(uow, (event for _, event in events))
    total = len(document.departments) + len(document.people) + len(document.districts)
    summary: dict[str, Any] = {kind: {"created": 0, "updated": 0} for kind in ("department", "person", "district")}
    for kind, event in events:
        summary[kind][event.change] += 1
    return {"entries": total, "unchanged": total - len(events), "changes": len(events), **{
        KINDS[k].path: v for k, v in summary.items()}}


async def get(uow: UnitOfWork, kind: EntryKind, key: str) -> dict[str, Any]:
    found = await tables.get(uow.conn, kind, key)
    if found is None:
        raise NotFound(f"{kind} {key!r} is not in the directory")
    return found


# -- checks made by other use cases -------------------------------------------------------------------------------

async def require_known(uow: UnitOfWork, refs: list[Reference]) -> None:
    """422 naming every field whose department, technician or district is unknown or retired."""
    if not refs:
        return
    wanted: dict[EntryKind, set[str]] = {}
    for ref in refs:
        wanted.setdefault(ref.kind, set()).add(ref.value)
    known = {kind: await tables.known(uow.conn, kind, ids) for kind, ids in wanted.items()}
    if problems := reference_problems(refs, known):
        raise Invalid("not in the directory: " + ", ".join(p["field"] for p in problems), fields=problems)


async def check_ticket_command(uow: UnitOfWork, command: object) -> None:
    """Dispatch, redispatch, reclassification, escalation (any command naming a department or technician)."""
    await require_known(uow, references(command))


async def outage_districts(uow: UnitOfWork, area: str, districts: Iterable[str],
                           publishing_department: str | None) -> tuple[str, ...]:
    """The districts an outage covers: those given (each must be known), else the district its `area` names
    exactly (if any). An area that names no district stays free text (matched only by a caller's `area`)."""
    given = tuple(dict.fromkeys(districts))
    refs = [Reference(f"districts.{i}", "district", d) for i, d in enumerate(given)]
    if publishing_department:
        refs.append(Reference("publishing_department", "department", publishing_department))
    await require_known(uow, refs)
    if given:
        return given
    named = district_named(area, await tables.districts(uow.conn))
    return (named,) if named else ()


__all__ = ["RULE_REFERENCE", "check_ticket_command", "get", "load", "outage_districts", "read_all",
           "require_known", "write"]
