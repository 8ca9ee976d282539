"""`parse_log_ticket`: a raw POST /tickets body becomes a command, or every problem in one list (TT-8.11)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.intake.domain.intake import LogTicket
from services.intake.domain.request import parse_log_ticket
from shared.events.vocabulary import Channel, ComplaintClass, TicketKind

CUSTOMER = {"name": "张三", "phone": "027-88886666", "address": "武汉市江汉区解放大道1号", "account": "WH-10050-0001"}


def body(**changes: Any) -> dict[str, Any]:
    return {"customer": dict(CUSTOMER), "kind": "fault", "description": "宽带无法上网，光猫LOS灯红"} | changes


def problems(raw: Any) -> dict[str, str]:
    parsed = parse_log_ticket(raw)
    assert isinstance(parsed, list), parsed
    assert all(p["in"] == "body" and p["message"] for p in parsed)
    return {p["field"]: p["rule"] for p in parsed}


def test_a_complete_body_is_a_command() -> None:
    cmd = parse_log_ticket(body(channel="web", priority="urgent"))
    assert isinstance(cmd, LogTicket)
    assert (cmd.kind, cmd.channel, cmd.customer.name) == (TicketKind.fault, Channel.web, "张三")


@pytest.mark.parametrize("raw", [None, [], "text", 3])
def test_a_body_that_is_not_an_object_is_one_problem(raw: Any) -> None:
    assert problems(raw) == {"body": "model_attributes_type"}


def test_an_empty_object_lists_every_tt_8_11_field_once_plus_the_kind() -> None:
    assert problems({}) == {"customer.name": "TT-8.11", "customer.address": "TT-8.11", "customer.phone": "TT-8.11",
                            "customer.account": "TT-8.11", "description": "TT-8.11", "kind": "missing"}


def test_customer_of_the_wrong_type_is_reported_through_its_fields() -> None:
    found = problems(body(customer="张三"))
    assert "customer" not in found  # covered by the TT-8.11 field problems
    assert set(found) == {"customer.name", "customer.address", "customer.phone", "customer.account"}


def test_tt_8_11_and_schema_problems_come_together() -> None:
    found = problems(body(customer=CUSTOMER | {"phone": "10050"}, kind="rumour", priority="asap"))
    assert found["customer.phone"].startswith("TT-8.")
    assert found["kind"] == "enum" and found["priority"] == "enum"


def test_a_field_is_not_reported_twice() -> None:
    parsed = parse_log_ticket(body(description=""))
    assert isinstance(parsed, list)
    assert [p["field"] for p in parsed] == ["description"]


def test_unknown_keys_are_refused() -> None:
    assert problems(body(colour="red")) == {"colour": "extra_forbidden"}


@pytest.mark.parametrize(("changes", "field", "rule"), [
    ({"channel": "forwarded-by-authority"}, "authority", "intake-channel"),
    ({"complaint_class": "mass"}, "complaint_class", "NJ-4.1"),
    ({"first_contact_solution": "restarted the modem", "incident_id": str(uuid.uuid4())},
     "first_contact_solution", "intake-first-contact"),
])
def test_cross_field_rules(changes: dict[str, Any], field: str, rule: str) -> None:
    assert problems(body(**changes)) == {field: rule}


def test_cross_field_rules_pass_when_satisfied() -> None:
    cmd = parse_log_ticket(body(kind="complaint", complaint_class="mass", channel="forwarded-by-authority",
                                authority="12315"))
    assert isinstance(cmd, LogTicket) and cmd.complaint_class is ComplaintClass.mass


def test_occurred_at_must_carry_a_zone() -> None:
    assert problems(body(occurred_at="2025-06-10T08:00:00")) == {"occurred_at": "timezone_aware"}
    assert isinstance(parse_log_ticket(body(occurred_at="2025-06-10T08:00:00+08:00")), LogTicket)
