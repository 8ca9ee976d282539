"""Bad input on what issues 10-13 added: the IVR's `POST /calls` and the penalty reports' periods. Each is a 4xx
naming the field, and nothing is recorded (no call, so no CallHandled leaves intake)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared import limits
from shared.http.auth import Role
from tests.support.stack import Stack

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
