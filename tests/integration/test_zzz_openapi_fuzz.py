"""Schemathesis over each service's OpenAPI through the shared stack: zero 5xx, zero responses that contradict the
schema (issue 7). Bounded (GONGDAN_FUZZ_EXAMPLES per operation and phase) so the suite stays within CI's time.
Named to run last: the tickets and outages it creates would otherwise show up in other tests' lists."""

from __future__ import annotations

import asyncio
import os

import pytest

from services.catalog import SERVICE_NAMES
from shared.http.auth import Role
from tests.support.lifecycle import new_ticket
from tests.support.openapi_fuzz import run_schemathesis, serving
from tests.support.stack import Stack
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
MAX_EXAMPLES = int(os.environ.get("GONGDAN_FUZZ_EXAMPLES", "20"))


async def existing(stack: Stack) -> dict[str, list[str]]:
    """Tickets (known to dispatch) and an outage for the generated requests to act on."""
    tickets = [(await new_ticket(stack, fault_report()))["ticket_id"] for _ in range(3)]
    outage = await stack.clients["dispatch"].post("/incidents", headers=stack.auth(Role.DISPATCHER), json={
        "area": "fuzz-area", "cause": "fuzzing", "starts_at": stack.clock.now().isoformat()})
    assert outage.status_code == 201, outage.text
    return {"ticket_id": tickets, "incident_id": [outage.json()["incident_id"]]}


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_openapi_contract_holds_under_generated_requests(stack: Stack, service: str) -> None:
    known = await existing(stack)
    async with serving(stack.apps[service]) as base_url:
        report = await asyncio.to_thread(run_schemathesis, service, base_url, stack.auth(Role.ADMIN), MAX_EXAMPLES,
                                         known)
    print(report.summary())
    assert report.server_errors == 0 and not report.failures, "\n\n".join([report.summary(), *report.details])
