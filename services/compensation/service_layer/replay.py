"""`gongdan replay compensation`: rebuild compensation's claims and payout batches in an empty database by replaying
what the service recorded, through the same code that made them, and compare the result with the source.

The event source (decided for issue 11): the source database's own log of every `gongdan.tickets` event it applied
(`observed_events`, verbatim: id, type, sequence, field and system time, payload; kept for good, unlike the
broker's retention, the embedded broker's memory or the producers' outboxes, trimmed after 7 days), each replayed
at the time it was applied (`inbox.applied_at`), interleaved with the service's own commands at the time they were
made, in the order of its command journal (`compensation_journal`): exemptions (`recorded_at`), disputes
(`disputed_at`), field-time confirmations (`confirmed_at`), batch cuts (`created_at`, with their cut-off and
currency) and lines marked paid or failed (`marked_at`). The clock is set to each item's time, so an open claim's
"so far" arithmetic comes out as it was. Lines removed from a batch and clawbacks are not replayed: the
recomputations after the replayed exemptions make them again.

Copied, not replayed (they are not derived from events): the directory copy (its latest version, as another
service's data), the customer notices' delivery state and the recorded payment breaches (both records of what
happened outside; the rebuilt database must not text a customer again). The replay publishes nothing: the events
its claims produce were announced by the source, so the target's outbox is emptied at the end.

Claims compare on (ticket, scheme, promise) and every figure and the evidence; claim ids follow from that key, so
they are equal too. Batches compare on number, cut-off, currency, status, total, their lines (claim, amount,
status, top-up reference) and clawbacks (claim, amount, state)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import directory, observed, platform, tracking
from services.compensation.adapters.tables import journal as J
from services.compensation.service_layer import payouts
from services.compensation.service_layer.claims import claim_id_of, recompute
from services.compensation.service_layer.commands import journal
from services.compensation.service_layer.config import CompensationConfig
from services.compensation.service_layer.handlers import on_ticket_event
from shared.clock import ControllableClock
from shared.events import Envelope
from shared.events.registry import REGISTRY, DecodeError
from shared.events.topics import TOPICS
from shared.messaging.unit_of_work import UnitOfWork

CLAIM_FIELDS = ("number", "customer_name", "customer_phone", "account", "clause", "currency", "unit", "status",
                "amount", "days_late", "deadline", "completion", "evidence", "payment_due_at", "payout_state",
                "paid_at", "top_up_ref")


@dataclass
class ReplayReport:
    events: int = 0
    commands: int = 0
    claims: int = 0
    batches: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def _envelope(row: Any) -> Envelope:
    for version in range(1, 10):  # the payload was stored as its typed model dumped to JSON: validate it again
        try:
            spec = REGISTRY.lookup(row.type, version)
        except DecodeError:
            continue
        payload = spec.model.model_validate(row.payload)
        return Envelope(event_id=row.event_id, type=row.type, schema_version=version, ticket_id=row.ticket_id,
                        sequence=row.sequence, occurred_at=row.occurred_at, recorded_at=row.recorded_at,
                        producer=row.producer, correlation_id=row.event_id, payload=payload)
    raise DecodeError(f"unknown event type {row.type!r}")


async def _timeline(source: AsyncEngine) -> list[tuple[datetime, int, int, str, Any]]:
    """Everything to replay, in the order it happened: (when, events before commands, order, what, row). Commands
    of one time keep the order of the journal (rows made before it existed: exemption, dispute, confirmation, cut,
    mark)."""
    e, inbox = observed.events, platform.inbox
    x, c, b, ln = T.exemptions, T.confirmations, T.batches, T.lines
    items: list[tuple[datetime, int, int, str, Any]] = []
    async with source.connect() as conn:
        order = {(r.kind, r.ref): r.id for r in (await conn.execute(select(J))).all()}

        def command(when: datetime, what: str, ref: uuid.UUID, rank: int, row: Any) -> None:
            items.append((when, 1, order.get((what, ref), 2**62 + rank), what, row))

        for r in (await conn.execute(select(e, inbox.c.applied_at).outerjoin(inbox, inbox.c.event_id == e.c.event_id)
                                     .order_by(e.c.recorded_at, e.c.sequence))).all():
            items.append((r.applied_at or r.recorded_at, 0, 0, "event", r))
        for r in (await conn.execute(select(x))).all():
            command(r.recorded_at, "exemption", r.exemption_id, 1, r)
            if r.disputed_at is not None:
                command(r.disputed_at, "dispute", r.exemption_id, 2, r)
        for r in (await conn.execute(select(c))).all():
            command(r.confirmed_at, "confirmation", r.ticket_id, 1, r)
        for r in (await conn.execute(select(b))).all():
            command(r.created_at, "cut", r.batch_id, 3, r)
        for r in (await conn.execute(select(ln, T.claims.c.ticket_id, T.claims.c.scheme, T.claims.c.promise)
                                     .join(T.claims, T.claims.c.claim_id == ln.c.claim_id)
                                     .where(ln.c.marked_at.is_not(None), ln.c.status != "removed"))).all():
            command(r.marked_at, "mark", r.line_id, 4, r)
    items.sort(key=lambda i: i[:3])  # stable: events keep their recorded order
    return items


async def _empty(target: AsyncEngine) -> bool:
    async with target.connect() as conn:
        for table in (observed.events, T.claims, T.batches):
            if (await conn.execute(select(table).limit(1))).first() is not None:
                return False
    return True


async def replay(source: AsyncEngine, target: AsyncEngine, config: CompensationConfig) -> ReplayReport:
    """Rebuild into `target` (migrated, empty) from `source`; compare. Raises ValueError if target is not empty."""
    if not await _empty(target):
        raise ValueError("the target database is not empty: replay rebuilds into an empty database only")
    clock = ControllableClock(datetime.now().astimezone())
    report = ReplayReport()

    def uow() -> UnitOfWork:
        return UnitOfWork(target, platform, clock, lambda: None, config, "compensation")

    await _copy_directory(source, target)
    batch_ids: dict[uuid.UUID, uuid.UUID] = {}  # source batch -> target batch
    for when, _, _, what, row in await _timeline(source):
        clock.set(when)
        async with uow() as w:
            if what == "event":
                envelope = _envelope(row)
                await w.mark_all_consumed([(envelope.event_id, envelope.type, TOPICS.tickets)])
                await on_ticket_event(w, envelope)
                report.events += 1
            else:
                report.commands += 1
                await _command(w, what, row, batch_ids)
            await w.commit()
    await _copy_records(source, target)
    async with target.begin() as conn:  # announced by the source already: publish nothing again
        await conn.execute(delete(platform.outbox))
    report.differences = await compare(source, target)
    async with target.connect() as conn:
        report.claims = len((await conn.execute(select(T.claims.c.claim_id))).all())
        report.batches = len((await conn.execute(select(T.batches.c.batch_id))).all())
    return report


async def _command(w: UnitOfWork, what: str, row: Any, batch_ids: dict[uuid.UUID, uuid.UUID]) -> None:
    x = T.exemptions
    if what == "exemption":
        await w.conn.execute(insert(x).values(
            exemption_id=row.exemption_id, ticket_id=row.ticket_id, promise=row.promise, code=row.code,
            cause=row.cause, note=row.note, recording_ref=row.recording_ref if row.disputed_at is None else None,
            recorded_by=row.recorded_by, recorded_at=row.recorded_at))
        await journal(w, what, row.exemption_id)
        await recompute(w, row.ticket_id)
    elif what == "dispute":
        await w.conn.execute(update(x).where(x.c.exemption_id == row.exemption_id).values(
            disputed_at=row.disputed_at, disputed_by=row.disputed_by, dispute_note=row.dispute_note,
            recording_ref=row.recording_ref))
        await journal(w, what, row.exemption_id)
        await recompute(w, row.ticket_id)
    elif what == "confirmation":
        await w.conn.execute(insert(T.confirmations).values(
            ticket_id=row.ticket_id, confirmed_by=row.confirmed_by, reason=row.reason, confirmed_at=row.confirmed_at))
        await journal(w, what, row.ticket_id)
        await recompute(w, row.ticket_id)
    elif what == "cut":
        made = await payouts.cut_batch(w, row.cut_off, row.currency, row.created_by)
        batch_ids[row.batch_id] = uuid.UUID(made["batch_id"])
    elif what == "mark":
        ln, c = T.lines, T.claims
        batch_id = batch_ids[row.batch_id]
        line_id = (await w.conn.execute(
            select(ln.c.line_id).join(c, c.c.claim_id == ln.c.claim_id)
            .where(ln.c.batch_id == batch_id, c.c.ticket_id == row.ticket_id, c.c.scheme == row.scheme,
                   c.c.promise == row.promise))).scalar_one()
        paid = row.status == "paid"
        await payouts.mark_line(w, batch_id, line_id, paid=paid,
                                reference=row.top_up_ref if paid else row.failure_reason, by=row.marked_by)


async def _copy_directory(source: AsyncEngine, target: AsyncEngine) -> None:
    async with source.connect() as src, target.begin() as dst:
        for kind in ("department", "person", "district"):
            table = directory.table(kind)  # type: ignore[arg-type]
            rows = [dict(r) for r in (await src.execute(select(table))).mappings()]
            if rows:
                await dst.execute(insert(table), rows)


async def _copy_records(source: AsyncEngine, target: AsyncEngine) -> None:
    """Notices' delivery state and recorded payment breaches, as the source has them, onto the target's claims
    (matched by ticket, scheme and promise: a source written before claim ids followed from the key has others)."""
    n, a, pb, c = T.notifications, tracking.attempts, tracking.payment_breaches, T.claims

    def key(r: Any) -> uuid.UUID:
        return claim_id_of(r["ticket_id"], r["scheme"], r["promise"])

    async with source.connect() as src, target.begin() as dst:
        notices = [dict(r) for r in (await src.execute(
            select(n, c.c.scheme, c.c.promise).join(c, c.c.claim_id == n.c.claim_id))).mappings()]
        await dst.execute(delete(n))
        if notices:
            await dst.execute(insert(n), [{**{k: v for k, v in r.items() if k not in ("scheme", "promise")},
                                           "claim_id": key(r)} for r in notices])
        attempts = [dict(r) for r in (await src.execute(select(a))).mappings()]
        if attempts:
            await dst.execute(insert(a), [{k: v for k, v in r.items() if k != "attempt_id"} for r in attempts])
        breaches = [dict(r) for r in (await src.execute(
            select(pb, c.c.promise).join(c, c.c.claim_id == pb.c.claim_id))).mappings()]
        if breaches:
            await dst.execute(insert(pb), [{**{k: v for k, v in r.items() if k != "promise"}, "claim_id": key(r)}
                                           for r in breaches])


async def snapshot(engine: AsyncEngine) -> tuple[dict[tuple, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Claims by (ticket, scheme, promise) and batches by number, with what must be identical."""
    c, b, ln, cb = T.claims, T.batches, T.lines, T.clawbacks
    async with engine.connect() as conn:
        claims = {(str(r["ticket_id"]), r["scheme"], r["promise"]): {"claim_id": str(r["claim_id"]),
                                                                     **{k: r[k] for k in CLAIM_FIELDS}}
                  for r in (await conn.execute(select(c))).mappings()}
        batches: dict[str, dict[str, Any]] = {}
        for r in (await conn.execute(select(b))).mappings():
            lines = (await conn.execute(
                select(c.c.ticket_id, c.c.scheme, c.c.promise, ln.c.amount, ln.c.status, ln.c.top_up_ref)
                .join(c, c.c.claim_id == ln.c.claim_id).where(ln.c.batch_id == r["batch_id"]))).all()
            clawbacks = (await conn.execute(
                select(c.c.ticket_id, c.c.scheme, c.c.promise, cb.c.amount, cb.c.state)
                .join(c, c.c.claim_id == cb.c.claim_id).where(cb.c.batch_id == r["batch_id"]))).all()
            batches[r["number"]] = {"cut_off": r["cut_off"], "currency": r["currency"], "status": r["status"],
                                    "total": r["total"], "line_count": r["line_count"],
                                    "lines": sorted((str(x.ticket_id), x.scheme, x.promise, x.amount, x.status,
                                                     x.top_up_ref or "") for x in lines),
                                    "clawbacks": sorted((str(x.ticket_id), x.scheme, x.promise, x.amount, x.state)
                                                        for x in clawbacks)}
    return claims, batches


async def compare(source: AsyncEngine, target: AsyncEngine) -> list[str]:
    """What differs between the two databases' claims and batches (empty: identical)."""
    (claims_a, batches_a), (claims_b, batches_b) = await snapshot(source), await snapshot(target)
    out = []
    for key in sorted(set(claims_a) | set(claims_b)):
        a, b = claims_a.get(key), claims_b.get(key)
        if a is None or b is None:
            out.append(f"claim {'/'.join(key)}: only in the {'target' if a is None else 'source'}")
            continue
        for name in a:
            if name != "claim_id" and a[name] != b[name]:
                out.append(f"claim {'/'.join(key)}: {name} {a[name]!r} != {b[name]!r}")
    for number in sorted(set(batches_a) | set(batches_b)):
        a, b = batches_a.get(number), batches_b.get(number)
        if a != b:
            out.append(f"batch {number}: {a!r} != {b!r}")
    return out


async def replay_databases(settings: Any, into: str, source: str = "compensation") -> ReplayReport:
    """`gongdan replay compensation`: source and target are databases of DATABASE_URL's server named like a
    service's (`compensation` -> gongdan_compensation, or DATABASE_URL's `{service}`); the target is created and
    migrated if missing and must be empty."""
    from pathlib import Path

    from services.compensation.service_layer.config import load_config
    from shared.persistence.database import create_engine, ensure_database, migrate, service_url

    server = settings.database_url
    if not server:
        raise ValueError("DATABASE_URL is not set: the PostgreSQL server holding the compensation database")
    if into == source:
        raise ValueError("replay into a database of its own, not the source")
    source_engine = create_engine(service_url(server, source))
    target_url = service_url(server, into)
    await ensure_database(server, target_url)
    target_engine = create_engine(target_url)
    try:
        await migrate(target_engine, Path(__file__).parents[1] / "migrations")
        return await replay(source_engine, target_engine, load_config(settings))
    finally:
        await source_engine.dispose()
        await target_engine.dispose()
