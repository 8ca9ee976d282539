"""Issue 3: a refused command is a 409 carrying the current state, and leaves no event and no state change."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from shared.http.auth import Role
from tests.support.lifecycle import command, known_to_dispatch, new_ticket, ok, stream_rows
from tests.support.stack import Stack
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration

#: commands a just-received fault ticket must refuse, with a valid body each
REFUSED_WHEN_RECEIVED = [
    ("accept", Role.HANDLER, {}),
    ("contact", Role.TECHNICIAN, {}),
    ("appointments/rebook", Role.TECHNICIAN, {"window_start": "2030-01-01T01:00:00+00:00",
                                              "window_end": "2030-01-01T03:00:00+00:00",
                                              "requested_by": "customer", "customer_consent": True}),
    ("appointments/missed", Role.TECHNICIAN, {"cause": "staff"}),
    ("arrival", Role.TECHNICIAN, {}),
    ("pause", Role.TECHNICIAN, {"reason": "customer-not-home"}),
    ("resume", Role.TECHNICIAN, {}),
    ("delay-reports", Role.HANDLER, {"supervising_department": "KF", "reason": "x"}),
    ("resolve", Role.TECHNICIAN, {"cause": "c", "result": "r"}),
    ("corrective-actions", Role.HANDLER, {"corrective": "a", "preventive": "b"}),
    ("callbacks", Role.AGENT, {"reached": True, "satisfied": True}),
    ("escalation-decision", Role.DEPUTY_GM, {"decision": "d"}),
    ("archive", Role.AGENT, {}),
    ("redispatch", Role.DISPATCHER, {"department": "x", "reason": "handover"}),
    ("reclassify", Role.DISPATCHER, {"kind": "fault", "reason": "same"}),
]


async def test_every_refused_command_leaves_no_event_and_no_state_change(stack: Stack) -> None:
    created = await new_ticket(stack, fault_report())
    tid = created["ticket_id"]
    before_view = await known_to_dispatch(stack, tid)
    before_rows = await stream_rows(stack, tid)
    for path, role, body in REFUSED_WHEN_RECEIVED:
        response = await command(stack, tid, path, role, body, key=f"refused-{path}")
        assert response.status_code == 409, (path, response.text)
        assert response.json()["error"]["current_state"] == "received", path
    assert await stream_rows(stack, tid) == before_rows
    assert await known_to_dispatch(stack, tid) == before_view
    # A refusal is not remembered under its Idempotency-Key: once allowed, the same key works.
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "refusal-dept"})
    assert (await command(stack, tid, "accept", Role.HANDLER, {}, key="refused-accept")).status_code == 200


async def test_wrong_role_unknown_ticket_and_bad_body(stack: Stack) -> None:
    created = await new_ticket(stack, fault_report())
    tid = created["ticket_id"]
    rows = await stream_rows(stack, tid)
    assert (await command(stack, tid, "dispatch", Role.TECHNICIAN, {"department": "x"})).status_code == 403
    assert (await command(stack, tid, "escalation-decision", Role.AGENT, {"decision": "d"})).status_code == 403
    unknown = await command(stack, str(uuid.uuid4()), "dispatch", Role.DISPATCHER, {"department": "x"})
    assert unknown.status_code == 404
    bad = await command(stack, tid, "dispatch", Role.DISPATCHER, {"department": "", "colour": "red"})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"department", "colour"}
    assert await stream_rows(stack, tid) == rows


async def test_concurrent_commands_append_once_and_retries_replay(stack: Stack) -> None:
    created = await new_ticket(stack, fault_report())
    tid = created["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "race-dept"})
    accepts = await asyncio.gather(*(command(stack, tid, "accept", Role.HANDLER, {"technician": f"t{n}"})
                                     for n in range(5)))
    assert sorted(r.status_code for r in accepts) == [200, 409, 409, 409, 409]
    view = await known_to_dispatch(stack, tid)
    assert [e["type"] for e in view["timeline"]].count("TicketAccepted") == 1
    first = await command(stack, tid, "contact", Role.HANDLER, {"note": "n"}, key="contact-1")
    again = await command(stack, tid, "contact", Role.HANDLER, {"note": "n"}, key="contact-1")
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert [e["type"] for e in (await known_to_dispatch(stack, tid))["timeline"]].count("ContactEstablished") == 1
