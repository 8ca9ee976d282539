"""Write proposed entries exactly once, in their assessment month (RULEBOOK §9.15), with their evidence."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from services.penalty.adapters import journal
from services.penalty.adapters import repository as repo
from services.penalty.adapters.tables import directory
from services.penalty.domain import amounts as am
from services.penalty.domain.assess import Payer, Proposal
from services.penalty.service_layer import publish as events
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.penalties import PenaltyPolicy, TieredAmount

ENTRY_IDS = uuid.UUID("4d1c6f0e-6a55-5f0b-9a53-70656e616c74")  # namespace of entry ids (uuid5 of the entry key)
Evidence = dict[str, dict[str, Any]]  # event id -> {type, occurred_at, …}


def evidence_of(events: list[tuple[str, str, datetime, dict]]) -> Evidence:
    return {eid: {"event_id": eid, "type": name, "occurred_at": at.isoformat()} for name, eid, at, _ in events}


async def month_for(uow: UnitOfWork, at: datetime, tz: str) -> str:
    """The local month of the cause, or the next open one when the review board closed it."""
    return am.open_month(am.local_month(at, tz), await repo.closed_months(uow.conn))


async def write(uow: UnitOfWork, proposals: list[Proposal], ticket_id: uuid.UUID | None, known: Evidence, tz: str,
                *, source: str = "event", status: str = "proposed", extra: dict[str, Any] | None = None,
                reverses: uuid.UUID | None = None, month: str | None = None, publish: bool = True) -> list[uuid.UUID]:
    """Insert each proposal unless its key exists (redelivery, replay, another instance): ids written. Each row
    written is published on gongdan.penalties in this transaction (publish.py); a row not written publishes
    nothing, so an entry's event exists exactly once. `publish=False`: the caller publishes it (an appeal's
    refund after its decision)."""
    if not proposals:
        return []
    await repo.lock_months(uow.conn)
    closed = await repo.closed_months(uow.conn)
    written, rows = [], []
    for p in proposals:
        row = await entry_row(uow, p, ticket_id, known, tz, closed, source=source, status=status, extra=extra,
                              reverses=reverses, month=month)
        if await repo.insert_entry(uow.conn, row):
            written.append(row["id"])
            rows.append(row)
            if source != "event":  # a person's act (manual entry, refund): kept verbatim for replay
                await journal.record_act(uow.conn, "entry-insert", row)
    if publish:
        await events.rows_written(uow, rows)
    return written


async def write_many(uow: UnitOfWork, items: list[tuple[list[Proposal], uuid.UUID | None, Evidence]],
                     tz: str) -> int:
    """Event-derived proposals of many causes at once (a run of breaches): one lock, one insert; entries written."""
    if not any(proposals for proposals, _, _ in items):
        return 0
    await repo.lock_months(uow.conn)
    closed = await repo.closed_months(uow.conn)
    rows = [await entry_row(uow, p, ticket_id, known, tz, closed)
            for proposals, ticket_id, known in items for p in proposals]
    written = await repo.insert_entries(uow.conn, rows)
    fresh: dict[uuid.UUID, dict[str, Any]] = {}
    for r in rows:  # as `write`: the rows written, each once (the first row of a key is the one inserted)
        if r["id"] in written:
            fresh.setdefault(r["id"], r)
    await events.rows_written(uow, list(fresh.values()))
    return len(written)


async def entry_row(uow: UnitOfWork, p: Proposal, ticket_id: uuid.UUID | None, known: Evidence, tz: str,
                    closed: set[str], *, source: str = "event", status: str = "proposed",
                    extra: dict[str, Any] | None = None, reverses: uuid.UUID | None = None,
                    month: str | None = None) -> dict[str, Any]:
    p = await named(uow, p)
    return {
        "id": uuid.uuid5(ENTRY_IDS, p.key),  # the same cause gives the same id on replay
        "entry_key": p.key, "kind": p.kind, "clause": p.clause, "grp": p.group,
        "cause": p.cause, "ticket_id": ticket_id, "payer_kind": p.payer.kind, "payer_id": p.payer.id,
        "person": p.payer.person, "amount_fen": p.computation.fen, "computation": p.computation.text,
        "numbers": p.computation.numbers,
        "evidence": [known.get(e, {"event_id": e}) for e in p.evidence],
        "cause_at": p.at, "month": month or am.open_month(am.local_month(p.at, tz), closed),
        "status": status, "reverses": reverses, "source": source,
        "history": [{"at": uow.now().isoformat(), "by": "penalty", "action": f"{p.kind} {status}"}],
        "created_at": uow.now(), **(extra or {}),
    }


async def priors(uow: UnitOfWork, policy: PenaltyPolicy, clause_ids: list[str], department: str | None,
                 at: datetime, tz: str) -> dict[str, int]:
    """Earlier cases of the tiered clauses among `clause_ids` for the department in the local year (locked)."""
    out = {}
    year = am.local_year(at, tz)
    for cid in clause_ids:
        if isinstance(policy.clause(cid).amount, TieredAmount):
            await repo.lock_tier(uow.conn, cid, department, year)
            out[cid] = await repo.prior_cases(uow.conn, cid, department, year, tz)
    return out


async def reverse_cause(uow: UnitOfWork, cause: str, why: str, known: Evidence, tz: str,
                        evidence: tuple[str, ...]) -> list[uuid.UUID]:
    """A cause went away: one reversing entry per clause of the cause, for what stands; nothing deleted. It lands
    in the month of the entry it reverses, or the next open one when that month is closed."""
    entries = [e for e in await repo.entries_of_cause(uow.conn, cause) if e["status"] != "cancelled"]
    by_clause: dict[tuple[str, str | None, str], list[dict]] = {}
    for e in entries:
        by_clause.setdefault((e["grp"] or e["clause"], e["payer_id"], e["payer_kind"]), []).append(e)
    written: list[uuid.UUID] = []
    for (_, _, _), group in by_clause.items():
        if any(e["kind"] == "reversal" for e in group):
            continue
        standing = sum(_effective(e) for e in group)
        if standing == 0:
            continue
        first = group[0]
        comp = am.Computation(-standing, f"reversed: {why}; −{standing:,} fen",
                              {"reversed_fen": standing, "entries": [str(e["id"]) for e in group]})
        p = Proposal(first["clause"], cause, "reversal", Payer(first["payer_kind"], first["payer_id"], first["person"]),
                     comp, first["cause_at"], evidence, first["grp"], "leader" if first["entry_key"].endswith("|leader") else "")
        written += await write(uow, [p], first["ticket_id"], known, tz, reverses=first["id"])
    return written


async def named(uow: UnitOfWork, p: Proposal) -> Proposal:
    """Name the person a head or leader payer is, from penalty's copy of the directory (RULEBOOK §9.3)."""
    payer = p.payer
    if payer.kind == "department-head" and payer.id and not payer.person:
        dept = await directory.get(uow.conn, "department", payer.id)
        if dept and dept.get("head"):
            return replace(p, payer=Payer(payer.kind, payer.id, dept["head"]))
    if payer.kind == "direct-leader" and payer.id:
        person = await directory.get(uow.conn, "person", payer.id)
        if person and person.get("leader"):
            return replace(p, payer=Payer("person", person["leader"], person["leader"]))
    return p


def _effective(entry: dict[str, Any]) -> int:
    return 0 if entry["status"] == "cancelled" else int(entry["amount_fen"])
