"""Issue 10: act-level clauses from real tickets driven through intake and dispatch over HTTP and the broker —
one fine per incomplete reply (TT-8.3), the highest single TT-9bis item per escalation complaint, doubled when
the VIP customer leaves because of it."""

from __future__ import annotations

import pytest

from shared.http.auth import Role
from tests.support.lifecycle import new_ticket, ok
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration


async def clauses(stack: Stack, tid: str, *wanted: str) -> dict[str, list[dict]] | None:
    r = await stack.clients["penalty"].get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.OPS))
    if r.status_code != 200:
        return None
    by: dict[str, list[dict]] = {}
    for e in r.json()["entries"]:
        by.setdefault(e["clause"], []).append(e)
    return by if all(w in by for w in wanted) else None


async def vip_items(stack: Stack, tid: str, count: int) -> dict[str, list[dict]] | None:
    by = await clauses(stack, tid, "TT-9bis.12")
    return by if by and len(by["TT-9bis.12"]) >= count else None


async def test_incomplete_reply_and_escalation_complaints_are_assessed_from_real_acts(stack: Stack) -> None:
    created = await new_ticket(stack, fault_report(segment="vip", product="landline", area_type="city-centre"))
    tid = created["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "acts-dept", "technician": "acts-tech"})
    await ok(stack, tid, "accept", Role.HANDLER, {"technician": "acts-tech"})
    await ok(stack, tid, "contact", Role.TECHNICIAN, {"note": "已联系"})
    resolved = await ok(stack, tid, "resolve", Role.TECHNICIAN, {"result": "已恢复"})  # no restore time, no cause
    incomplete = next(e for e in resolved["events"] if e["type"] == "ReplyIncomplete")

    by = await eventually(lambda: clauses(stack, tid, "TT-8.3"), timeout=20)
    [fine] = by["TT-8.3"]
    assert (fine["amount_fen"], fine["payer"], fine["person"]) == (2000, {"kind": "department", "id": "acts-dept"},
                                                                   "acts-tech")
    assert fine["event_ids"] == [incomplete["event_id"]] and "restore-time" in fine["computation"]

    await ok(stack, tid, "escalation-complaints", Role.AGENT,
             {"level": "branch", "description": "投诉到分公司", "responsible_department": "acts-dept"})
    by = await eventually(lambda: clauses(stack, tid, "TT-9bis.12"), timeout=20)
    [vip] = by["TT-9bis.12"]  # VIP item 300 beats branch 100: one item, the highest (RULEBOOK §9.7)
    assert (vip["amount_fen"], vip["group"], vip["payer"]["id"]) == (30000, "TT-9bis", "acts-dept")
    assert "TT-9bis.2" not in by

    await ok(stack, tid, "churn", Role.AGENT, {"caused_by_complaint": True})
    by = await eventually(lambda: vip_items(stack, tid, 2), timeout=20)
    churn = next(e for e in by["TT-9bis.12"] if e["kind"] == "churn")
    assert churn["amount_fen"] == 30000 and churn["reverses"] == vip["entry_id"]  # 300 doubled to 600

    await ok(stack, tid, "escalation-complaints", Role.AGENT,
             {"level": "city-12315", "description": "再次投诉到12315", "responsible_department": "acts-dept"})
    by = await eventually(lambda: vip_items(stack, tid, 3), timeout=20)
    second = [e for e in by["TT-9bis.12"] if e["kind"] == "assessment"][-1]
    assert second["amount_fen"] == 2 * 60000  # VIP item doubled for churn, then ×2 as the second complaint
