"""Issue 10: the 考核 ledger is published on gongdan.penalties through penalty's transactional outbox — one event per
ledger row and per act (breach → entries → review → appeal → 120% refund), never twice: not on redelivery, not when
the handler runs again past the inbox, not from a replay into an empty store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.penalty.adapters.tables import ledger
from services.penalty.domain import ledger_events as le
from services.penalty.service_layer import replay
from services.penalty.service_layer.handlers import on_sla_events
from shared.events import Envelope, decode
from shared.events.sla import SlaBreached
from shared.events.topics import TOPICS
from shared.http.auth import Role
from tests.integration.test_penalty_ledger import entries, post, publish_sla, sla, timer
from tests.support.sla import topic_events
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
H = timedelta(hours=1)
# A month of its own (RULEBOOK §9.15), so no other test's review or close touches these entries.
DEADLINE = datetime(2033, 2, 14, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


async def outbox(stack: Stack, ticket_id: uuid.UUID) -> list[Envelope]:
    """penalty's outbox rows keyed by the ticket, in the order they were written (= the relay's order)."""
    rt = stack.runtime("penalty")
    o = rt.spec.tables.outbox
    async with rt.engine.connect() as conn:
        rows = await conn.execute(select(o.c.topic, o.c.value).where(o.c.key == str(ticket_id)).order_by(o.c.id))
        found = [(r.topic, decode(r.value)) for r in rows]
    assert {topic for topic, _ in found} <= {TOPICS.penalties}
    return [env for _, env in found]


def types(envelopes: list[Envelope]) -> list[str]:
    return [e.type for e in envelopes]


async def test_breach_to_refund_is_published_once_per_row_and_act(stack: Stack) -> None:
    tid = uuid.uuid4()
    repair = timer(tid, DEADLINE)  # TT-repair-22h, 45 min customer pause, jianghan-maint / wang-wei
    breached = sla(SlaBreached(**repair, actual=None, still_open_at=DEADLINE + H, overdue_minutes=62,
                               overdue_hours=2, overdue_days=1), tid, DEADLINE, 1)
    contact = sla(SlaBreached(**timer(tid, DEADLINE, "TT-contact-30m"), actual=None, still_open_at=DEADLINE,
                              overdue_minutes=5, overdue_hours=1, overdue_days=1), tid, DEADLINE, 2)
    # Redelivery: the same breach twice, then a marker on the same partition (same key): once the marker's entry
    # exists, both copies were applied.
    await publish_sla(stack, breached, breached, contact)
    found = await eventually(lambda: entries(stack, tid, 3), timeout=30)
    by = {e["clause"]: e for e in found}
    assert set(by) == {"TT-9.12", "TT-9.3", "TT-9.2"} and len(found) == 3
    # TT-9.12 (RULEBOOK §9.2): 2 started hours × 800 = 1,600 fen; TT-9.3 (§9.5) 3,000; TT-9.2 2,000
    assert (by["TT-9.12"]["amount_fen"], by["TT-9.3"]["amount_fen"], by["TT-9.2"]["amount_fen"]) == (1600, 3000, 2000)

    sent = await outbox(stack, tid)
    assert types(sent) == ["PenaltyAssessed"] * 3  # one per entry, the redelivered breach made none
    assessed = {e.payload.clause: e for e in sent}
    e912, p912 = by["TT-9.12"], assessed["TT-9.12"].payload
    assert (str(p912.entry_id), p912.amount_fen, p912.month, p912.payer_kind, p912.payer_id, p912.person) == (
        e912["entry_id"], 1600, "2033-02", "department", "jianghan-maint", "wang-wei")
    assert (p912.ticket_id, p912.cause_event_ids, p912.computation, p912.kind, p912.status) == (
        tid, [breached.event_id], e912["computation"], "assessment", "proposed")
    assert all(e.ticket_id == tid and e.producer == "penalty" for e in sent)  # keyed by the ticket
    assert assessed["TT-9.12"].event_id == le.event_id("PenaltyAssessed", uuid.UUID(e912["entry_id"]))

    # TT-12 review, then NJ-4.3.6: appeal, every step by its role, 120% refund in the month after approval
    eid = e912["entry_id"]
    assert (await post(stack, f"/penalties/{eid}/review", Role.OPS, {"action": "confirm"})).status_code == 200
    modify = {"action": "modify", "amount_fen": 1500, "reason": "联系记录补录"}
    assert (await post(stack, f"/penalties/{by['TT-9.2']['entry_id']}/review", Role.OPS, modify)).status_code == 200
    filed = await post(stack, f"/penalties/{eid}/appeals", Role.HANDLER, {"grounds": "客户原因停电"})
    appeal = filed.json()["appeal_id"]
    for step, role in (("comprehensive-review", Role.COMPREHENSIVE), ("customer-service-review", Role.SUPERVISOR),
                       ("deputy-gm-approval", Role.DEPUTY_GM), ("gm-approval", Role.GM)):
        r = await post(stack, f"/appeals/{appeal}/steps/{step}", role, {"approve": True})
        assert r.status_code == 200, (step, r.text)
    refund_id = r.json()["refund_entry_id"]
    # rejected at the first step: the TT-9.3 entry is upheld, no refund
    e93 = by["TT-9.3"]["entry_id"]
    assert (await post(stack, f"/penalties/{e93}/review", Role.OPS, {"action": "confirm"})).status_code == 200
    other = (await post(stack, f"/penalties/{e93}/appeals", Role.HANDLER, {"grounds": "已报延时"})).json()
    r = await post(stack, f"/appeals/{other['appeal_id']}/steps/comprehensive-review", Role.COMPREHENSIVE,
                   {"approve": False, "note": "未见延时报告"})
    assert r.json()["status"] == "rejected"

    sent = await outbox(stack, tid)
    assert types(sent) == ["PenaltyAssessed"] * 3 + [
        "PenaltyReviewed", "PenaltyReviewed", "PenaltyAppealFiled", "PenaltyAppealDecided", "PenaltyRefunded",
        "PenaltyReviewed", "PenaltyAppealFiled", "PenaltyAppealDecided"]
    confirmed, modified, filed_ev, decided, refunded, _, _, rejected = (e.payload for e in sent[3:])
    assert (confirmed.action, confirmed.status, confirmed.amount_fen, confirmed.reviewed_by) == (
        "confirm", "confirmed", 1600, "test-ops")
    assert (modified.action, modified.amount_fen, modified.original_fen, modified.reason) == (
        "modify", 1500, 2000, "联系记录补录")
    assert (filed_ev.status, str(filed_ev.appeal_id), filed_ev.filed_by) == ("appealed", appeal, "test-handler")
    assert (decided.outcome, decided.status, decided.decided_role, len(decided.steps)) == (
        "approved", "refunded", "gm", 4)
    # NJ-4.3.6 (RULEBOOK §9.10): 120% of 1,600 fen = 1,920 fen paid back, negative in the ledger
    assert (str(decided.refund_entry_id), decided.refund_fen) == (refund_id, -1920)
    local = stack.clock.now() + 8 * H
    month_after = f"{local.year + local.month // 12}-{local.month % 12 + 1:02d}"
    assert (str(refunded.entry_id), refunded.amount_fen, str(refunded.refunds), refunded.month) == (
        refund_id, -1920, eid, month_after)
    assert (rejected.outcome, rejected.status, rejected.refund_entry_id) == ("rejected", "upheld", None)
    assert len({e.event_id for e in sent}) == len(sent)
    assert [e.sequence for e in sent] == sorted(e.sequence for e in sent)  # numbered in the order made

    # The handler applied again past the inbox (as a second instance racing the first would): the entry keys are
    # taken, so no row and no event is written.
    rt = stack.runtime("penalty")
    async with rt.new_uow() as uow:
        await on_sla_events(uow, [breached])
        await uow.commit()
    assert len(await entries(stack, tid)) == 4 and types(await outbox(stack, tid)) == types(sent)

    # What reached the broker: the same events, each once (a volatile broker's republished copy has the same id).
    async def on_topic() -> list[Envelope] | None:
        got = {e.event_id: e for e in await topic_events(stack, TOPICS.penalties, tid)}
        return list(got.values()) if set(got) == {e.event_id for e in sent} else None

    consumed = await eventually(on_topic, timeout=30)
    assert sorted(types(consumed)) == sorted(types(sent))


async def test_a_replay_into_an_empty_store_publishes_nothing(stack: Stack) -> None:
    """`gongdan replay penalty` re-derives every entry through the same handlers: the rebuilt store has the
    entries, and its outbox stays empty (the live service published them when it wrote them)."""
    rt = stack.runtime("penalty")
    tid = uuid.uuid4()
    breached = sla(SlaBreached(**timer(tid, DEADLINE + 24 * H), actual=None, still_open_at=DEADLINE + 25 * H,
                               overdue_minutes=60, overdue_hours=1, overdue_days=1), tid, DEADLINE + 24 * H, 1)
    await publish_sla(stack, breached)
    live = await eventually(lambda: entries(stack, tid, 2), timeout=30)
    assert types(await outbox(stack, tid)) == ["PenaltyAssessed"] * 2
    store = await replay.new_store(stack.settings.database_url, "events_test")
    try:
        await replay.replay_into(rt.engine, store.engine, rt.config)
        E, o = ledger.entries, rt.spec.tables.outbox
        async with store.engine.connect() as conn:
            rebuilt = {str(r.id) for r in await conn.execute(select(E.c.id).where(E.c.ticket_id == tid))}
            published = (await conn.execute(select(func.count()).select_from(o))).scalar_one()
        assert rebuilt == {e["entry_id"] for e in live}
        assert published == 0
    finally:
        await store.drop()
    assert types(await outbox(stack, tid)) == ["PenaltyAssessed"] * 2  # the live outbox is untouched too
