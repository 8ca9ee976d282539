"""RULEBOOK §9.12 through the real broker: an exemption recorded at compensation's API (CompensationExemptionRecorded
on gongdan.compensation) takes the ticket's late timer out of penalty's on-time rate, shown as "late, exempt"; the
customer's dispute without a recording voids it (CT-3.3.1) and the late timer counts again. The ledger is untouched
either way.

The shared stack runs the default policy (Tietong timers, Telecom same-day promise), which has no KPIs: penalty gets
the default plus an on-time KPI over the same-day repair promise for the test's duration."""

from __future__ import annotations

import csv
import io
import uuid
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.penalty.adapters.tables import kpi as K
from services.penalty.domain.amounts import local_month
from services.penalty.service_layer.config import PenaltyConfig
from shared.http.auth import Role
from tests.integration.test_compensation_claims import REPLY, TECH, ct, directory_entry, next_local
from tests.support.lifecycle import new_ticket, ok, window
from tests.support.penalty import penalty_policy
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
POLICY = """pack: exempt-test
include: [default]
penalties:
  kpis:
    CT-on-time:
      {title: same-day repair on-time rate, citation: "RULEBOOK §9.11, §9.12", measure: on-time,
       rules: [CT-sameday-repair], target_percent: 99, scoring: {type: deduct, points_per_percent: 2}}
"""


def on_time_kpi(stack: Stack, tmp_path: Path) -> AbstractContextManager[PenaltyConfig]:
    return penalty_policy(stack, tmp_path / "exempt-test.yaml", POLICY)


async def work(stack: Stack, tid: str) -> None:
    """From the dispatched ticket to its resolution, now."""
    await ok(stack, tid, "accept", Role.HANDLER, {"technician": TECH})
    await ok(stack, tid, "contact", Role.TECHNICIAN, {"note": "约上门"})
    await ok(stack, tid, "appointments", Role.TECHNICIAN, window(stack, timedelta(minutes=-5)))
    await ok(stack, tid, "arrival", Role.TECHNICIAN)
    await ok(stack, tid, "resolve", Role.TECHNICIAN, {"completed_at": stack.clock.now().isoformat(), **REPLY})


async def stopped(stack: Stack, ids: list[str]) -> dict[str, tuple] | None:
    """(outcome, deadline, department) of each ticket's same-day repair timer as penalty recorded it, once every one
    has stopped (met, or a breach closed: its department is then the one the ticket was dispatched to)."""
    t = K.timers
    async with stack.runtime("penalty").engine.connect() as conn:
        rows = (await conn.execute(select(t).where(t.c.ticket_id.in_([uuid.UUID(i) for i in ids]),
                                                   t.c.rule_id == "CT-sameday-repair"))).all()
    found = {str(r.ticket_id): (r.outcome, r.deadline, r.department) for r in rows if r.actual is not None}
    return found if len(found) == len(ids) else None


async def on_time_figure(stack: Stack, month: str, dept: str) -> dict:
    r = await stack.clients["penalty"].get("/scorecards", params={"month": month, "department": dept},
                                           headers=stack.auth(Role.OPS))
    assert r.status_code == 200, r.text
    [department] = r.json()["departments"]
    return next(f for f in department["figures"] if f["kpi"] == "CT-on-time")


async def ledger(stack: Stack, tid: str) -> list[tuple]:
    r = await stack.clients["penalty"].get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.OPS))
    assert r.status_code == 200, r.text
    return sorted((e["entry_id"], e["clause"], e["kind"], e["amount_fen"], e["status"]) for e in r.json()["entries"])


async def test_an_exempt_late_ticket_is_outside_the_on_time_rate_until_a_dispute_voids_the_exemption(
        stack: Stack, tmp_path: Path) -> None:
    dept = f"exempt-{uuid.uuid4().hex[:6]}"  # a department of its own: only this test's tickets in its figure
    await directory_entry(stack, "departments", {"id": dept, "name": dept}, copies=())
    with on_time_kpi(stack, tmp_path):
        next_local(stack, 10)
        tickets = [(await new_ticket(stack, ct("fault")))["ticket_id"] for _ in range(3)]
        met_1, met_2, late = tickets
        for tid in tickets:
            await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": dept, "technician": TECH})
        for tid in (met_1, met_2):
            await work(stack, tid)  # the same morning: in time
        stack.clock.advance(timedelta(days=1, hours=15))  # past 24:00 (CT-3.1) and 22 h (TT-6): the third is late
        await work(stack, late)

        found = await eventually(lambda: stopped(stack, tickets), timeout=30)
        assert [found[t][0] for t in tickets] == ["met", "met", "late"] and {found[t][2] for t in tickets} == {dept}
        month = local_month(found[late][1], stack.runtime("penalty").config.tz)

        async def figure_with(exempt: int) -> dict | None:
            fig = await on_time_figure(stack, month, dept)
            return fig if fig["exempt"] == exempt else None

        before = await eventually(lambda: figure_with(0), timeout=30)
        assert (before["numerator"], before["denominator"], before["rate_percent"]) == (2, 3, "66.67")
        fined = await eventually(lambda: _fined(stack, late), timeout=30)

        exempted = await stack.clients["compensation"].post(
            f"/tickets/{late}/exemptions", json={"code": "force-majeure", "cause": "typhoon", "note": "台风红色预警"},
            headers=stack.auth(Role.SUPERVISOR) | {"Idempotency-Key": f"ex-{late}"})
        assert exempted.status_code == 201, exempted.text
        exempt = await eventually(lambda: figure_with(1), timeout=30)
        # 3 timers, 1 late and exempt: 2/2 = 100% (RULEBOOK §9.12)
        assert (exempt["numerator"], exempt["denominator"], exempt["rate_percent"], exempt["points"]) == (
            2, 2, "100.00", "0.00")
        assert exempt["arithmetic"] == ("2/2 = 100.00% (target ≥99.00%; 1 late, exempt left out, RULEBOOK §9.12); "
                                        "target met: 0.00")
        items = {t["ticket_id"]: t for t in exempt["tickets"]}
        assert set(items) == set(tickets) and items[met_1]["exempt"] is None and items[met_2]["exempt"] is None
        assert items[late]["ok"] is False
        assert (items[late]["exempt"]["exemption_id"], items[late]["exempt"]["code"],
                items[late]["exempt"]["cause"], items[late]["exempt"]["outcome"]) == (
            exempted.json()["exemption_id"], "force-majeure", "typhoon", "late, exempt (RULEBOOK §9.12)")
        text = (await stack.clients["penalty"].get("/scorecards", params={"month": month, "department": dept,
                                                                          "format": "csv"},
                                                   headers=stack.auth(Role.OPS))).text
        [row] = [r for r in csv.DictReader(io.StringIO(text)) if r["kpi"] == "CT-on-time"]
        assert (row["tickets_exempt"], row["tickets_not_ok"]) == (late, "")

        disputed = await stack.clients["compensation"].post(
            f"/exemptions/{exempted.json()['exemption_id']}/disputes", json={"note": "客户称当天无台风"},
            headers=stack.auth(Role.AGENT))
        assert disputed.status_code == 200, disputed.text  # no call recording: the exemption is void (CT-3.3.1)
        again = await eventually(lambda: figure_with(0), timeout=30)
        assert (again["numerator"], again["denominator"], again["rate_percent"], again["points"]) == (
            2, 3, "66.67", "-64.67")
        assert all(t["exempt"] is None for t in again["tickets"])
        # the fines resting on the breach stand throughout (§9.12: the breach stays a fact); nothing reversed
        after = await ledger(stack, late)
        assert set(fined) <= set(after) and not any(kind == "reversal" for _, _, kind, _, _ in after)


async def _fined(stack: Stack, tid: str) -> list[tuple] | None:
    """The ticket's entries once its TT-repair-22h breach is assessed (TT-9.12, RULEBOOK §9.2)."""
    found = await ledger(stack, tid)
    return found if any(clause == "TT-9.12" for _, clause, _, _, _ in found) else None
