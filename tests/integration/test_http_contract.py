"""What every API client sees: auth, clear 4xx naming field and rule, health, metrics, no stack traces."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from services.catalog import SERVICE_NAMES
from services.intake.adapters.tables import tickets as intake_tickets
from shared.http.auth import Role
from tests.support.stack import Stack
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration


async def test_missing_key_is_401_and_wrong_role_is_403(stack: Stack) -> None:
    anonymous = await stack.clients["intake"].post("/tickets", json=fault_report())
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    forged = await stack.clients["intake"].post("/tickets", json=fault_report(),
                                                headers={"Authorization": "Bearer not-a-key-at-all"})
    assert forged.status_code == 401
    wrong_role = await post_ticket(stack, role=Role.FINANCE)
    assert wrong_role.status_code == 403
    assert "finance" in wrong_role.json()["error"]["message"]


async def test_admin_may_do_everything(stack: Stack) -> None:
    assert (await post_ticket(stack, role=Role.ADMIN)).status_code == 201


async def test_missing_fields_are_all_named_with_rule_and_nothing_is_stored(stack: Stack) -> None:
    before = await intake_rows(stack)
    body = {"customer": {"name": "李四", "phone": "12"}, "kind": "fault"}
    response = await post_ticket(stack, body)
    assert response.status_code == 422
    fields = {f["field"]: f for f in response.json()["error"]["fields"]}
    assert set(fields) == {"customer.phone", "customer.address", "customer.account", "description"}
    assert fields["customer.address"]["rule"] == "TT-8.11"
    assert fields["description"]["rule"] == "TT-8.11"
    assert "Traceback" not in response.text
    assert await intake_rows(stack) == before  # no ticket, no event


async def intake_rows(stack: Stack) -> tuple[int, int]:
    runtime = stack.runtime("intake")
    async with runtime.engine.connect() as conn:
        tickets = (await conn.execute(select(func.count()).select_from(intake_tickets))).scalar_one()
        events = (await conn.execute(select(func.count()).select_from(runtime.spec.tables.outbox))).scalar_one()
    return tickets, events


async def test_unknown_kind_and_future_field_time_are_refused(stack: Stack) -> None:
    bad_kind = await post_ticket(stack, fault_report(kind="weather"))
    assert bad_kind.status_code == 422 and bad_kind.json()["error"]["fields"][0]["field"] == "kind"
    future = stack.clock.now().replace(year=2030).isoformat()
    late = await post_ticket(stack, fault_report(occurred_at=future))
    assert late.status_code == 422
    assert late.json()["error"]["fields"][0]["field"] == "occurred_at"


async def test_malformed_json_is_a_clean_422(stack: Stack) -> None:
    response = await stack.clients["intake"].post(
        "/tickets", content=b"{not json", headers=stack.auth(Role.IVR) | {"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "body"


async def test_unknown_ticket_is_404(stack: Stack) -> None:
    response = await stack.clients["dispatch"].get(f"/tickets/{uuid.uuid4()}", headers=stack.auth(Role.DISPATCHER))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("service", SERVICE_NAMES)
async def test_health_readiness_metrics_and_docs(stack: Stack, service: str) -> None:
    client = stack.clients[service]
    assert (await client.get("/healthz")).json()["status"] == "ok"
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database"] == "ok" and ready.json()["checks"]["broker"] == "ok"
    metrics = (await client.get("/metrics")).text
    for name in ("gongdan_http_requests_total", "gongdan_events_consumed_total", "gongdan_outbox_backlog",
                 "gongdan_consumer_lag_seconds", "gongdan_events_produced_total"):
        assert name in metrics
    assert (await client.get("/openapi.json")).status_code == 200
