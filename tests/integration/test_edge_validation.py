"""Validation at the edge (issue 7): control characters, lengths, JSON depth and size, timestamps, media type and
authentication before the body; every refusal a 4xx naming the field, nothing stored, never a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from services.intake.adapters.tables import tickets as intake_tickets
from shared import limits
from shared.http.auth import Role
from tests.support.lifecycle import command, new_ticket
from tests.support.stack import Stack
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration


def fields(response) -> dict[str, dict[str, str]]:
    assert response.status_code == 422, response.text
    return {f["field"]: f for f in response.json()["error"]["fields"]}


async def intake_rows(stack: Stack) -> tuple[int, int]:
    runtime = stack.runtime("intake")
    async with runtime.engine.connect() as conn:
        tickets = (await conn.execute(select(func.count()).select_from(intake_tickets))).scalar_one()
        events = (await conn.execute(select(func.count()).select_from(runtime.spec.tables.outbox))).scalar_one()
    return tickets, events


@pytest.mark.parametrize("field", ["recording_ref", "first_contact_solution"])
async def test_nul_ticket_is_refused_at_intake_and_nothing_is_created(stack: Stack, field: str) -> None:
    before = await intake_rows(stack)
    response = await post_ticket(stack, fault_report(**{field: "rec\u0000"}))
    found = fields(response)
    assert found[field]["rule"] == "control_characters" and found[field]["in"] == "body"
    assert "U+0000" in found[field]["message"]
    assert await intake_rows(stack) == before


async def test_control_characters_in_nested_fields_keys_and_free_text(stack: Stack) -> None:
    body = fault_report()
    body["customer"]["name"] = "张\u0007三"
    assert "customer.name" in fields(await post_ticket(stack, body))
    assert "customer.x\u0000" in fields(await post_ticket(stack, fault_report(customer={"x\u0000": 1})))
    multiline = await post_ticket(stack, fault_report(description="第一行\n第二行\t(tab)"))
    assert multiline.status_code == 201, multiline.text  # free text keeps its line breaks
    lone_surrogate = b'{"description": "\\ud800"}'
    refused = await stack.clients["intake"].post("/tickets", content=lone_surrogate,
                                                 headers=stack.auth(Role.IVR) | {"content-type": "application/json"})
    assert fields(refused)["description"]["rule"] == "control_characters"


async def test_control_characters_in_query_path_and_header_are_named(stack: Stack) -> None:
    desk = stack.auth(Role.DISPATCHER)
    dispatch, sla = stack.clients["dispatch"], stack.clients["sla_monitor"]
    assert fields(await dispatch.get("/tickets", params={"department": "a\u0000b"}, headers=desk))["department"][
        "in"] == "query"
    assert fields(await dispatch.get("/technicians/a%00b/worklist", headers=desk))["technician"]["in"] == "path"
    assert "rule_id" in fields(await sla.get("/timers/breached", params={"rule_id": "\u001b[2J"}, headers=desk))
    ticket = (await new_ticket(stack, fault_report()))["ticket_id"]
    keyed = await command(stack, ticket, "accept", Role.DISPATCHER, key="retry\u0001")
    assert fields(keyed)["Idempotency-Key"]["in"] == "header"


@pytest.mark.parametrize(("field", "limit"), [("department", limits.DEPARTMENT), ("technician", limits.PERSON)])
async def test_text_longer_than_its_column_is_a_422_not_a_500(stack: Stack, field: str, limit: int) -> None:
    ticket = (await new_ticket(stack, fault_report()))["ticket_id"]
    body = {"department": "网络维护部", field: "x" * (limit + 1)}
    refused = await command(stack, ticket, "dispatch", Role.DISPATCHER, body)
    assert fields(refused)[field]["rule"] == "string_too_long"
    accepted = await command(stack, ticket, "dispatch", Role.DISPATCHER, body | {field: "x" * limit})
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize("depth", [limits.MAX_JSON_DEPTH + 1, 100_000])
async def test_deeply_nested_json_is_refused(stack: Stack, depth: int) -> None:
    body = ('{"customer": ' + "[" * depth + "]" * depth + "}").encode()
    response = await stack.clients["intake"].post(
        "/tickets", content=body, headers=stack.auth(Role.IVR) | {"content-type": "application/json"})
    assert {f["rule"] for f in fields(response).values()} == {"json_depth"}


async def test_oversized_body_is_413(stack: Stack) -> None:
    body = fault_report(description="长" * limits.MAX_BODY_BYTES)
    response = await post_ticket(stack, body)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(("start", "end", "bad", "rule"), [
    ("2026-03-01T00:00:00", "2026-03-02T00:00:00+08:00", "from", "timezone_aware"),
    ("2026-03-01T00:00:00Z", "2026-03-02T00:00:00", "to", "timezone_aware"),
    ("0001-01-01T00:00:00Z", "2026-03-02T00:00:00Z", "from", "datetime_range"),
    ("2026-03-01T00:00:00Z", "9999-12-31T23:59:59Z", "to", "datetime_range"),
])
async def test_achievement_period_needs_offsets_and_sane_years(stack: Stack, start: str, end: str, bad: str,
                                                               rule: str) -> None:
    response = await stack.clients["sla_monitor"].get("/rules/achievement", params={"from": start, "to": end},
                                                      headers=stack.auth(Role.OPS))
    assert fields(response)[bad] == {"field": bad, "in": "query", "rule": rule, "message": fields(response)[bad][
        "message"]}


@pytest.mark.parametrize(("starts_at", "rule"), [
    ("0001-01-01T00:00:00Z", "datetime_range"), ("9999-01-01T00:00:00Z", "datetime_range"),
    ("2026-03-01T08:00:00", "timezone_aware"), (1772323200, "strict_type"),
])
async def test_an_outage_cannot_start_in_year_one(stack: Stack, starts_at: object, rule: str) -> None:
    response = await stack.clients["dispatch"].post("/incidents", headers=stack.auth(Role.DISPATCHER), json={
        "area": "江汉区", "cause": "光缆中断", "starts_at": starts_at})
    assert fields(response)["starts_at"]["rule"] == rule


async def test_bodies_must_be_json(stack: Stack) -> None:
    for content_type in ("text/plain", None):
        headers = stack.auth(Role.IVR) | ({"content-type": content_type} if content_type else {})
        response = await stack.clients["intake"].post("/tickets", content=json.dumps(fault_report()).encode(),
                                                      headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(("service", "path"), [("dispatch", f"/tickets/{uuid.uuid4()}/dispatch"),
                                               ("dispatch", "/incidents"), ("intake", "/tickets")])
async def test_the_key_is_checked_before_the_body_is_read(stack: Stack, service: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key-at-all"}):
        response = await stack.clients[service].post(path, content=b"{not json",
                                                     headers=headers | {"content-type": "application/json"})
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_openapi_documents_what_is_enforced(stack: Stack) -> None:
    api = (await stack.clients["dispatch"].get("/openapi.json")).json()
    assert "ErrorResponse" in api["components"]["schemas"]
    operation = api["paths"]["/tickets/{ticket_id}/dispatch"]["post"]
    assert {"401", "403", "404", "409", "413", "415", "422"} <= set(operation["responses"])
    assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"}
    body = api["components"]["schemas"][operation["requestBody"]["content"]["application/json"]["schema"][
        "$ref"].rsplit("/", 1)[-1]]
    department = body["properties"]["department"]
    assert department["maxLength"] == limits.DEPARTMENT and "pattern" in department
    assert body["properties"]["due_at"]["anyOf"][0]["format"] == "date-time"
    intake = (await stack.clients["intake"].get("/openapi.json")).json()["paths"]["/tickets"]["post"]
    assert {"200", "201", "413", "415", "422"} <= set(intake["responses"])
