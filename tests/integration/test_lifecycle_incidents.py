"""Issue 3 / RULEBOOK §7: a declared outage, what intake tells callers, and a mass incident of 50 linked tickets."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from shared.http.auth import Role
from tests.support.lifecycle import known_to_dispatch
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration
AREA = "硚口区古田二路"


def caller(n: int, **extra: object) -> dict:
    body = fault_report(product="ftth-broadband", **extra)
    body["customer"] |= {"address": f"{AREA}{n}号", "account": f"QK-{n:05d}-{id(body) % 997}"}
    return body


async def test_mass_incident_with_fifty_linked_tickets(stack: Stack) -> None:
    dispatch, headers = stack.clients["dispatch"], stack.auth(Role.OPS)
    now = stack.clock.now()
    restore_at = (now + timedelta(hours=4)).isoformat()
    declared = await dispatch.post("/incidents", headers=headers, json={
        "area": AREA, "products": ["ftth-broadband"], "cause": "OLT 板卡故障", "planned": False,
        "starts_at": (now - timedelta(minutes=10)).isoformat(), "estimated_restore_at": restore_at})
    assert declared.status_code == 201, declared.text
    incident_id = declared.json()["incident_id"]

    async def told() -> dict | None:  # intake learns of the outage through the broker
        response = await post_ticket(stack, caller(0, duplicate_override=True))
        incidents = response.json()["incidents"]
        return response.json() if incidents and incidents[0]["incident_id"] == incident_id else None

    first = await eventually(told, timeout=15)
    assert first["incidents"][0]["estimated_restore_at"] == restore_at
    assert first["incidents"][0]["cause"] == "OLT 板卡故障"

    linked_at_intake = await asyncio.gather(
        *(post_ticket(stack, caller(n, incident_id=incident_id)) for n in range(1, 26)))
    assert {r.status_code for r in linked_at_intake} == {201}
    later = await asyncio.gather(*(post_ticket(stack, caller(n)) for n in range(26, 50)))
    ids = [first["ticket_id"]] + [r.json()["ticket_id"] for r in later]
    for ticket_id in ids:
        await known_to_dispatch(stack, ticket_id)
    linked = await dispatch.post(f"/incidents/{incident_id}/tickets", headers=headers, json={"ticket_ids": ids})
    assert linked.status_code == 200, linked.text and len(linked.json()["linked"]) == 25

    async def all_fifty() -> list | None:
        items, cursor = [], None
        while True:
            params = {"incident": incident_id, "limit": 20} | ({"cursor": cursor} if cursor else {})
            page = (await dispatch.get("/tickets", params=params, headers=headers)).json()
            items += page["items"]
            if not (cursor := page["next_cursor"]):
                return items if len(items) == 50 else None

    items = await eventually(all_fifty, timeout=15)
    assert len({t["ticket_id"] for t in items}) == 50
    assert (await dispatch.get(f"/incidents/{incident_id}", headers=headers)).json()["linked_tickets"] == 50

    again = await dispatch.post(f"/incidents/{incident_id}/tickets", headers=headers, json={"ticket_ids": ids[:2]})
    assert again.status_code == 409  # all or nothing: already linked

    restored = await dispatch.post(f"/incidents/{incident_id}/restore", headers=headers, json={})
    assert restored.status_code == 200 and restored.json()["state"] == "restored"
    twice = await dispatch.post(f"/incidents/{incident_id}/restore", headers=headers, json={})
    assert twice.status_code == 409 and twice.json()["error"]["current_state"] == "restored"

    async def no_longer_told() -> bool:
        response = await post_ticket(stack, caller(99, duplicate_override=True))
        return response.json()["incidents"] == []

    await eventually(no_longer_told, timeout=15)
