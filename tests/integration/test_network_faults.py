"""Issue 8 inputs that are not customer tickets, through the real stack: network and system faults (CS-25/32/33,
NJ-4.3.2e), internal mail (TT-8.2) and web-forum posts (CS-8): numbering, roles, refusals, idempotency, field time,
links to incidents and tickets, and what every other consumer makes of their events. TT-email-72h is in the
stack's default policy and runs here; every rule's start→stop rows (met and late) are in
test_every_rule_work_items.py, on the SLA monitor that runs every shipped pack."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared.http.auth import Role
from tests.support.lifecycle import new_ticket
from tests.support.sla import timers
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
REPLY = {"cause": "光缆被挖断 (fibre cut)", "result": "熔接恢复 (spliced)"}


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


async def test_forum_post_published_then_replied_once(stack: Stack) -> None:  # CS-8 (timer: test_every_rule_work_items)
    body = {"forum": "宽带专区 (broadband)", "title": "晚上网速慢 (slow at night)", "author": "netizen-9",
            "url": "https://bbs.example.com/t/1"}
    post_ = await created(stack, "/forum-posts", Role.SUPERVISOR, body, ago=4 * HOUR + 5 * MIN)
    assert re.fullmatch(r"\d{4}-FP-\d{6,}", post_["number"]) and post_["state"] == "published"
    assert (await post(stack, "/forum-posts", Role.HANDLER, body)).status_code == 403
    await act(stack, f"/forum-posts/{post_['post_id']}/reply", Role.AGENT, {"summary": "迟复 (late)"})
    again = await post(stack, f"/forum-posts/{post_['post_id']}/reply", Role.AGENT, {"summary": "again"})
    assert again.status_code == 409 and again.json()["error"]["current_state"] == "replied"
    view = (await stack.clients["dispatch"].get(f"/forum-posts/{post_['post_id']}",
                                                headers=stack.auth(Role.AGENT))).json()
    assert (view["state"], view["department"]) == ("replied", "customer-service")
    assert [e["type"] for e in view["timeline"]] == ["ForumPostPublished", "ForumPostReplied"]
    assert view["timeline"][0]["backdated"]["rule"] == "RULEBOOK-9.13"  # entered 4 h after publication
    listed = (await stack.clients["dispatch"].get("/forum-posts", params={"state": "replied"},
                                                  headers=stack.auth(Role.OPS))).json()["items"]
    assert post_["post_id"] in {item["post_id"] for item in listed}


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
