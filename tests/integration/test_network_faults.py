"""Issue 8 inputs that are not customer tickets, through the real stack: network and system faults (CS-25/32/33,
NJ-4.3.2e), internal mail (TT-8.2) and web-forum posts (CS-8). Every rule runs from its start event to its stop
event through the dispatch HTTP API and ends `met` when stopped in time, `breached` (then `late`) when not.

The test stack runs policies/default.yaml (which has TT-email-72h); the CS and NJ rules are added to its SLA
monitor for this module (tests/support/policy_rules.py). A report backdated by a supervisor (7 days allowed by the
default policy) starts a timer whose deadline is already near or past, so most rows need no clock move."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared.http.auth import Role
from tests.support.lifecycle import new_ticket
from tests.support.policy_rules import pack_rules
from tests.support.sla import sla_events, timers
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
CS_RULES = ("CS-backbone-onsite-40m", "CS-backbone-fix-2h", "CS-aggregation-onsite-1h", "CS-aggregation-fix-2h",
            "CS-access-response-30m", "CS-access-fix-24h", "CS-boss-general-1h", "CS-boss-major-3h",
            "CS-callsys-general-30m", "CS-callsys-major-2h", "CS-forum-4h")
REPLY = {"cause": "光缆被挖断 (fibre cut)", "result": "熔接恢复 (spliced)"}
Act = tuple[str, Role, dict[str, Any]]


@pytest.fixture(scope="module", autouse=True)
def work_item_rules(stack: Stack) -> Iterator[None]:
    with pack_rules(stack, "catv-service-norms", *CS_RULES), pack_rules(stack, "nanjing-catv", "NJ-fault-notify-10m"):
        yield


async def post(stack: Stack, path: str, role: Role, body: dict[str, Any] | None = None,
               key: str | None = None) -> httpx.Response:
    headers = stack.auth(role) | ({"Idempotency-Key": key} if key else {})
    return await stack.clients["dispatch"].post(path, json=body or {}, headers=headers)


async def created(stack: Stack, path: str, role: Role, body: dict[str, Any], ago: timedelta = timedelta(0)) -> dict:
    if ago:
        body = body | {"occurred_at": (stack.clock.now() - ago).isoformat()}
    response = await post(stack, path, role, body)
    assert response.status_code == 201, response.text
    return response.json()


def fault_body(layer: str, severity: str = "general", **extra: Any) -> dict[str, Any]:
    return {"layer": layer, "severity": severity, "description": f"{layer} 告警 (alarm)",
            "department": "network-ops", **extra}


async def act(stack: Stack, path: str, role: Role, body: dict[str, Any] | None = None) -> dict:
    response = await post(stack, path, role, body)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def timer_state(stack: Stack, item_id: str, rule_id: str, wanted: str) -> dict | None:
    found = next((t for t in await timers(stack, uuid.UUID(item_id)) if t["rule_id"] == rule_id), None)
    return found if found and found["state"] == wanted else None


async def ends(stack: Stack, item_id: str, rule_id: str, wanted: str) -> dict:
    return await eventually(lambda: timer_state(stack, item_id, rule_id, wanted), timeout=20)


# rule, layer, severity, allowance, the acts that stop it (each through its own endpoint and role)
FIX: Act = ("fix", Role.TECHNICIAN, {"cause": "板卡故障", "result": "更换板卡"})
FAULT_ROWS: list[tuple[str, str, str, timedelta, list[Act]]] = [
    ("CS-backbone-onsite-40m", "backbone", "general", 40 * MIN, [("arrival", Role.TECHNICIAN, {})]),
    ("CS-backbone-fix-2h", "backbone", "major", 2 * HOUR, [FIX]),
    ("CS-aggregation-onsite-1h", "aggregation", "general", HOUR, [("arrival", Role.TECHNICIAN, {})]),
    ("CS-aggregation-fix-2h", "aggregation", "general", 2 * HOUR, [FIX, ("reply", Role.HANDLER, REPLY)]),
    ("CS-access-response-30m", "access", "general", 30 * MIN,
     [("respond", Role.HANDLER, {"technician": "wang-wei"})]),
    ("CS-access-fix-24h", "access", "general", 24 * HOUR, [FIX, ("reply", Role.HANDLER, REPLY)]),
    ("CS-boss-general-1h", "boss", "general", HOUR, [("fix", Role.NMS, {})]),  # the alarm cleared
    ("CS-boss-major-3h", "lan", "major", 3 * HOUR, [FIX]),
    ("CS-callsys-general-30m", "call-system", "general", 30 * MIN, [FIX]),
    ("CS-callsys-major-2h", "call-system", "major", 2 * HOUR, [FIX]),
]


async def stop(stack: Stack, fault_id: str, acts: list[Act]) -> None:
    for path, role, body in acts:
        await act(stack, f"/network-faults/{fault_id}/{path}", role, body)


@pytest.mark.parametrize(("rule_id", "layer", "severity", "allowed", "acts"), FAULT_ROWS,
                         ids=[row[0] for row in FAULT_ROWS])
async def test_fault_rule_met_in_time_and_breached_when_late(stack: Stack, rule_id: str, layer: str, severity: str,
                                                             allowed: timedelta, acts: list[Act]) -> None:
    in_time = await created(stack, "/network-faults", Role.SUPERVISOR, fault_body(layer, severity),
                            ago=allowed - 5 * MIN)
    late = await created(stack, "/network-faults", Role.SUPERVISOR, fault_body(layer, severity),
                         ago=allowed + 5 * MIN)
    running = await ends(stack, in_time["fault_id"], rule_id, "running")
    assert running["department"] == "network-ops"
    await stop(stack, in_time["fault_id"], acts)
    met = await ends(stack, in_time["fault_id"], rule_id, "met")
    assert met["stopped_at"] == stack.clock.now().isoformat()

    await ends(stack, late["fault_id"], rule_id, "breached")  # deadline + grace passed: the scanner fired it
    await stop(stack, late["fault_id"], acts)
    closed = await ends(stack, late["fault_id"], rule_id, "late")
    assert closed["breached_at"] is not None and closed["department"] == "network-ops"


async def test_a_general_fault_runs_the_general_rule_and_a_major_one_the_major_rule(stack: Stack) -> None:  # §9.11
    general = await created(stack, "/network-faults", Role.NMS, fault_body("boss"))
    major = await created(stack, "/network-faults", Role.NMS, fault_body("boss", "major"))
    await ends(stack, general["fault_id"], "CS-boss-general-1h", "running")
    await ends(stack, major["fault_id"], "CS-boss-major-3h", "running")
    assert [t["rule_id"] for t in await timers(stack, uuid.UUID(major["fault_id"]))] == ["CS-boss-major-3h"]
    for item in (general, major):
        await act(stack, f"/network-faults/{item['fault_id']}/fix", Role.NMS)


async def test_staffed_room_fault_customer_service_notified_within_10_minutes(stack: Stack) -> None:  # NJ-4.3.2e
    body = fault_body("headend", staffed_room=True, alarm_ref="NMS-7781", location="中心机房 (central room)")
    in_time = await created(stack, "/network-faults", Role.NMS, body)
    late = await created(stack, "/network-faults", Role.NMS, body | {"alarm_ref": "NMS-7782"})
    unstaffed = await created(stack, "/network-faults", Role.NMS, fault_body("headend"))
    await ends(stack, late["fault_id"], "NJ-fault-notify-10m", "running")

    stack.clock.advance(9 * MIN)
    await act(stack, f"/network-faults/{in_time['fault_id']}/cs-notifications", Role.AGENT,
              {"notified": "cs-lead", "message": "前端故障, 预计 1 小时恢复"})
    met = await ends(stack, in_time["fault_id"], "NJ-fault-notify-10m", "met")
    assert met["department"] == "network-ops"

    stack.clock.advance(4 * MIN)  # 13 min: deadline + 2 min grace passed
    await ends(stack, late["fault_id"], "NJ-fault-notify-10m", "breached")
    events = await eventually(lambda: _breaches(stack, late["fault_id"]), timeout=20)
    breach = events[0].payload
    assert (breach.rule_id, breach.department, breach.overdue_minutes) == ("NJ-fault-notify-10m", "network-ops", 3)
    await act(stack, f"/network-faults/{late['fault_id']}/cs-notifications", Role.HANDLER)
    await ends(stack, late["fault_id"], "NJ-fault-notify-10m", "late")
    assert not [t for t in await timers(stack, uuid.UUID(unstaffed["fault_id"]))
                if t["rule_id"] == "NJ-fault-notify-10m"]


async def _breaches(stack: Stack, item_id: str) -> list | None:
    found = [e for e in await sla_events(stack, uuid.UUID(item_id)) if e.type == "SlaBreached"]
    return found or None


async def test_mail_replied_within_72_hours(stack: Stack) -> None:  # TT-8.2, in the default policy
    body = {"subject": "关于机房巡检的通知 (room inspection)", "sender": "网络部 (network dept)",
            "department": "jianghan-maint", "reference": "<msg-1@corp>"}
    in_time = await created(stack, "/mail", Role.SUPERVISOR, body, ago=72 * HOUR - 5 * MIN)
    late = await created(stack, "/mail", Role.SUPERVISOR, body, ago=72 * HOUR + 5 * MIN)
    assert re.fullmatch(r"\d{4}-ML-\d{6,}", in_time["number"]) and in_time["state"] == "received"
    await ends(stack, in_time["mail_id"], "TT-email-72h", "running")
    replied = await act(stack, f"/mail/{in_time['mail_id']}/reply", Role.HANDLER, {"summary": "已安排 (arranged)"})
    assert replied["state"] == "replied" and [e["type"] for e in replied["events"]] == ["MailReplied"]
    met = await ends(stack, in_time["mail_id"], "TT-email-72h", "met")
    assert met["department"] == "jianghan-maint"
    await ends(stack, late["mail_id"], "TT-email-72h", "breached")
    await act(stack, f"/mail/{late['mail_id']}/reply", Role.DISPATCHER, {"summary": "迟复 (late)"})
    await ends(stack, late["mail_id"], "TT-email-72h", "late")
    again = await post(stack, f"/mail/{late['mail_id']}/reply", Role.HANDLER, {"summary": "again"})
    assert again.status_code == 409 and again.json()["error"]["current_state"] == "replied"


async def test_forum_post_replied_within_4_hours(stack: Stack) -> None:  # CS-8
    body = {"forum": "宽带专区 (broadband)", "title": "晚上网速慢 (slow at night)", "author": "netizen-9",
            "url": "https://bbs.example.com/t/1"}
    in_time = await created(stack, "/forum-posts", Role.SUPERVISOR, body, ago=4 * HOUR - 5 * MIN)
    late = await created(stack, "/forum-posts", Role.SUPERVISOR, body, ago=4 * HOUR + 5 * MIN)
    assert re.fullmatch(r"\d{4}-FP-\d{6,}", in_time["number"]) and in_time["state"] == "published"
    await act(stack, f"/forum-posts/{in_time['post_id']}/reply", Role.AGENT, {"summary": "已回复 (answered)"})
    met = await ends(stack, in_time["post_id"], "CS-forum-4h", "met")
    assert met["department"] == "customer-service"
    await ends(stack, late["post_id"], "CS-forum-4h", "breached")
    await act(stack, f"/forum-posts/{late['post_id']}/reply", Role.AGENT, {"summary": "迟复 (late)"})
    await ends(stack, late["post_id"], "CS-forum-4h", "late")
    view = await stack.clients["dispatch"].get(f"/forum-posts/{late['post_id']}", headers=stack.auth(Role.AGENT))
    assert view.json()["state"] == "replied"
    assert [e["type"] for e in view.json()["timeline"]] == ["ForumPostPublished", "ForumPostReplied"]
    assert view.json()["timeline"][0]["backdated"]["rule"] == "RULEBOOK-9.13"  # entered 4 h after publication


async def test_fault_api_roles_refusals_idempotency_and_field_time(stack: Stack) -> None:
    body = fault_body("aggregation", "major", staffed_room=True)
    first = await post(stack, "/network-faults", Role.NMS, body, key="nms-alarm-1")
    replay = await post(stack, "/network-faults", Role.NMS, body, key="nms-alarm-1")
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert (await post(stack, "/network-faults", Role.NMS, fault_body("lan"), key="nms-alarm-1")).status_code == 422
    fault = first.json()
    assert re.fullmatch(r"\d{4}-NF-\d{6,}", fault["number"]) and fault["state"] == "reported"
    fid = fault["fault_id"]

    assert (await post(stack, "/network-faults", Role.TECHNICIAN, body)).status_code == 403
    assert (await post(stack, f"/network-faults/{fid}/reply", Role.NMS, REPLY)).status_code == 403
    early = await post(stack, "/network-faults", Role.NMS,
                       body | {"occurred_at": (stack.clock.now() - 20 * MIN).isoformat()})
    assert early.status_code == 422 and early.json()["error"]["fields"][0]["rule"] == "field-time"
    bad = await post(stack, "/network-faults", Role.NMS, body | {"layer": "kitchen"})
    assert bad.status_code == 422
    unknown = await post(stack, f"/network-faults/{uuid.uuid4()}/fix", Role.TECHNICIAN)
    assert unknown.status_code == 404

    refused = await post(stack, f"/network-faults/{fid}/reply", Role.TECHNICIAN, REPLY)
    assert refused.status_code == 409
    assert refused.json()["error"]["current_state"] == "reported" and refused.json()["error"]["fault_id"] == fid
    await act(stack, f"/network-faults/{fid}/arrival", Role.TECHNICIAN, {"technician": "li-lei"})
    again = await post(stack, f"/network-faults/{fid}/arrival", Role.TECHNICIAN)
    assert again.status_code == 409 and again.json()["error"]["current_state"] == "on-site"
    fixed = await act(stack, f"/network-faults/{fid}/fix", Role.TECHNICIAN, {"result": "换模块"})
    assert fixed["state"] == "fixed" and fixed["version"] == 3
    # a mail id is not a forum post, nor a fault
    mail = await created(stack, "/mail", Role.AGENT, {"subject": "s", "sender": "x", "department": "d"})
    assert (await post(stack, f"/forum-posts/{mail['mail_id']}/reply", Role.AGENT, {"summary": "x"})).status_code == 404
    assert (await stack.clients["dispatch"].get(f"/network-faults/{mail['mail_id']}",
                                                headers=stack.auth(Role.OPS))).status_code == 404


async def test_fault_links_to_its_incident_and_tickets_and_every_consumer_records_it(stack: Stack) -> None:
    fault = await created(stack, "/network-faults", Role.NMS, fault_body("access"))
    fid = fault["fault_id"]
    incident = await stack.clients["dispatch"].post(
        "/incidents", headers=stack.auth(Role.DISPATCHER),
        json={"area": "江汉区新华路", "cause": "接入层光缆中断", "starts_at": stack.clock.now().isoformat()})
    assert incident.status_code == 201, incident.text
    ticket = await new_ticket(stack, fault_report())
    missing = uuid.uuid4()
    refused = await post(stack, f"/network-faults/{fid}/links", Role.DISPATCHER,
                         {"ticket_ids": [ticket["ticket_id"], str(missing)]})
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["fields"]] == ["ticket_ids.1"]
    linked = await act(stack, f"/network-faults/{fid}/links", Role.DISPATCHER,
                       {"incident_id": incident.json()["incident_id"], "ticket_ids": [ticket["ticket_id"]]})
    assert [e["type"] for e in linked["events"]] == ["NetworkFaultLinked"]
    view = (await stack.clients["dispatch"].get(f"/network-faults/{fid}", headers=stack.auth(Role.AGENT))).json()
    assert view["incident_id"] == incident.json()["incident_id"] and view["ticket_ids"] == [ticket["ticket_id"]]
    assert (view["kind"], view["layer"], view["severity"], view["staffed_room"]) == ("network-fault", "access",
                                                                                     "general", False)
    listed = (await stack.clients["dispatch"].get("/network-faults", params={"layer": "access", "state": "reported"},
                                                  headers=stack.auth(Role.NMS))).json()["items"]
    assert fid in {item["fault_id"] for item in listed}

    for service, path, role in (("penalty", "penalties", Role.FINANCE), ("compensation", "compensation", Role.FINANCE),
                                ("sla_monitor", "sla", Role.OPS)):
        async def seen(service: str = service, path: str = path, role: Role = role) -> dict | None:
            r = await stack.clients[service].get(f"/tickets/{fid}/{path}", headers=stack.auth(role))
            return r.json() if r.status_code == 200 and r.json()["events_applied"] == 2 else None

        recorded = await eventually(seen, timeout=20)
        assert [e["type"] for e in recorded["events"]] == ["NetworkFaultReported", "NetworkFaultLinked"]
    for service in ("intake", "dispatch", "sla_monitor", "penalty", "compensation"):
        assert not await _parked(stack, service, fid), service


async def _parked(stack: Stack, service: str, item_id: str) -> list:
    """Events keyed by the item (its own, and the SLA events about it) that a service had to park."""
    runtime = stack.runtime(service)
    parked = runtime.spec.tables.parked_events
    async with runtime.engine.connect() as conn:
        return list((await conn.execute(select(parked).where(parked.c.key == item_id))).all())
