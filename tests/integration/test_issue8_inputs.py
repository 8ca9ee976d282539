"""Issue 8: the inputs the rulebook needs, through the HTTP APIs, the broker and the SLA monitor (default policy:
the Tietong timers with the Telecom same-day promise)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.http.auth import Role
from tests.integration.test_walking_skeleton import seen_by
from tests.support.lifecycle import dispatch_view, known_to_dispatch, new_ticket, ok, window
from tests.support.sla import timers
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
DEPT = "backdate-dept"


def next_morning_10(stack: Stack) -> None:
    """Move the shared clock to the next 10:00 in Shanghai (before the CT 16:00 cut-off)."""
    local = stack.clock.now().astimezone(SHANGHAI)
    target = (local + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    stack.clock.advance(target.astimezone(UTC) - stack.clock.now())


async def rules_of(stack: Stack, ticket_id: str, *wanted: str) -> dict[str, dict] | None:
    found = {t["rule_id"]: t for t in await timers(stack, ticket_id)}  # type: ignore[arg-type]
    return found if set(wanted) <= set(found) else None


def ct(kind: str, **extra: object) -> dict:
    return fault_report(kind=kind, product="ftth-broadband", area_type="city-centre", **extra)


async def test_intake_same_day_choice_starts_the_ct_promise_or_the_declined_limit(stack: Stack) -> None:
    next_morning_10(stack)
    wants = await new_ticket(stack, ct("install", same_day="requested"))
    plain = await new_ticket(stack, ct("install"))
    declined = await new_ticket(stack, ct("fault", same_day="declined"))

    found = await eventually(lambda: rules_of(stack, wants["ticket_id"], "CT-sameday-install"))
    local_end = stack.clock.now().astimezone(SHANGHAI).replace(hour=0, minute=0, second=0) + timedelta(days=1)
    assert datetime.fromisoformat(found["CT-sameday-install"]["deadline"]) == local_end  # 24:00 that day
    found = await eventually(lambda: rules_of(stack, declined["ticket_id"], "CT-declined-repair-48h"))
    assert "CT-sameday-repair" not in found  # declined: no CT promise (RULEBOOK §9.12)
    await eventually(lambda: seen_by(stack, "sla_monitor", plain["ticket_id"]))  # the monitor has it
    assert "CT-sameday-install" not in {t["rule_id"] for t in await timers(stack, plain["ticket_id"])}


async def test_same_day_on_the_wrong_kind_is_refused_naming_the_field(stack: Stack) -> None:
    response = await stack.clients["intake"].post("/tickets", json=ct("fault", same_day="requested"),
                                                  headers=stack.auth(Role.AGENT))
    assert response.status_code == 422
    assert [(f["field"], f["rule"]) for f in response.json()["error"]["fields"]] == [("same_day", "CT-2.4")]


async def test_reclassification_turns_the_same_day_promise_on(stack: Stack) -> None:
    next_morning_10(stack)
    ticket = await new_ticket(stack, ct("install"))
    await ok(stack, ticket["ticket_id"], "reclassify", Role.DISPATCHER,
             {"reason": "客户改要当日装", "same_day": "requested"})
    await eventually(lambda: rules_of(stack, ticket["ticket_id"], "CT-sameday-install"))


async def test_vip_fault_desk_notification_stops_tt_8_7(stack: Stack) -> None:
    ticket = await new_ticket(stack, fault_report(segment="vip"))
    tid = ticket["ticket_id"]
    await eventually(lambda: rules_of(stack, tid, "TT-vip-notify-20m"))
    stack.clock.advance(timedelta(minutes=5))
    await ok(stack, tid, "desk-notifications", Role.AGENT, {"note": "VIP 专线中断, 已电话通知调度台"})

    async def met() -> dict | None:
        found = await rules_of(stack, tid, "TT-vip-notify-20m")
        return found if found and found["TT-vip-notify-20m"]["state"] == "met" else None

    await eventually(met)


async def test_no_show_on_arrival_pauses_repair_timers_until_the_rebooked_window_rulebook_9_16(
    stack: Stack,
) -> None:
    ticket = await new_ticket(stack, fault_report())
    tid = ticket["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": DEPT, "technician": "t-9"})
    await ok(stack, tid, "accept", Role.HANDLER)
    await ok(stack, tid, "contact", Role.TECHNICIAN)
    await ok(stack, tid, "appointments", Role.TECHNICIAN, window(stack, timedelta(minutes=-1)))
    await ok(stack, tid, "arrival", Role.TECHNICIAN)
    missed_at = stack.clock.now()
    missed = await ok(stack, tid, "appointments/missed", Role.TECHNICIAN, {"cause": "customer", "note": "无人在家"})
    assert [e["type"] for e in missed["events"]] == ["AppointmentMissed"]

    async def paused() -> dict | None:
        found = await rules_of(stack, tid, "TT-repair-22h")
        return found if found and found["TT-repair-22h"]["paused"] else None

    before = (await eventually(paused))["TT-repair-22h"]
    rebooked = window(stack, timedelta(hours=3))
    await ok(stack, tid, "appointments", Role.TECHNICIAN, rebooked)
    gap = datetime.fromisoformat(rebooked["window_start"]) - missed_at

    async def resumed() -> dict | None:
        found = await rules_of(stack, tid, "TT-repair-22h")
        return found if found and not found["TT-repair-22h"]["paused"] else None

    after = (await eventually(resumed))["TT-repair-22h"]
    moved = datetime.fromisoformat(after["deadline"]) - datetime.fromisoformat(before["deadline"])
    assert moved == gap  # paused from the no-show until the rebooked window starts


async def test_backdated_acts_are_flagged_in_the_timeline_and_listed_for_supervisors(stack: Stack) -> None:
    ticket = await new_ticket(stack, fault_report())
    tid = ticket["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": DEPT, "technician": "t-9"})
    await ok(stack, tid, "accept", Role.HANDLER)
    await known_to_dispatch(stack, tid, 3)
    stack.clock.advance(timedelta(hours=3))
    field_time = stack.clock.now() - timedelta(hours=2, minutes=5)  # technician's app synced late
    await ok(stack, tid, "contact", Role.TECHNICIAN, {"occurred_at": field_time.isoformat()})

    view = await eventually(lambda: dispatch_view(stack, tid, 4))
    flagged = [e for e in view["timeline"] if e["backdated"]]
    assert [(e["type"], e["backdated"]["by"]) for e in flagged] == [("ContactEstablished", "2h05m")]
    assert flagged[0]["occurred_at"] == field_time.isoformat()  # the field time stands for timers

    audit = await stack.clients["dispatch"].get("/audit/backdated", headers=stack.auth(Role.SUPERVISOR))
    assert audit.status_code == 200
    assert (tid, "ContactEstablished") in {(a["ticket_id"], a["type"]) for a in audit.json()["acts"]}
    refused = await stack.clients["dispatch"].get("/audit/backdated", headers=stack.auth(Role.TECHNICIAN))
    assert refused.status_code == 403


async def test_escalation_complaint_names_its_payer_and_churn_its_cause(stack: Stack) -> None:
    ticket = await new_ticket(stack, fault_report(kind="complaint"))
    tid = ticket["ticket_id"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": DEPT})
    escalation = await ok(stack, tid, "escalation-complaints", Role.AGENT,
                          {"level": "city-12315", "description": "客户向12315投诉"})
    await ok(stack, tid, "churn", Role.AGENT, {"caused_by_complaint": True})
    view = await eventually(lambda: dispatch_view(stack, tid, escalation["version"] + 1))
    payloads = {e["type"]: e["payload"] for e in view["timeline"]}
    assert payloads["EscalationComplaintReceived"]["responsible_department"] == DEPT
    assert payloads["CustomerChurned"]["caused_by_complaint"] is True


async def test_tickets_are_found_by_number_phone_and_account_in_intake_and_dispatch(stack: Stack) -> None:
    body = fault_report()
    body["customer"]["phone"] = "027-8765 4321"
    body["customer"]["account"] = f"adsl-{uuid.uuid4().hex[:8]}"
    ticket = await new_ticket(stack, body)
    tid, number, account = ticket["ticket_id"], ticket["number"], body["customer"]["account"]
    for query in ({"number": number}, {"phone": "02787654321", "account": account.upper()},
                  {"account": account.replace("-", "")}):
        found = await stack.clients["intake"].get("/tickets", params=query, headers=stack.auth(Role.AGENT))
        assert found.status_code == 200, found.text
        assert tid in [t["ticket_id"] for t in found.json()["items"]], query
        listed = await stack.clients["dispatch"].get("/tickets", params=query,
                                                     headers=stack.auth(Role.DISPATCHER))
        assert listed.status_code == 200, listed.text
        assert [t["ticket_id"] for t in listed.json()["items"]] == [tid], query
    typo = await stack.clients["intake"].get("/tickets", params={"number": "2026-KF-12"},
                                             headers=stack.auth(Role.AGENT))
    assert typo.status_code == 422 and typo.json()["error"]["fields"][0]["field"] == "number"
    nothing = await stack.clients["intake"].get("/tickets", headers=stack.auth(Role.AGENT))
    assert nothing.status_code == 422
    assert {f["field"] for f in nothing.json()["error"]["fields"]} == {"number", "phone", "account"}


async def test_due_at_is_the_earliest_running_sla_deadline_and_a_promise_moves_no_policy_deadline(
    stack: Stack,
) -> None:
    ticket = await new_ticket(stack, fault_report())
    tid = ticket["ticket_id"]
    dispatched_at = stack.clock.now()
    promised = dispatched_at + timedelta(hours=48)  # later than every policy deadline
    await ok(stack, tid, "dispatch", Role.DISPATCHER,
             {"department": DEPT, "technician": "t-9", "due_at": promised.isoformat()})

    async def due(rule: str) -> dict | None:
        view = await dispatch_view(stack, tid)
        return view if view and view["due_rule"] == rule else None

    view = await eventually(lambda: due("TT-contact-30m"))  # TT-9.2 comes first
    assert view["due_at"] == (dispatched_at + timedelta(minutes=30)).isoformat()
    assert view["promised_at"] == promised.isoformat()
    await ok(stack, tid, "accept", Role.HANDLER)
    await ok(stack, tid, "contact", Role.TECHNICIAN)
    view = await eventually(lambda: due("TT-repair-22h"))  # contact made: the repair deadline is next
    assert view["due_at"] == (dispatched_at + timedelta(hours=22)).isoformat()
    found = await eventually(lambda: rules_of(stack, tid, "GD-promised-due", "TT-repair-22h"))
    assert found["GD-promised-due"]["deadline"] == promised.isoformat()  # an internal timer of its own


async def test_a_filter_a_list_does_not_know_is_a_422_not_everything(stack: Stack) -> None:
    response = await stack.clients["dispatch"].get("/tickets", params={"departmnet": "x"},
                                                   headers=stack.auth(Role.DISPATCHER))
    assert response.status_code == 422
    [field] = response.json()["error"]["fields"]
    assert (field["field"], field["in"], field["rule"]) == ("departmnet", "query", "unknown_parameter")
    timers = await stack.clients["sla_monitor"].get("/timers/breached", params={"rule": "TT-repair-22h"},
                                                    headers=stack.auth(Role.OPS))
    assert timers.status_code == 422
