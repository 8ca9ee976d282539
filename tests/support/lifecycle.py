"""Helpers for the lifecycle integration tests: dispatch commands over HTTP and waiting for projections."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from services.dispatch.adapters.tables import ticket_events
from shared.http.auth import Role
from tests.support.stack import Stack, eventually
from tests.support.tickets import post_ticket


async def command(stack: Stack, ticket_id: str, path: str, role: Role, body: dict[str, Any] | None = None,
                  key: str | None = None) -> httpx.Response:
    headers = stack.auth(role) | ({"Idempotency-Key": key} if key else {})
    return await stack.clients["dispatch"].post(f"/tickets/{ticket_id}/{path}", json=body or {}, headers=headers)


async def ok(stack: Stack, ticket_id: str, path: str, role: Role, body: dict[str, Any] | None = None) -> dict:
    response = await command(stack, ticket_id, path, role, body)
    assert response.status_code == 200, (path, response.text)
    return response.json()


async def dispatch_view(stack: Stack, ticket_id: str, min_version: int = 1) -> dict | None:
    response = await stack.clients["dispatch"].get(f"/tickets/{ticket_id}", headers=stack.auth(Role.DISPATCHER))
    if response.status_code != 200:
        return None
    view = response.json()
    return view if view["last_sequence"] >= min_version else None


async def known_to_dispatch(stack: Stack, ticket_id: str, min_version: int = 1) -> dict:
    return await eventually(lambda: dispatch_view(stack, ticket_id, min_version), timeout=30)


async def intake_state(stack: Stack, ticket_id: str, wanted: str) -> dict:
    async def check() -> dict | None:
        response = await stack.clients["intake"].get(f"/tickets/{ticket_id}", headers=stack.auth(Role.AGENT))
        return response.json() if response.json().get("state") == wanted else None

    return await eventually(check, timeout=15)


async def new_ticket(stack: Stack, body: dict[str, Any], role: Role = Role.AGENT) -> dict:
    response = await post_ticket(stack, body, role=role)
    assert response.status_code == 201, response.text
    created = response.json()
    await known_to_dispatch(stack, created["ticket_id"])
    return created


def window(stack: Stack, start_in: timedelta, hours: int = 2) -> dict[str, str]:
    start: datetime = stack.clock.now() + start_in
    return {"window_start": start.isoformat(), "window_end": (start + timedelta(hours=hours)).isoformat()}


async def stream_rows(stack: Stack, ticket_id: str) -> tuple[int, int]:
    """(events in dispatch's stream, outbox rows dispatch wrote) for the ticket."""
    runtime = stack.runtime("dispatch")
    outbox = runtime.spec.tables.outbox
    async with runtime.engine.connect() as conn:
        events = (await conn.execute(select(func.count()).where(ticket_events.c.ticket_id == ticket_id))).scalar_one()
        sent = (await conn.execute(select(func.count()).where(outbox.c.key == ticket_id))).scalar_one()
    return events, sent
