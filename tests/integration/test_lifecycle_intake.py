"""Issue 3 intake: every field problem in one 422, duplicate reports (GX-5.3.1), first-contact close, field time."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.intake.service_layer.projection import on_status_events
from shared.events import new_envelope
from shared.events.lifecycle import (
    ArrivedOnSite,
    TicketAccepted,
    TicketDispatched,
    TicketPaused,
    TicketResumed,
)
from shared.http.auth import Role
from tests.support.lifecycle import command, intake_state, known_to_dispatch, new_ticket, ok
from tests.support.stack import Stack
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration


async def test_every_problem_is_listed_with_its_rule(stack: Stack) -> None:
    body = {"customer": {"name": "王五", "phone": "10050", "account": "A"}, "kind": "fault",
            "channel": "carrier-pigeon", "segment": "vip"}
    response = await post_ticket(stack, body)
    assert response.status_code == 422
    fields = {f["field"]: f["rule"] for f in response.json()["error"]["fields"]}
    assert fields == {"customer.address": "TT-8.11", "customer.phone": "TT-8.12", "customer.account": "TT-8.12",
                      "description": "TT-8.11", "channel": "enum"}
    forwarded = await post_ticket(stack, fault_report(channel="forwarded-by-authority"))
    assert forwarded.status_code == 422 and forwarded.json()["error"]["fields"][0]["field"] == "authority"


async def test_repeat_fault_report_links_to_the_open_ticket_and_override_makes_a_new_one(stack: Stack) -> None:
    first = await new_ticket(stack, fault_report(product="ftth-broadband"))
    view = await known_to_dispatch(stack, first["ticket_id"])
    again_body = fault_report(product="ftth-broadband", description="还是上不了网", channel="web")
    again_body["customer"] = view["customer"] | {"phone": "13912345678"}
    stack.clock.advance(timedelta(minutes=20))
    repeat = await post_ticket(stack, again_body)
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() | {"event_id": None, "occurred_at": None, "incidents": None} == {
        "outcome": "duplicate-linked", "rule": "GX-5.3.1", "ticket_id": first["ticket_id"],
        "number": first["number"], "state": "received", "event_id": None, "occurred_at": None, "incidents": None}
    linked = await known_to_dispatch(stack, first["ticket_id"], 2)
    assert linked["timeline"][1]["type"] == "DuplicateReportLinked"
    assert linked["timeline"][1]["payload"]["caller_phone"] == "13912345678"

    override = await post_ticket(stack, again_body | {"duplicate_override": True})
    assert override.status_code == 201 and override.json()["ticket_id"] != first["ticket_id"]


async def test_report_after_the_window_or_after_close_is_a_new_ticket(stack: Stack) -> None:
    first = await new_ticket(stack, fault_report())
    body = fault_report()
    body["customer"] = (await known_to_dispatch(stack, first["ticket_id"]))["customer"]
    stack.clock.advance(stack.settings.gongdan_duplicate_window + timedelta(minutes=1))
    late = await post_ticket(stack, body)
    assert late.status_code == 201 and late.json()["ticket_id"] != first["ticket_id"]


async def test_first_contact_resolution_closes_and_archives_with_the_exemption(stack: Stack) -> None:
    created = await new_ticket(stack, fault_report(kind="inquiry", first_contact_solution="告知资费标准"))
    assert created["state"] == "closed"
    view = await known_to_dispatch(stack, created["ticket_id"], 2)
    assert view["state"] == "closed" and view["timeline"][1]["type"] == "ResolvedAtFirstContact"
    refused = await command(stack, created["ticket_id"], "archive", Role.AGENT)
    assert refused.status_code == 409 and refused.json()["error"]["current_state"] == "closed"
    archived = await ok(stack, created["ticket_id"], "archive", Role.AGENT,
                        {"exemption": "first-contact-resolution"})
    assert archived["state"] == "archived"
    await intake_state(stack, created["ticket_id"], "archived")


async def test_backdating_is_limited_per_role(stack: Stack) -> None:
    now = stack.clock.now()
    too_old = await post_ticket(stack, fault_report(occurred_at=(now - timedelta(hours=2)).isoformat()))
    assert too_old.status_code == 422 and too_old.json()["error"]["fields"][0]["rule"] == "field-time"
    created = await new_ticket(stack, fault_report(occurred_at=(now - timedelta(minutes=10)).isoformat()))
    tid = created["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "backdate-dept", "technician": "t-9"})
    stack.clock.advance(timedelta(hours=30))
    offline = (now + timedelta(minutes=5)).isoformat()  # the technician's app synced 30 hours later
    accepted = await ok(stack, tid, "accept", Role.TECHNICIAN, {"occurred_at": offline})
    view = await known_to_dispatch(stack, tid, accepted["version"])
    assert view["timeline"][-1]["occurred_at"] == offline
    before_previous = await command(stack, tid, "contact", Role.TECHNICIAN, {"occurred_at": now.isoformat()})
    assert before_previous.status_code == 409
    handler_too_old = await command(stack, tid, "contact", Role.HANDLER, {"occurred_at": offline})
    assert handler_too_old.status_code == 422


async def test_a_consumed_run_moves_each_ticket_as_one_event_at_a_time_would(stack: Stack) -> None:
    """Issue 13: intake's status view takes a run of lifecycle events of several tickets in one call (one read, one
    write); each ticket still ends where its events, in order, lead, and a ticket intake never logged is passed
    over."""
    first, second = await new_ticket(stack, fault_report()), await new_ticket(stack, fault_report())
    a, b, unknown = uuid.UUID(first["ticket_id"]), uuid.UUID(second["ticket_id"]), uuid.uuid4()
    desk, tech = {"actor": "desk-1", "role": "dispatcher"}, {"actor": "tech-1", "role": "technician"}
    run = [(a, TicketDispatched(ticket_id=a, **desk, department="jianghan-maint")),
           (b, TicketDispatched(ticket_id=b, **desk, department="jianghan-maint")),
           (unknown, TicketDispatched(ticket_id=unknown, **desk, department="jianghan-maint")),
           (a, TicketAccepted(ticket_id=a, **tech, department="jianghan-maint")),
           (b, TicketPaused(ticket_id=b, **tech, reason="customer-postponed")),
           (a, ArrivedOnSite(ticket_id=a, **tech)),
           (b, TicketResumed(ticket_id=b, **tech, paused_seconds=60))]
    now = stack.clock.now()
    events = [new_envelope(p, ticket_id=t, sequence=10 + i, occurred_at=now, recorded_at=now, producer="dispatch")
              for i, (t, p) in enumerate(run)]
    async with stack.runtime("intake").new_uow() as uow:
        await on_status_events(uow, events[:5])  # b paused after dispatch: it must come back there
        await uow.commit()
    assert (await intake_state(stack, str(b), "paused"))["state"] == "paused"
    async with stack.runtime("intake").new_uow() as uow:
        await on_status_events(uow, events[5:])
        await uow.commit()
    await intake_state(stack, str(a), "on-site")
    await intake_state(stack, str(b), "dispatched")
