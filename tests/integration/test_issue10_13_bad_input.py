"""Bad input on what issues 10-13 added: the IVR's `POST /calls`, the penalty reports' periods, and Idempotency-Key
now that a new key is taken by inserting its row. Each is a 4xx naming the field, and nothing is recorded (no call,
so no CallHandled leaves intake; no ticket, so no TicketCreated)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared import limits
from shared.http.auth import Role
from tests.support.stack import Stack
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration
DEEP: dict = {"agent": "a-1"}
for _ in range(40):
    DEEP = {"nested": DEEP}


def _call(stack: Stack, **override: object) -> dict:
    start = stack.clock.now() - timedelta(minutes=10)
    return {"call_id": f"bad-{uuid.uuid4().hex[:12]}", "agent": "agent-1", "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=4)).isoformat()} | override


BAD_CALLS = [
    ({"call_id": "c\u0000all"}, "call_id"),
    ({"agent": "a" * (limits.PERSON + 1)}, "agent"),
    ({"agent": "agent\u0007"}, "agent"),
    ({"started_at": "2026-03-02T08:50:00"}, "started_at"),  # naive
    ({"ended_at": "9999-01-01T00:00:00+08:00"}, "ended_at"),
    ({"ticket_number": "2026-KF-" + "9" * 40}, "ticket_number"),
]


@pytest.mark.parametrize(("override", "field"), BAD_CALLS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_CALLS)])
async def test_a_bad_call_report_is_refused_naming_the_field_and_records_nothing(
        stack: Stack, override: dict, field: str) -> None:
    body = _call(stack, **override)
    response = await stack.clients["intake"].post("/calls", json=body, headers=stack.auth(Role.IVR))
    assert response.status_code == 422, response.text
    assert field in [f["field"].split(".")[0] for f in response.json()["error"]["fields"]], response.text
    if "\u0000" not in body["call_id"]:
        seen = await stack.clients["intake"].get(f"/calls/{body['call_id']}", headers=stack.auth(Role.IVR))
        assert seen.status_code == 404, seen.text


async def test_deep_json_and_a_wrong_content_type_are_refused(stack: Stack) -> None:
    intake, ivr = stack.clients["intake"], stack.auth(Role.IVR)
    deep = await intake.post("/calls", json=DEEP, headers=ivr)
    assert deep.status_code == 422, deep.text
    assert "nested" in [f["field"].split(".")[0] for f in deep.json()["error"]["fields"]]  # the path to the limit
    plain = await intake.post("/calls", content=b'{"call_id": "x"}', headers=ivr | {"Content-Type": "text/plain"})
    assert plain.status_code == 415, plain.text


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/reports/complaints", {"month": "2026-13"}, "month"),
    ("/reports/complaints", {"month": "2026-03\u0000"}, "month"),
    ("/reports/satisfaction", {"quarter": "2026-Q5"}, "quarter"),
    ("/reports/satisfaction", {"month": "2026-03", "year": "2026"}, "month"),
    ("/reports/satisfaction", {}, "month"),
])
async def test_bad_report_periods_are_refused_naming_the_parameter(stack: Stack, path: str, params: dict,
                                                                   field: str) -> None:
    response = await stack.clients["penalty"].get(path, params=params, headers=stack.auth(Role.OPS))
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in response.json()["error"]["fields"]], response.text


MANUAL = {"clause": "TT-8.5", "payer": {"kind": "department", "id": "dept-1"}, "evidence_note": "false reply"}
BAD_WRITES = [
    ("penalty", "/penalties", Role.OPS, MANUAL | {"evidence_note": "x\u0000"}, "evidence_note"),
    ("penalty", "/penalties", Role.OPS, MANUAL | {"attachment": "a" * (limits.REFERENCE + 1)}, "attachment"),
    ("penalty", "/penalties", Role.OPS, MANUAL | {"occurred_at": "2026-03-02T09:00:00"}, "occurred_at"),
    ("penalty", "/penalties", Role.OPS, MANUAL | {"payer": {"kind": "department", "id": "d\u0000"}}, "payer"),
    ("compensation", "/tickets/{tid}/exemptions", Role.SUPERVISOR, {"code": "CT-3.2.1", "note": "n\u0000"}, "note"),
    ("compensation", "/tickets/{tid}/exemptions", Role.SUPERVISOR, {"code": "c" * 41, "note": "n"}, "code"),
    ("compensation", "/tickets/{tid}/exemptions", Role.SUPERVISOR, DEEP, "nested"),
]


@pytest.mark.parametrize(("service", "path", "role", "body", "field"), BAD_WRITES,
                         ids=[f"{w[0]}-{w[4]}-{i}" for i, w in enumerate(BAD_WRITES)])
async def test_bad_penalty_and_exemption_writes_are_refused_naming_the_field_and_record_nothing(
        stack: Stack, service: str, path: str, role: Role, body: dict, field: str) -> None:
    tid = uuid.uuid4()
    client, auth = stack.clients[service], stack.auth(role)
    before = (await client.get("/penalties", params={"clause": "TT-8.5"}, headers=stack.auth(Role.OPS))).json() \
        if service == "penalty" else None
    response = await client.post(path.format(tid=tid), json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert field in [f["field"].split(".")[0] for f in response.json()["error"]["fields"]], response.text
    if service == "penalty":
        after = await client.get("/penalties", params={"clause": "TT-8.5"}, headers=stack.auth(Role.OPS))
        assert after.json() == before
    else:
        kept = await client.get(f"/tickets/{tid}/exemptions", headers=auth)
        assert kept.status_code == 404 or kept.json()["exemptions"] == [], kept.text


@pytest.mark.parametrize("key", ["k" * (limits.IDEMPOTENCY_KEY + 1), "retry\u0000", "retry\u001b[2J"],
                         ids=["over-long", "NUL", "escape"])
async def test_a_bad_idempotency_key_is_refused_before_it_takes_a_row(stack: Stack, key: str) -> None:
    """Issue 13 takes a new key by inserting its row first: a key the column cannot hold must be a 422 naming the
    header before that, and no ticket (so no TicketCreated) may come of the request."""
    account = f"KEY-{uuid.uuid4().hex[:10]}"
    body = fault_report(customer={"name": "张三", "phone": "027-88886666", "address": f"江汉区键路{account}号",
                                  "account": account})
    refused = await post_ticket(stack, body, key=key)
    assert refused.status_code == 422, refused.text
    assert [f["field"] for f in refused.json()["error"]["fields"]] == ["Idempotency-Key"], refused.text
    found = await stack.clients["intake"].get("/tickets", params={"account": account}, headers=stack.auth(Role.IVR))
    assert found.status_code == 200 and found.json()["items"] == [], found.text
