"""Use cases of people on the ledger: manual assessment, monthly review and close, appeals (TT-12, NJ-4.3.6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.penalty.adapters import journal
from services.penalty.adapters import repository as repo
from services.penalty.adapters.tables import ledger as L
from services.penalty.domain import amounts as am
from services.penalty.domain import ledger_events as le
from services.penalty.domain import review as rv
from services.penalty.domain.assess import Payer, Proposal
from services.penalty.service_layer import ledger, scorecards
from services.penalty.service_layer import publish as events
from services.penalty.service_layer.config import PenaltyConfig
from services.penalty.service_layer.views import entry_view
from shared.errors import Conflict, Invalid, NotFound
from shared.messaging.unit_of_work import UnitOfWork
from shared.policy.penalties import FixedAmount, RangeAmount, TieredAmount

STEP_ROLES = {"comprehensive-review": "comprehensive", "customer-service-review": "supervisor",
              "deputy-gm-approval": "deputy-gm", "gm-approval": "gm"}


@dataclass(frozen=True)
class Manual:
    clause: str
    payer_kind: str
    payer_id: str
    person: str | None
    leader: str | None
    ticket_id: uuid.UUID | None
    amount_fen: int | None
    evidence_note: str
    attachment: str | None
    occurred_at: Any
    by: str


def _refused(exc: rv.ReviewRefused) -> Conflict:
    return Conflict(str(exc), current_state=exc.state)


def _field(field: str, rule: str, message: str) -> Invalid:
    return Invalid(message, fields=[{"field": field, "in": "body", "rule": rule, "message": message}])


async def assess_manually(uow: UnitOfWork, cfg: PenaltyConfig, m: Manual) -> dict[str, Any]:
    """Ops assesses a clause no event can detect (conduct, premises, TT-8.5 …), validated against the policy."""
    try:
        clause = cfg.penalties.clause(m.clause)
    except KeyError:
        raise _field("clause", "policy", f"no penalty clause {m.clause!r} in this deployment's policy") from None
    amount = clause.amount
    if amount is None:
        raise _field("clause", "policy", f"{m.clause} has no amount in this policy (RULEBOOK §5.4)")
    if isinstance(amount, RangeAmount):
        if m.amount_fen is None or not amount.min_fen <= m.amount_fen <= amount.max_fen:
            raise _field("amount_fen", m.clause, f"{m.clause} needs amount_fen between {amount.min_fen} and "
                                                 f"{amount.max_fen}")
        comp = am.Computation(m.amount_fen, f"set by hand within {am.fen_text(amount.min_fen)}–"
                              f"{am.fen_text(amount.max_fen)}: {am.fen_text(m.amount_fen)}", {"set_fen": m.amount_fen})
    elif isinstance(amount, FixedAmount):
        comp = am.fixed(amount.fen)
    elif isinstance(amount, TieredAmount):
        year = am.local_year(m.occurred_at, cfg.tz)
        await repo.lock_tier(uow.conn, clause.clause, m.payer_id, year)
        prior = await repo.prior_cases(uow.conn, clause.clause, m.payer_id, year, cfg.tz)
        comp = am.tiered(amount.fen, prior, m.payer_id, year)
    else:
        raise _field("clause", "policy", f"{m.clause} is assessed from breaches (per unit late), not by hand")
    payers = [Payer(m.payer_kind, m.payer_id, m.person)]
    if clause.payer == "person-and-leader":
        if m.leader:
            payers.append(Payer("person", m.leader, m.leader))
        elif m.person:  # the directory names the leader (ledger.named); unnamed there: kept as "leader of <person>"
            payers.append(Payer("direct-leader", m.person, None))
        else:
            raise _field("person", m.clause, f"{m.clause} charges a person and their direct leader: name the person")
    cause = f"manual:{uuid.uuid4()}"
    proposals = [Proposal(clause.clause, cause, "assessment", p, comp, m.occurred_at, (), None, "leader" if i else "")
                 for i, p in enumerate(payers)]
    extra = {"note": m.evidence_note, "attachment": m.attachment,
             "history": [{"at": uow.now().isoformat(), "by": m.by, "action": "manual assessment proposed"}]}
    ids = await ledger.write(uow, proposals, m.ticket_id, {}, cfg.tz, source="manual", extra=extra)
    return {"entries": [entry_view(await repo.get_entry(uow.conn, i), cfg) for i in ids]}


async def review_entry(uow: UnitOfWork, cfg: PenaltyConfig, entry_id: uuid.UUID, action: str,
                       amount_fen: int | None, reason: str | None, by: str) -> dict[str, Any]:
    """TT-12: confirm, modify (with a reason; the proposed amount kept as `original_fen`) or cancel."""
    await repo.lock_months(uow.conn)
    entry = await _entry(uow, entry_id)
    if entry["month"] in await repo.closed_months(uow.conn):
        raise Conflict(f"month {entry['month']} is closed", current_state="closed")
    try:
        status = rv.review(entry["status"], action)
    except rv.ReviewRefused as exc:
        raise _refused(exc) from None
    values: dict[str, Any] = {"status": status}
    if action == "modify":
        if amount_fen is None or not reason:
            raise _field("amount_fen" if amount_fen is None else "reason", "TT-12",
                         "a modification needs the new amount_fen and a reason")
        values |= {"original_fen": entry["amount_fen"], "amount_fen": amount_fen}
    if action == "cancel" and not reason:
        raise _field("reason", "TT-12", "a cancellation needs a reason")
    record = {"at": uow.now().isoformat(), "by": by, "action": action, "reason": reason}
    if action == "modify":
        record |= {"from_fen": entry["amount_fen"], "to_fen": amount_fen}
    values["history"] = [*entry["history"], record]
    await repo.update_entry(uow.conn, entry_id, **values)
    after = await repo.get_entry(uow.conn, entry_id)
    await events.act(uow, le.reviewed(after, action, reason, by), after, entry_id)  # gongdan.penalties, once
    return entry_view(after, cfg)


async def close_month(uow: UnitOfWork, month: str, by: str) -> dict[str, Any]:
    """Lock the month: every proposed entry must be decided first; later causes land in the next open month."""
    await repo.lock_months(uow.conn, exclusive=True)
    if month in await repo.closed_months(uow.conn):
        raise Conflict(f"month {month} is already closed", current_state="closed")
    pending = await repo.list_entries(uow.conn, {"month": month, "status": "proposed"})
    if pending:
        raise Conflict(f"{len(pending)} proposed entries of {month} are not reviewed yet",
                          current_state="open", pending=[str(e["id"]) for e in pending[:50]])
    closing = {"month": month, "status": "closed", "closed_at": uow.now(), "closed_by": by}
    await uow.conn.execute(L.months.insert().values(**closing))
    await journal.record_act(uow.conn, "month-closed", closing)  # later causes land in the next month on replay too
    if uow.config is not None:  # the month's scorecards are frozen as they stand now (issue 10)
        await scorecards.freeze(uow, uow.config, month)
    return {"month": month, "status": "closed", "closed_at": uow.now().isoformat(), "closed_by": by}


async def file_appeal(uow: UnitOfWork, entry_id: uuid.UUID, grounds: str, by: str) -> dict[str, Any]:
    """NJ-4.3.6: the payer's department asks to cancel a confirmed penalty."""
    entry = await _entry(uow, entry_id, lock=True)
    try:
        status = rv.file_appeal(entry["status"])
    except rv.ReviewRefused as exc:
        raise _refused(exc) from None
    appeal_id = uuid.uuid4()
    await uow.conn.execute(L.appeals.insert().values(id=appeal_id, entry_id=entry_id, status="reviewing",
                                                     grounds=grounds, filed_by=by, filed_at=uow.now(), steps=[]))
    history = [*entry["history"], {"at": uow.now().isoformat(), "by": by, "action": "appealed",
                                   "appeal_id": str(appeal_id)}]
    await repo.update_entry(uow.conn, entry_id, status=status, history=history)
    await events.act(uow, le.appeal_filed({**entry, "status": status}, appeal_id, grounds, by), entry, appeal_id)
    return await appeal_view(uow, appeal_id)


async def appeal_step(uow: UnitOfWork, cfg: PenaltyConfig, appeal_id: uuid.UUID, step: str, approve: bool,
                      note: str | None, by: str, role: str) -> dict[str, Any]:
    """One recorded act of the appeal; the GM's approval writes the 120% refund in the month after approval."""
    row = (await uow.conn.execute(L.appeals.select().where(L.appeals.c.id == appeal_id).with_for_update())).mappings().first()
    if row is None:
        raise NotFound(f"no appeal {appeal_id}")
    state = rv.AppealState(row["status"], tuple(s["step"] for s in row["steps"]))
    try:
        after = rv.step(state, step, approve)
    except rv.ReviewRefused as exc:
        raise _refused(exc) from None
    steps = [*row["steps"], {"step": step, "approve": approve, "by": by, "role": role, "at": uow.now().isoformat(),
                             "note": note}]
    values: dict[str, Any] = {"status": after.status, "steps": steps}
    entry = await _entry(uow, row["entry_id"], lock=True)
    if after.status != "reviewing":
        new_status = rv.entry_status_after(after)
        history = [*entry["history"], {"at": uow.now().isoformat(), "by": by, "action": new_status,
                                       "appeal_id": str(appeal_id)}]
        await repo.update_entry(uow.conn, entry["id"], status=new_status, history=history)
        refund = None
        if after.status == "approved":
            values["refund_entry_id"] = await _refund(uow, cfg, entry, appeal_id, by)
            refund = await repo.get_entry(uow.conn, values["refund_entry_id"])
        # gongdan.penalties: the decision, then the refund entry it caused (NJ-4.3.6), on the entry's stream
        decided = le.appeal_decided({**entry, "status": new_status}, appeal_id, after.status, steps, refund)
        await events.act(uow, decided, entry, appeal_id)
        if refund is not None:
            await events.rows_written(uow, [refund])
    await uow.conn.execute(L.appeals.update().where(L.appeals.c.id == appeal_id).values(**values))
    return await appeal_view(uow, appeal_id)


async def _refund(uow: UnitOfWork, cfg: PenaltyConfig, entry: dict[str, Any], appeal_id: uuid.UUID,
                  by: str) -> uuid.UUID:
    comp = am.refund(int(entry["amount_fen"]), cfg.penalties.refund_percent)
    comp = am.Computation(-comp.fen, comp.text, comp.numbers)
    payer = Payer(entry["payer_kind"], entry["payer_id"], entry["person"])
    month = am.open_month(am.next_month(am.local_month(uow.now(), cfg.tz)), await repo.closed_months(uow.conn))
    p = Proposal(entry["clause"], f"appeal:{appeal_id}", "refund", payer, comp, uow.now(), (), entry["grp"])
    [refund_id] = await ledger.write(uow, [p], entry["ticket_id"], {}, cfg.tz, status="confirmed",
                                     reverses=entry["id"], month=month, source="manual", publish=False,
                                     extra={"history": [{"at": uow.now().isoformat(), "by": by,
                                                         "action": "refund after approved appeal"}]})
    return refund_id


async def appeal_view(uow: UnitOfWork, appeal_id: uuid.UUID) -> dict[str, Any]:
    row = (await uow.conn.execute(L.appeals.select().where(L.appeals.c.id == appeal_id))).mappings().first()
    if row is None:
        raise NotFound(f"no appeal {appeal_id}")
    state = rv.AppealState(row["status"], tuple(s["step"] for s in row["steps"]))
    return {"appeal_id": str(row["id"]), "entry_id": str(row["entry_id"]), "status": row["status"],
            "grounds": row["grounds"], "filed_by": row["filed_by"], "filed_at": row["filed_at"].isoformat(),
            "steps": row["steps"], "next_steps": [{"step": s, "role": STEP_ROLES[s]} for s in state.allowed()],
            "refund_entry_id": str(row["refund_entry_id"]) if row["refund_entry_id"] else None}


async def _entry(uow: UnitOfWork, entry_id: uuid.UUID, lock: bool = False) -> dict[str, Any]:
    entry = await repo.get_entry(uow.conn, entry_id, lock=lock)
    if entry is None:
        raise NotFound(f"no penalty entry {entry_id}")
    return entry
