"""Gaps closed through the real path (broker -> sla_monitor DB -> events/API): outage notices (TT-8.6),
appointment deadlines (CT-2.4.1), remaining time on the rule's clock, provisional deadlines in /readyz."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.events.lifecycle import (
    AppointmentBooked,
    AppointmentRebooked,
    Classification,
    OutageDeclared,
    OutageRestored,
    Resolved,
    TicketReclassified,
)
from shared.events.vocabulary import Product, Requester, Role
from tests.support.sla import created, envelope, publish, sla_events, timers, types
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _timer(stack: Stack, tid: uuid.UUID, rule_id: str, **expect: object) -> dict | None:
    found = next((t for t in await timers(stack, tid) if t["rule_id"] == rule_id), None)
    return found if found and all(found[k] == v for k, v in expect.items()) else None


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


async def test_outage_and_restore_notices_are_settled_from_incident_events(stack: Stack) -> None:  # TT-8.6
    iid, t0 = uuid.uuid4(), stack.clock.now()
    declared = OutageDeclared(incident_id=iid, actor="noc-1", role=Role.dispatcher, area="江汉路",
                              cause="光缆中断", planned=False, notice_at=t0 + 40 * MIN, starts_at=t0)
    restored = OutageRestored(incident_id=iid, actor="noc-1", role=Role.dispatcher, restored_at=t0 + 3 * HOUR,
                              notice_at=t0 + 3 * HOUR + 10 * MIN)
    first = envelope(declared, iid, t0 + 40 * MIN)  # dispatch keys incident events by incident id
    await publish(stack, first, envelope(restored, iid, t0 + 3 * HOUR), first)  # and a redelivery

    async def settled():
        events = await sla_events(stack, iid)
        return events if len(events) >= 2 else None

    events = await eventually(settled)
    assert types(events) == ["SlaBreached", "SlaMet"]
    breach, met = events[0].payload, events[1].payload
    assert (breach.rule_id, breach.round, breach.overdue_minutes) == ("TT-outage-notice-30m", 1, 10)
    assert breach.actual == t0 + 40 * MIN and breach.person == "noc-1"
    assert (met.rule_id, met.round, met.actual) == ("TT-outage-notice-30m", 2, t0 + 3 * HOUR + 10 * MIN)
    rows = await timers(stack, iid)
    assert [(r["round"], r["state"]) for r in rows] == [(1, "late"), (2, "met")]


async def test_appointment_install_runs_to_the_agreed_window(stack: Stack) -> None:  # CT-2.4.1, §9.12
    tid, t0 = uuid.uuid4(), stack.clock.now()
    first, moved = (t0 + 20 * HOUR, t0 + 23 * HOUR), (t0 + 44 * HOUR, t0 + 47 * HOUR)
    booked = AppointmentBooked(ticket_id=tid, actor="tech", role=Role.technician, window_start=first[0],
                               window_end=first[1])
    await publish(stack, envelope(created(tid, kind="install"), tid, t0), envelope(booked, tid, t0 + 5 * MIN))
    timer = await eventually(lambda: _timer(stack, tid, "CT-appointment-install"))
    assert (timer["start"], timer["deadline"], timer["state"]) == (_iso(t0), _iso(first[1]), "running")

    rebooked = AppointmentRebooked(ticket_id=tid, actor="tech", role=Role.technician, window_start=moved[0],
                                   window_end=moved[1], previous_start=first[0], previous_end=first[1],
                                   requested_by=Requester.customer, customer_consent=True)
    await publish(stack, envelope(rebooked, tid, t0 + HOUR))
    await eventually(lambda: _timer(stack, tid, "CT-appointment-install", deadline=_iso(moved[1])))
    done = Resolved(ticket_id=tid, actor="tech", role=Role.technician, round=1, department="install")
    await publish(stack, envelope(done, tid, moved[1] - MIN))
    await eventually(lambda: _timer(stack, tid, "CT-appointment-install", state="met"))

    async def published() -> list | None:  # the row is committed with its outbox; the relay publishes a moment later
        return [e for e in await sla_events(stack, tid)
                if e.type.startswith("Sla") and e.payload.rule_id == "CT-appointment-install"] or None

    met = await eventually(published)
    assert types(met) == ["SlaMet"] and met[0].payload.deadline == moved[1]


async def test_remaining_is_measured_on_the_callback_window_clock(stack: Stack) -> None:  # TT-8.14
    local = stack.clock.now().astimezone(SHANGHAI)
    start = local.replace(hour=11, minute=30, second=0, microsecond=0)
    start += timedelta(days=1) if start < local else timedelta(0)
    stack.clock.set(start)
    tid = uuid.uuid4()
    done = Resolved(ticket_id=tid, actor="tech", role=Role.technician, round=1, department="maint")
    await publish(stack, envelope(created(tid), tid, start - HOUR), envelope(done, tid, start))
    timer = await eventually(lambda: _timer(stack, tid, "TT-callback-1h"))
    assert timer["deadline"] == _iso(start + 3 * HOUR + 30 * MIN) and timer["remaining_seconds"] == 3600
    stack.clock.advance(90 * MIN)  # 13:00: 30 window minutes used, lunch break not counted
    assert (await _timer(stack, tid, "TT-callback-1h"))["remaining_seconds"] == 1800  # type: ignore[index]


async def test_provisional_deadlines_show_in_readyz_without_failing_it(stack: Stack) -> None:
    tid, t0 = uuid.uuid4(), datetime(2032, 6, 3, 2, tzinfo=UTC)  # 10:00 Shanghai, a year no notice covers
    change = TicketReclassified(ticket_id=tid, actor="desk", role=Role.dispatcher, before=Classification(),
                                after=Classification(product=Product.ftth_broadband), reason="FTTH")
    await publish(stack, envelope(created(tid), tid, t0), envelope(change, tid, t0 + MIN))
    await eventually(lambda: _timer(stack, tid, "CT-sameday-repair", provisional=True))
    response = await stack.clients["sla_monitor"].get("/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ready"
    details = body["details"]
    assert details["calendar"] == "provisional" and details["provisional_open_timers"] >= 1
    assert 2032 in details["undeclared_years"] and 2026 not in details["undeclared_years"]
