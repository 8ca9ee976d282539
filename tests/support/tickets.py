"""Request bodies and helpers shared by the integration tests."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import func, select

from shared.http.auth import Role
from tests.support.stack import Stack

_counter = itertools.count(1)


def fault_report(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "customer": {"name": "张三", "phone": "027-88886666", "address": f"江汉区新华路{n}号",
                     "account": f"ADSL-{n:06d}"},
        "kind": "fault",
        "description": "宽带无法上网 (broadband down)",
    }
    body.update(overrides)
    return body


async def post_ticket(stack: Stack, body: dict[str, Any] | None = None, key: str | None = None,
                      role: Role = Role.IVR):
    headers = stack.auth(role) | ({"Idempotency-Key": key} if key else {})
    return await stack.clients["intake"].post("/tickets", json=body or fault_report(), headers=headers)


async def outbox_count(stack: Stack, service: str, ticket_id: str) -> int:
    runtime = stack.runtime(service)
    outbox = runtime.spec.tables.outbox
    async with runtime.engine.connect() as conn:
        return (await conn.execute(select(func.count()).where(outbox.c.key == ticket_id))).scalar_one()
