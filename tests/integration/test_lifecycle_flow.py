"""Issue 3: a fault from each pack's hotline, intake -> dispatch -> ... -> reopen -> escalate -> decision -> archive,
through HTTP, the broker and PostgreSQL (RULEBOOK §3, NJ-4.2.3 / GX-5.1.5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.http.auth import Role
from tests.support.lifecycle import intake_state, known_to_dispatch, new_ticket, ok, window
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration

#: pack id -> what its hotline's fault call looks like
PACKS = {
    "tietong-jianghan": {"product": "landline", "segment": "public", "area_type": "city-centre"},
    "nanjing-catv": {"product": "catv", "segment": "public", "area_type": "city-centre"},
    "catv-service-norms": {"product": "digital-tv", "segment": "vip", "area_type": "county-town"},
    "gx-power-966022": {"product": "electricity", "segment": "dedicated-transformer", "area_type": "rural"},
    "telecom-lyg-sameday": {"product": "ftth-broadband", "segment": "public", "area_type": "city-centre"},
}
REPLY = {"cause": "分光器故障 (splitter)", "result": "更换分光器, 已恢复"}


async def work_one_round(stack: Stack, ticket_id: str, technician: str) -> None:
    """Accept, contact, book, arrive and reply (with the fault three-clears, TT-8.3)."""
    await ok(stack, ticket_id, "accept", Role.HANDLER, {"technician": technician})
    await ok(stack, ticket_id, "contact", Role.TECHNICIAN, {"note": "约上午上门"})
    await ok(stack, ticket_id, "appointments", Role.TECHNICIAN, window(stack, timedelta(minutes=-5)))
    await ok(stack, ticket_id, "arrival", Role.TECHNICIAN)
    done = stack.clock.now().isoformat()
    resolved = await ok(stack, ticket_id, "resolve", Role.TECHNICIAN, {"completed_at": done, **REPLY})
    assert [e["type"] for e in resolved["events"]] == ["Resolved"]  # complete reply: no ReplyIncomplete


def dissatisfied() -> dict:
    return {"reached": True, "work_done": True, "done_at": None, "feedback_form_signed": True,
            "satisfied": False, "satisfaction_score": 2}


@pytest.mark.parametrize("pack", PACKS)
async def test_fault_from_intake_to_archive_with_reopen_and_escalation(stack: Stack, pack: str) -> None:
    body = fault_report(channel="hotline", priority="high", recording_ref=f"rec-{pack}-1", **PACKS[pack])
    created = await new_ticket(stack, body)
    ticket_id = created["ticket_id"]
    due = (stack.clock.now() + timedelta(hours=22)).isoformat()  # TT-6: fix within 22 hours
    await ok(stack, ticket_id, "dispatch", Role.DISPATCHER,
             {"department": f"{pack}-repair", "technician": f"{pack}-tech-1", "due_at": due})
    await work_one_round(stack, ticket_id, f"{pack}-tech-1")

    first = await ok(stack, ticket_id, "callbacks", Role.AGENT, dissatisfied())
    assert [e["type"] for e in first["events"]] == ["CallbackDone", "TicketReopened"]
    assert first["state"] == "reopened" and first["round"] == 2
    await work_one_round(stack, ticket_id, f"{pack}-tech-1")
    second = await ok(stack, ticket_id, "callbacks", Role.AGENT, dissatisfied())
    assert [e["type"] for e in second["events"]] == ["CallbackDone", "TicketEscalated"]
    decided = await ok(stack, ticket_id, "escalation-decision", Role.DEPUTY_GM, {"decision": "免费更换光猫并致歉"})
    assert decided["state"] == "closed"
    archived = await ok(stack, ticket_id, "archive", Role.AGENT)
    assert archived["state"] == "archived"

    view = await known_to_dispatch(stack, ticket_id, archived["version"])
    assert view["state"] == "archived" and view["product"] == PACKS[pack]["product"]
    types = [e["type"] for e in view["timeline"]]
    assert types[:3] == ["TicketCreated", "CallRecordingAttached", "TicketDispatched"]
    assert types.count("Resolved") == 2 and types[-3:] == ["TicketEscalated", "EscalationDecided", "TicketArchived"]
    assert [e["sequence"] for e in view["timeline"]] == list(range(1, len(types) + 1))
    decision = next(e for e in view["timeline"] if e["type"] == "EscalationDecided")
    assert decision["role"] == "deputy-gm" and decision["actor"] == "test-deputy-gm"
    assert (await intake_state(stack, ticket_id, "archived"))["product"] == PACKS[pack]["product"]


async def test_field_work_detours_and_queries(stack: Stack) -> None:
    """Redispatch, reclassify, rebook, missed visit, pause/resume, delay report, CAPA; then lists and queues."""
    created = await new_ticket(stack, fault_report(kind="complaint", complaint_class="regular",
                                                   description="装维人员态度差, 多次失约"))
    tid = created["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "detour-wrong"})
    moved = await ok(stack, tid, "redispatch", Role.DISPATCHER,
                     {"department": "detour-dept", "technician": "detour-tech", "reason": "wrong-department"})
    assert moved["state"] == "dispatched"
    await ok(stack, tid, "reclassify", Role.SUPERVISOR, {"priority": "urgent", "segment": "vip", "reason": "VIP"})
    await ok(stack, tid, "accept", Role.HANDLER)
    await ok(stack, tid, "contact", Role.HANDLER)
    await ok(stack, tid, "appointments", Role.TECHNICIAN, window(stack, timedelta(hours=1)))
    await ok(stack, tid, "appointments/rebook", Role.TECHNICIAN,
             window(stack, timedelta(hours=2)) | {"requested_by": "customer", "customer_consent": True})
    stack.clock.advance(timedelta(hours=5))
    await ok(stack, tid, "appointments/missed", Role.TECHNICIAN, {"cause": "customer"})
    await ok(stack, tid, "pause", Role.TECHNICIAN, {"reason": "customer-not-home"})
    stack.clock.advance(timedelta(minutes=30))
    await ok(stack, tid, "resume", Role.TECHNICIAN)
    await ok(stack, tid, "delay-reports", Role.HANDLER, {"supervising_department": "KF", "reason": "等待配件"})
    await ok(stack, tid, "corrective-actions", Role.HANDLER, {"corrective": "批评教育", "preventive": "预约提醒"})
    await ok(stack, tid, "escalation-complaints", Role.AGENT, {"level": "city-12315", "description": "投诉到12315"})

    queue = (await stack.clients["dispatch"].get("/departments/detour-dept/queue",
                                                 headers=stack.auth(Role.HANDLER))).json()
    assert [t["ticket_id"] for t in queue["items"]] == [tid]
    worklist = (await stack.clients["dispatch"].get("/technicians/detour-tech/worklist",
                                                    headers=stack.auth(Role.TECHNICIAN))).json()
    assert worklist["items"][0]["segment"] == "vip" and worklist["items"][0]["priority"] == "urgent"
    listed = (await stack.clients["dispatch"].get(
        "/tickets", params={"department": "detour-dept", "kind": "complaint", "segment": "vip",
                            "state": "contact-established"}, headers=stack.auth(Role.SUPERVISOR))).json()
    assert [t["ticket_id"] for t in listed["items"]] == [tid] and listed["next_cursor"] is None

    resolved = await ok(stack, tid, "resolve", Role.HANDLER, {"cause": "人员失约"})  # no time, no delay reason
    incomplete = next(e for e in resolved["events"] if e["type"] == "ReplyIncomplete")
    view = await known_to_dispatch(stack, tid, resolved["version"])
    flagged = next(e for e in view["timeline"] if e["event_id"] == incomplete["event_id"])
    assert flagged["payload"]["rule_id"] == "TT-8.4"
    assert flagged["payload"]["missing"] == ["resolution-time", "delay-reason"]
    assert view["paused_seconds"] == 1800


async def test_overdue_filter(stack: Stack) -> None:
    created = await new_ticket(stack, fault_report())
    due = (stack.clock.now() + timedelta(minutes=10)).isoformat()
    await ok(stack, created["ticket_id"], "dispatch", Role.DISPATCHER, {"department": "overdue-dept", "due_at": due})
    params = {"department": "overdue-dept", "overdue": "true"}
    headers = stack.auth(Role.SUPERVISOR)
    assert (await stack.clients["dispatch"].get("/tickets", params=params, headers=headers)).json()["items"] == []
    stack.clock.advance(timedelta(minutes=11))

    async def overdue() -> list | None:  # due_at comes from sla_monitor (issue 8), a hop away
        items = (await stack.clients["dispatch"].get("/tickets", params=params, headers=headers)).json()["items"]
        return items or None

    items = await eventually(overdue)
    assert [t["ticket_id"] for t in items] == [created["ticket_id"]]
    assert (items[0]["due_at"], items[0]["due_rule"], items[0]["promised_at"]) == (due, "GD-promised-due", due)
