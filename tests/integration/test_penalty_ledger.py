"""Issue 10: the penalty ledger from SLA events through the real broker — exact entries, exactly once, reversal,
late close, manual assessment, review and the appeal run step by step by their roles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from shared.events import Envelope, encode, new_envelope
from shared.events.sla import SlaBreachClosed, SlaBreached, SlaBreachRetracted
from shared.events.topics import TOPICS
from shared.http.auth import Role
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
H = timedelta(hours=1)


def sla(payload: Any, ticket_id: uuid.UUID, at: datetime, seq: int) -> Envelope:
    return new_envelope(payload, ticket_id=ticket_id, sequence=seq, occurred_at=at, recorded_at=at,
                        producer="sla_monitor")


def timer(tid: uuid.UUID, deadline: datetime, rule: str = "TT-repair-22h") -> dict[str, Any]:
    return {"rule_id": rule, "ticket_id": tid, "round": 1, "department": "jianghan-maint", "person": "wang-wei",
            "start": deadline - 22 * H, "deadline": deadline, "paused_seconds": 45 * 60, "calendar": "natural",
            "provisional": False}


async def publish_sla(stack: Stack, *envelopes: Envelope) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        for env in envelopes:
            await producer.send_and_wait(TOPICS.sla, encode(env), key=str(env.ticket_id).encode())
    finally:
        await producer.stop()


async def entries(stack: Stack, tid: uuid.UUID, count: int | None = None) -> list[dict] | None:
    r = await stack.clients["penalty"].get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.FINANCE))
    if r.status_code != 200:
        return None
    found = r.json()["entries"]
    return found if count is None or len(found) >= count else None


async def test_breach_proposes_exact_entries_once_and_the_late_close_adds_the_remaining_hours(stack: Stack) -> None:
    tid = uuid.uuid4()
    deadline = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 Shanghai, May
    breached = sla(SlaBreached(**timer(tid, deadline), actual=None, still_open_at=deadline + H,
                               overdue_minutes=62, overdue_hours=2, overdue_days=1), tid, deadline, 1)
    await publish_sla(stack, breached, breached)  # delivered twice
    found = await eventually(lambda: entries(stack, tid, 2), timeout=20)
    by = {e["clause"]: e for e in found}
    assert set(by) == {"TT-9.12", "TT-9.3"} and len(found) == 2
    e = by["TT-9.12"]
    assert (e["amount_fen"], e["status"], e["month"], e["kind"]) == (1600, "proposed", "2026-05", "assessment")
    assert e["payer"] == {"kind": "department", "id": "jianghan-maint"} and e["person"] == "wang-wei"
    assert e["computation"] == ("2 started hours × 800 fen = 1,600 fen; 1 h 2 min late after 45 min customer pause "
                                "(not counted)")
    assert e["event_ids"] == [str(breached.event_id)]
    assert by["TT-9.3"]["amount_fen"] == 3000

    closed = sla(SlaBreachClosed(**timer(tid, deadline), breach_event_id=breached.event_id, actual=deadline + 5 * H,
                                 overdue_minutes=300, overdue_hours=5, overdue_days=1), tid, deadline + 5 * H, 2)
    await publish_sla(stack, closed, closed)
    found = await eventually(lambda: entries(stack, tid, 3), timeout=20)
    [delta] = [x for x in found if x["kind"] == "adjustment"]
    assert (delta["clause"], delta["amount_fen"], delta["month"]) == ("TT-9.12", 3 * 800, "2026-05")
    assert sum(x["amount_fen"] for x in found if x["clause"] == "TT-9.12") == 5 * 800

    detail = (await stack.clients["penalty"].get(f"/penalties/{e['entry_id']}", headers=stack.auth(Role.OPS))).json()
    assert detail["explanation"]["clause"]["citation"].startswith("TT-9.12")
    assert detail["explanation"]["events"][0]["type"] == "SlaBreached"
    assert detail["explanation"]["events"][0]["deadline"] == deadline.isoformat()
    listed = (await stack.clients["penalty"].get("/penalties", params={"month": "2026-05", "clause": "TT-9.12",
                                                                        "department": "jianghan-maint"},
                                                 headers=stack.auth(Role.FINANCE))).json()["items"]
    assert {x["entry_id"] for x in listed} >= {e["entry_id"], delta["entry_id"]}
    again = await entries(stack, tid)
    assert len(again) == 3  # redelivered breach and close made nothing more


async def test_a_retracted_breach_is_reversed_by_its_own_entry(stack: Stack) -> None:
    tid = uuid.uuid4()
    deadline = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
    breached = sla(SlaBreached(**timer(tid, deadline, "TT-contact-30m"), actual=None, still_open_at=deadline,
                               overdue_minutes=3, overdue_hours=1, overdue_days=1), tid, deadline, 1)
    await publish_sla(stack, breached)
    [entry] = await eventually(lambda: entries(stack, tid, 1), timeout=20)
    assert (entry["clause"], entry["amount_fen"]) == ("TT-9.2", 2000)
    retracted = sla(SlaBreachRetracted(**timer(tid, deadline, "TT-contact-30m"), breach_event_id=breached.event_id,
                                       actual=deadline - 60 * timedelta(seconds=1)), tid, deadline, 2)
    await publish_sla(stack, retracted, retracted)
    found = await eventually(lambda: entries(stack, tid, 2), timeout=20)
    [reversal] = [x for x in found if x["kind"] == "reversal"]
    assert (reversal["amount_fen"], reversal["reverses"], reversal["month"]) == (-2000, entry["entry_id"], "2026-05")
    assert len(found) == 2 and sum(x["amount_fen"] for x in found) == 0


async def post(stack: Stack, path: str, role: Role, body: dict, key: str | None = None):
    headers = stack.auth(role) | ({"Idempotency-Key": key} if key else {})
    return await stack.clients["penalty"].post(path, json=body, headers=headers)


async def test_manual_assessment_review_and_an_appeal_run_by_each_role_refunds_120_percent(stack: Stack) -> None:
    body = {"clause": "TT-8.5", "payer": {"kind": "department-head", "id": "jianghan-maint"},
            "evidence_note": "回单称已修复，回访客户仍断线", "attachment": "doc-8841",
            "occurred_at": "2026-06-03T10:00:00+08:00"}
    unknown = await post(stack, "/penalties", Role.OPS, {**body, "clause": "TT-99.9"})
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "clause"
    assert (await post(stack, "/penalties", Role.FINANCE, body)).status_code == 403
    key = f"manual-{uuid.uuid4()}"
    first = await post(stack, "/penalties", Role.OPS, body, key)
    again = await post(stack, "/penalties", Role.OPS, body, key)
    assert first.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    [entry] = first.json()["entries"]
    assert (entry["amount_fen"], entry["payer"]["kind"], entry["month"], entry["status"]) == (
        20000, "department-head", "2026-06", "proposed")
    eid = entry["entry_id"]

    assert (await post(stack, f"/penalties/{eid}/appeals", Role.HANDLER, {"grounds": "x"})).status_code == 409
    modified = await post(stack, f"/penalties/{eid}/review", Role.OPS,
                          {"action": "modify", "amount_fen": 15000, "reason": "部分属实"})
    assert modified.status_code == 200, modified.text
    assert (modified.json()["status"], modified.json()["amount_fen"], modified.json()["original_fen"]) == (
        "modified", 15000, 20000)
    filed = await post(stack, f"/penalties/{eid}/appeals", Role.HANDLER, {"grounds": "客户确认已恢复"})
    assert filed.status_code == 201, filed.text
    appeal = filed.json()["appeal_id"]
    steps = f"/appeals/{appeal}/steps"
    assert (await post(stack, f"{steps}/gm-approval", Role.GM, {"approve": True})).status_code == 409
    assert (await post(stack, f"{steps}/comprehensive-review", Role.GM, {"approve": True})).status_code == 403
    for step, role in (("comprehensive-review", Role.COMPREHENSIVE), ("customer-service-review", Role.SUPERVISOR),
                       ("deputy-gm-approval", Role.DEPUTY_GM), ("gm-approval", Role.GM)):
        r = await post(stack, f"{steps}/{step}", role, {"approve": True, "note": "同意"})
        assert r.status_code == 200, (step, r.text)
    view = r.json()
    assert view["status"] == "approved" and [s["role"] for s in view["steps"]] == [
        "comprehensive", "supervisor", "deputy-gm", "gm"]
    refund = (await stack.clients["penalty"].get(f"/penalties/{view['refund_entry_id']}",
                                                 headers=stack.auth(Role.FINANCE))).json()
    now = stack.clock.now().astimezone(tz=None)
    assert (refund["kind"], refund["amount_fen"], refund["reverses"]) == ("refund", -18000, eid)
    local = stack.clock.now() + timedelta(hours=8)
    assert refund["month"] == (f"{local.year + local.month // 12}-{local.month % 12 + 1:02d}"), now
    final = (await stack.clients["penalty"].get(f"/penalties/{eid}", headers=stack.auth(Role.OPS))).json()
    assert final["status"] == "refunded"


async def test_rejected_appeal_is_upheld_and_a_closed_month_sends_later_causes_to_the_next(stack: Stack) -> None:
    body = {"clause": "TT-9.1", "payer": {"kind": "department", "id": "dept-x"}, "person": "li-si",
            "evidence_note": "首问未负责", "occurred_at": "2031-01-15T10:00:00+08:00"}
    [entry] = (await post(stack, "/penalties", Role.OPS, body)).json()["entries"]
    assert entry["month"] == "2031-01"
    refused = await post(stack, "/penalty-months/2031-01/close", Role.OPS, {})
    assert refused.status_code == 409  # a proposed entry is not reviewed yet
    assert (await post(stack, f"/penalties/{entry['entry_id']}/review", Role.OPS, {"action": "confirm"})).status_code == 200
    assert (await post(stack, "/penalty-months/2031-01/close", Role.OPS, {})).status_code == 200
    [later] = (await post(stack, "/penalties", Role.OPS, body)).json()["entries"]
    assert later["month"] == "2031-02"  # RULEBOOK §9.15: a closed month is locked
    appeal = (await post(stack, f"/penalties/{entry['entry_id']}/appeals", Role.HANDLER, {"grounds": "g"})).json()
    r = await post(stack, f"/appeals/{appeal['appeal_id']}/steps/comprehensive-review", Role.COMPREHENSIVE,
                   {"approve": False, "note": "证据充分"})
    assert r.json()["status"] == "rejected" and r.json()["next_steps"] == []
    final = (await stack.clients["penalty"].get(f"/penalties/{entry['entry_id']}", headers=stack.auth(Role.OPS))).json()
    assert final["status"] == "upheld"
    totals = (await stack.clients["penalty"].get("/penalties/totals", params={"month": "2031-01"},
                                                 headers=stack.auth(Role.FINANCE))).json()
    assert totals["closed"] and totals["totals"] == [{"payer_kind": "department", "payer_id": "dept-x",
                                                      "standing_fen": 10000, "payable_fen": 10000, "entries": 1}]
    csv = await stack.clients["penalty"].get("/penalties/published", params={"month": "2031-01", "format": "csv"},
                                             headers=stack.auth(Role.FINANCE))
    assert csv.status_code == 200 and "TT-9.1" in csv.text and "upheld" in csv.text
    xlsx = await stack.clients["penalty"].get("/penalties/published", params={"month": "2031-01", "format": "xlsx"},
                                              headers=stack.auth(Role.FINANCE))
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
