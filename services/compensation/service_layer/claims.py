"""Claims from events (issue 11): after facts about tickets, recompute their claims from everything known and store
them, one row per ticket, scheme and promise. Deterministic from the facts, so redelivery, replay and several
instances converge on the same rows; payable transitions publish CompensationDue / CompensationVoided once each,
exemptions CompensationExemptionRecorded / CompensationExemptionVoided (RULEBOOK §9.12).

Set-based: `recompute_many` takes every ticket a consumed batch touched (or the one a command names), locks them in
a fixed order, loads their facts, exemptions, confirmations, districts, stored claims and announcements with one
statement each, plans the changes in pure code (domain/decide.py, domain/plan.py) and writes them with multi-row
statements: about a dozen round trips for a batch of 500 events instead of ten per event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert

from services.compensation.adapters import repository as repo
from services.compensation.adapters.tables import claims as T
from services.compensation.domain.decide import Inputs, decide
from services.compensation.domain.facts import Fact, TicketFacts, fold
from services.compensation.domain.plan import (
    VOID,
    Plan,
    Scope,
    claim_id_of,
    notice_text,
    plan_ticket,
)
from services.compensation.service_layer.config import CompensationConfig
from shared.messaging.unit_of_work import UnitOfWork

__all__ = ["VOID", "claim_id_of", "gather_inputs", "notice_text", "recompute", "recompute_many"]
_CLAIM_KEY = ("claim_id", "ticket_id", "scheme", "promise", "created_at")


async def recompute(uow: UnitOfWork, ticket_id: uuid.UUID) -> list[dict[str, Any]]:
    """Bring one ticket's claims up to date with every fact and input; returns the stored rows."""
    await recompute_many(uow, [ticket_id])
    return await repo.claims_of(uow.conn, ticket_id)


async def recompute_many(uow: UnitOfWork, ticket_ids: list[uuid.UUID],
                         in_hand: Sequence[tuple[uuid.UUID, uuid.UUID, Fact]] = ()) -> None:
    """Bring the claims of every ticket named up to date, with a fixed number of statements for any number.
    `in_hand`: (ticket, event id, fact) of events the caller just recorded (the consumed batch): not read back."""
    cfg: CompensationConfig = uow.config
    conn, now = uow.conn, uow.now()
    ids = sorted(set(ticket_ids))
    if not ids:
        return
    await repo.lock_tickets(conn, ids)
    facts_by = await repo.facts_of(conn, ids, [event_id for _, event_id, _ in in_hand])
    for tid, _, fact in in_hand:
        facts_by.setdefault(tid, []).append(fact)
    folded = {tid: fold(str(tid), facts_by.get(tid, [])) for tid in ids}
    live = [tid for tid in ids if folded[tid].entered_at is not None]  # TicketCreated not here yet: it will come
    if not live:
        return
    exemptions = await repo.exemptions_of(conn, live)
    confirmed = await repo.confirmed_of(conn, live)
    districts = await repo.districts_of(conn, {f.district for f in folded.values() if f.district})
    stored = await repo.claims_of_many(conn, live)
    announced = await repo.announced_of(conn, live)
    scope = Scope.of(cfg.schemes)
    plan = Plan()
    for tid in live:
        facts, inputs = with_inputs(folded[tid], exemptions.get(tid, []), tid in confirmed, districts)
        computed = decide(cfg.schemes, cfg.cutoffs, facts, inputs, now, cfg.flag_backdated_after)
        rows = {(r["scheme"], r["promise"]): r for r in stored.get(tid, [])}
        plan.extend(plan_ticket(scope, tid, facts, inputs, computed, rows, announced.get(tid, {}), now))
    await write(uow, plan)


def with_inputs(facts: TicketFacts, exemptions: list[Any], confirmed: bool,
                districts: dict[str, tuple[bool, str | None]]) -> tuple[TicketFacts, Inputs]:
    """Compensation's own inputs, and the district's opt-in and area type from the directory copy (CT-2.5); the
    ticket's own area type wins when it has one."""
    opted_in, area_type = districts.get(facts.district or "", (False, None))
    if facts.area_type is None and area_type is not None:
        facts = replace(facts, area_type=area_type)
    return facts, Inputs(exemptions=tuple(exemptions), completion_confirmed=confirmed, district_opted_in=opted_in)


async def gather_inputs(conn: Any, ticket_id: uuid.UUID, facts: TicketFacts) -> tuple[TicketFacts, Inputs]:
    """`with_inputs` of one ticket, read from the database (the claims API prices open claims with it)."""
    districts = await repo.districts_of(conn, {facts.district} if facts.district else set())
    return with_inputs(facts, await repo.exemptions(conn, ticket_id), await repo.confirmed(conn, ticket_id),
                       districts)


async def write(uow: UnitOfWork, plan: Plan) -> None:
    """The plan's writes, each kind in one statement (payout corrections, rare, a few per claim)."""
    conn, now = uow.conn, uow.now()
    if plan.rows:
        stmt = insert(T.claims)
        changing = [c.name for c in T.claims.c if c.name not in _CLAIM_KEY]
        stmt = stmt.on_conflict_do_update(constraint="uq_compensation_claim_promise",
                                          set_={name: stmt.excluded[name] for name in changing})
        await conn.execute(stmt, plan.rows)
    if plan.unbatch:
        await _unbatch(uow, plan.unbatch)
    if plan.clawbacks:
        await _claw_back(uow, plan)
    for claim_id, why in plan.cancel_clawbacks:
        cb = T.clawbacks
        await conn.execute(update(cb).where(cb.c.claim_id == claim_id, cb.c.state == "open")
                           .values(state="cancelled", cancelled_at=now, cancel_reason=why))
    if plan.notices:
        await conn.execute(insert(T.notifications).on_conflict_do_nothing(index_elements=[T.notifications.c.claim_id]),
                           [{**n, "notification_id": uuid.uuid4(), "status": "pending", "created_at": now}
                            for n in plan.notices])
    if plan.announced:
        a = T.announcements
        stmt = insert(a)
        stmt = stmt.on_conflict_do_update(index_elements=[a.c.exemption_id],
                                          set_={"state": stmt.excluded.state, "changed_at": stmt.excluded.changed_at})
        await conn.execute(stmt, plan.announced)
    for (ticket_id, payload), sequence in zip(plan.events, await repo.next_sequences(conn, len(plan.events)),
                                              strict=True):
        uow.emit([payload], stream=ticket_id, first_sequence=sequence, occurred_at=now)


async def _unbatch(uow: UnitOfWork, items: list[tuple[uuid.UUID, str]]) -> None:
    """Each claim's pending line leaves its open batch (status `removed`, with why); the batch's total and line
    count drop by it, so lines = batch total still holds; a batch with no pending line left is settled."""
    ln, b, conn, now = T.lines, T.batches, uow.conn, uow.now()
    why = dict(items)
    lines = (await conn.execute(select(ln.c.line_id, ln.c.batch_id, ln.c.claim_id, ln.c.amount)
                                .where(ln.c.claim_id == repo.any_of(list(why)), ln.c.status == "pending")
                                .order_by(ln.c.batch_id, ln.c.line_id).with_for_update())).all()
    for line in lines:
        await conn.execute(update(ln).where(ln.c.line_id == line.line_id).values(
            status="removed", failure_reason=why[line.claim_id], marked_by="compensation", marked_at=now))
        await conn.execute(update(b).where(b.c.batch_id == line.batch_id).values(
            total=b.c.total - line.amount, line_count=b.c.line_count - 1))
    for batch_id in sorted({line.batch_id for line in lines}):
        pending = (await conn.execute(select(func.count()).where(ln.c.batch_id == batch_id,
                                                                 ln.c.status == "pending"))).scalar_one()
        if pending == 0:
            await conn.execute(update(b).where(b.c.batch_id == batch_id).values(status="settled"))


async def _claw_back(uow: UnitOfWork, plan: Plan) -> None:
    """Record what each paid, no longer payable claim must give back: its paid line's amount (one open clawback per
    claim)."""
    ln, c, cb = T.lines, T.claims, T.clawbacks
    ids = [x.claim_id for x in plan.clawbacks]
    paid = {r.claim_id: r for r in (await uow.conn.execute(
        select(ln.c.claim_id, ln.c.line_id, ln.c.batch_id, ln.c.amount, c.c.currency, c.c.unit)
        .join(c, c.c.claim_id == ln.c.claim_id)
        .where(and_(ln.c.claim_id == repo.any_of(ids), ln.c.status == "paid")))).all()}
    rows = [{"clawback_id": uuid.uuid4(), "claim_id": x.claim_id, "ticket_id": x.ticket_id,
             "batch_id": paid[x.claim_id].batch_id, "line_id": paid[x.claim_id].line_id,
             "amount": paid[x.claim_id].amount, "currency": paid[x.claim_id].currency, "unit": paid[x.claim_id].unit,
             "reason": x.reason, "exemption_code": x.exemption_code, "state": "open", "recorded_at": uow.now()}
            for x in plan.clawbacks if x.claim_id in paid]
    if rows:
        await uow.conn.execute(insert(cb).on_conflict_do_nothing(), rows)
