"""Bad input on the issue-8 inputs and lookups: each a 4xx naming the field, nothing recorded."""

from __future__ import annotations

import pytest

from shared import limits
from shared.http.auth import Role
from tests.support.lifecycle import command, new_ticket, ok, stream_rows
from tests.support.stack import Stack
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
DEEP = {"note": "x"}
for _ in range(40):
    DEEP = {"nested": DEEP}

BAD = [
    ("desk-notifications", Role.AGENT, {"note": "VIP\u0000"}, "note"),
    ("desk-notifications", Role.AGENT, {"note": "x" * (limits.FREE_TEXT + 1)}, "note"),
    ("desk-notifications", Role.AGENT, {"note": "x", "occurred_at": "2026-03-02T09:00:00"}, "occurred_at"),
    ("desk-notifications", Role.AGENT, {"note": "x", "occurred_at": "9999-01-01T00:00:00+08:00"}, "occurred_at"),
    ("desk-notifications", Role.AGENT, DEEP, "nested"),  # the path where the depth limit was reached
    ("escalation-complaints", Role.AGENT,
     {"level": "branch", "description": "x", "responsible_department": "d" * (limits.DEPARTMENT + 1)},
     "responsible_department"),
    ("escalation-complaints/answers", Role.AGENT, {"answer": "ok\u0007"}, "answer"),
    ("churn", Role.AGENT, {"caused_by_complaint": "yes"}, "caused_by_complaint"),
]


@pytest.mark.parametrize(("path", "role", "body", "field"), BAD, ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD)])
async def test_bad_input_is_refused_naming_the_field_and_records_nothing(stack: Stack, path: str, role: Role,
                                                                          body: dict, field: str) -> None:
    tid = (await new_ticket(stack, fault_report()))["ticket_id"]
    before = await stream_rows(stack, tid)
    response = await command(stack, tid, path, role, body)
    assert response.status_code == 422, response.text
    fields = [f["field"] for f in response.json()["error"].get("fields") or [{"field": "body"}]]
    assert any(f.split(".")[0] == field or f.endswith(field) for f in fields), fields
    assert await stream_rows(stack, tid) == before


async def test_a_body_that_is_not_json_is_a_415(stack: Stack) -> None:
    tid = (await new_ticket(stack, fault_report()))["ticket_id"]
    response = await stack.clients["dispatch"].post(
        f"/tickets/{tid}/work-completed", content=b'{"note": "x"}',
        headers=stack.auth(Role.TECHNICIAN) | {"Content-Type": "text/plain"})
    assert response.status_code == 415


@pytest.mark.parametrize(("service", "path", "params", "field"), [
    ("intake", "/tickets", {"phone": "027\u00008888"}, "phone"),
    ("intake", "/tickets", {"account": "a" * (limits.ACCOUNT + 1)}, "account"),
    ("dispatch", "/tickets", {"number": "2026-KF-000001\u0000"}, "number"),
    ("dispatch", "/audit/backdated", {"since": "2026-03-02T09:00:00"}, "since"),
    ("dispatch", "/audit/backdated", {"since": "0001-01-01T00:00:00+00:00"}, "since"),
])
async def test_bad_lookups_are_refused_naming_the_parameter(stack: Stack, service: str, path: str, params: dict,
                                                            field: str) -> None:
    role = Role.SUPERVISOR if "audit" in path else Role.AGENT if service == "intake" else Role.DISPATCHER
    response = await stack.clients[service].get(path, params=params, headers=stack.auth(role))
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in response.json()["error"]["fields"]]


async def test_same_day_on_intake_refuses_an_unknown_value(stack: Stack) -> None:
    response = await stack.clients["intake"].post("/tickets", json=fault_report(same_day="tomorrow"),
                                                  headers=stack.auth(Role.AGENT))
    assert response.status_code == 422
    assert "same_day" in [f["field"] for f in response.json()["error"]["fields"]]


async def test_a_valid_desk_notification_still_goes_through(stack: Stack) -> None:
    tid = (await new_ticket(stack, fault_report()))["ticket_id"]
    await ok(stack, tid, "desk-notifications", Role.AGENT, {"note": "VIP\t专线\n中断"})
