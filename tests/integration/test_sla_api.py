"""sla_monitor HTTP API: timers of a ticket, at-risk and breached lists with filters, achievement, status."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.sla_monitor.service_layer.config import load_config
from services.sla_monitor.service_layer.scanner import recompute_provisional
from shared.events.lifecycle import Classification, ContactEstablished, TicketDispatched, TicketReclassified
from shared.events.vocabulary import Product
from shared.events.vocabulary import Role as Acting
from shared.http.auth import Role
from tests.support.sla import created, envelope, publish, timers
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
MIN = timedelta(minutes=1)


async def _ticket(stack: Stack, department: str) -> uuid.UUID:
    tid, t0 = uuid.uuid4(), stack.clock.now()
    dispatched = TicketDispatched(ticket_id=tid, actor="desk", role=Acting.dispatcher, department=department)
    await publish(stack, envelope(created(tid), tid, t0), envelope(dispatched, tid, t0))
    await eventually(lambda: timers(stack, tid))
    return tid


async def _state(stack: Stack, tid: uuid.UUID, rule_id: str, state: str) -> bool:
    return any(t["rule_id"] == rule_id and t["state"] == state for t in await timers(stack, tid))


async def _get(stack: Stack, path: str, role: Role = Role.OPS, **params):
    return await stack.clients["sla_monitor"].get(path, params=params, headers=stack.auth(role))


async def test_lists_filters_and_achievement(stack: Stack) -> None:
    dept = f"dept-{uuid.uuid4().hex[:6]}"
    t0 = stack.clock.now()
    on_time, late = await _ticket(stack, dept), await _ticket(stack, dept)
    contact = ContactEstablished(ticket_id=on_time, actor="x", role=Acting.technician)
    await publish(stack, envelope(contact, on_time, t0 + 10 * MIN))
    await eventually(lambda: _state(stack, on_time, "TT-contact-30m", "met"))
    stack.clock.advance(25 * MIN)

    async def at_risk():
        body = (await _get(stack, "/timers/at-risk", department=dept, rule_id="TT-contact-30m")).json()
        return body["timers"] or None

    risky = await eventually(at_risk)
    assert [t["ticket_id"] for t in risky] == [str(late)] and risky[0]["remaining_seconds"] == 5 * 60
    stack.clock.advance(10 * MIN)

    async def breached():
        body = (await _get(stack, "/timers/breached", department=dept, open_only="true")).json()
        return body["timers"] or None

    rows = await eventually(breached)
    assert [(t["ticket_id"], t["rule_id"], t["state"]) for t in rows] == [(str(late), "TT-contact-30m", "breached")]
    period = {"from": t0.isoformat(), "to": (t0 + 60 * MIN).isoformat()}
    rules = {r["rule_id"]: r for r in (await _get(stack, "/rules/achievement", **period)).json()["rules"]}
    assert rules["TT-contact-30m"]["met"] >= 1 and rules["TT-contact-30m"]["missed"] >= 1
    assert 0 < rules["TT-contact-30m"]["rate"] < 1


async def test_a_deadline_in_a_year_the_calendar_does_not_know_is_provisional(stack: Stack) -> None:
    tid, t0 = uuid.uuid4(), datetime(2031, 6, 3, 2, tzinfo=UTC)  # 10:00 Shanghai, a year no notice covers yet
    change = TicketReclassified(ticket_id=tid, actor="desk", role=Acting.dispatcher, before=Classification(),
                                after=Classification(product=Product.ftth_broadband), reason="FTTH")
    await publish(stack, envelope(created(tid), tid, t0), envelope(change, tid, t0 + MIN))

    async def repair():
        return next((t for t in await timers(stack, tid) if t["rule_id"] == "CT-sameday-repair"), None)

    timer = await eventually(repair)
    assert timer["provisional"] is True and timer["calendar"] == "default"
    status = (await _get(stack, "/sla/status")).json()
    assert status["calendar"] == "provisional" and status["provisional_open_timers"] >= 1

    cfg = load_config(stack.settings)  # the operator declares 2031 in the policy file; the next start recomputes
    declared = {name: replace(cal, declared_years=frozenset({2031})) for name, cal in cfg.calendars.items()}
    assert await recompute_provisional(stack.runtime("sla_monitor"), replace(cfg, calendars=declared)) >= 1
    timer = await repair()
    assert timer is not None and timer["provisional"] is False


async def test_roles_status_and_errors(stack: Stack) -> None:
    assert (await _get(stack, "/timers/at-risk", Role.TECHNICIAN)).status_code == 403
    assert (await _get(stack, "/timers/breached", Role.DISPATCHER)).status_code == 200
    status = (await _get(stack, "/sla/status", Role.ADMIN)).json()
    assert status["pack"] == "default" and "TT-repair-22h" in status["rules"]
    assert status["breach_grace_seconds"] == 120
    missing = await _get(stack, f"/tickets/{uuid.uuid4()}/timers")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    now = stack.clock.now().isoformat()
    assert (await _get(stack, "/rules/achievement", **{"from": now, "to": now})).status_code == 422
