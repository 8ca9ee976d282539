"""Issue 10: KPI scorecards from SLA outcomes and real ticket acts through the broker, frozen by closing the month;
the ledger rebuilt from penalty's journal equals the live one to the fen; a what-if under a draft policy.

The shared stack runs the default policy, which has no KPIs: these tests give the penalty service the default
plus the CS pack (its KPIs and CS-21.5) for their duration. The default's clauses are unchanged by that, so other
tests' events assess the same."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.penalty.adapters.tables import kpi as K
from services.penalty.adapters.tables import ledger
from services.penalty.service_layer import replay, whatif
from services.penalty.service_layer.config import PenaltyConfig
from shared.events.sla import SlaBreached, SlaBreachRetracted, SlaMet
from shared.http.auth import Role
from tests.integration.test_penalty_ledger import publish_sla, sla
from tests.support.lifecycle import new_ticket, ok
from tests.support.penalty import penalty_policy
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
H = timedelta(hours=1)
MONTH = "2032-07"
COMPOSITE = "pack: kpi-test\ninclude: [default, catv-service-norms]\n"


def cs_policy(stack: Stack, tmp_path: Path, extra: str = "") -> AbstractContextManager[PenaltyConfig]:
    return penalty_policy(stack, tmp_path / "kpi-test.yaml", COMPOSITE + extra)


def timer(tid: uuid.UUID, rule: str, deadline: datetime, dept: str, person: str) -> dict[str, Any]:
    return {"rule_id": rule, "ticket_id": tid, "round": 1, "department": dept, "person": person,
            "start": deadline - 24 * H, "deadline": deadline, "paused_seconds": 0, "calendar": "natural",
            "provisional": False}


def met(tid, rule, deadline, dept, person="p0"):
    return sla(SlaMet(**timer(tid, rule, deadline, dept, person), actual=deadline - H), tid, deadline - H, 1)


def breached(tid, rule, deadline, dept, person):
    return sla(SlaBreached(**timer(tid, rule, deadline, dept, person), actual=deadline + H, still_open_at=None,
                           overdue_minutes=60, overdue_hours=1, overdue_days=1), tid, deadline + H, 1)


async def applied_timers(stack: Stack, ids: list[uuid.UUID], count: int) -> int | None:
    async with stack.runtime("penalty").engine.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(K.timers)
                                .where(K.timers.c.ticket_id.in_(ids)))).scalar_one()
    return n if n >= count else None


async def card(stack: Stack, month: str, department: str, **params: str) -> dict[str, Any]:
    r = await stack.clients["penalty"].get("/scorecards", params={"month": month, "department": department, **params},
                                           headers=stack.auth(Role.FINANCE))
    assert r.status_code == 200, r.text
    return r.json()


def figure(body: dict[str, Any], kpi: str) -> dict[str, Any]:
    [dept] = body["departments"]
    return next(f for f in dept["figures"] if f["kpi"] == kpi)


async def test_on_time_and_response_figures_their_tickets_and_closing_the_month_freezes_them(
        stack: Stack, tmp_path: Path) -> None:
    dept = f"kpi-{uuid.uuid4().hex[:6]}"
    d = datetime(2032, 7, 10, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
    t = [uuid.uuid4() for _ in range(8)]
    late = breached(t[2], "CS-complete-24h", d, dept, "p1")
    retracted_breach = breached(t[3], "CS-complete-24h", d, dept, "p2")
    retraction = sla(SlaBreachRetracted(**timer(t[3], "CS-complete-24h", d, dept, "p2"),
                                        breach_event_id=retracted_breach.event_id, actual=d - H), t[3], d, 2)
    events = [
        met(t[0], "CS-complete-24h", d, dept), met(t[1], "CS-complete-24h", d, dept), late, retracted_breach,
        retraction, met(t[4], "CS-vip-fault-6h", d, dept),
        # 1 August 00:30 local: August's, not July's (§9.11: the month the deadline falls in)
        breached(t[5], "CS-complete-24h", datetime(2032, 7, 31, 16, 30, tzinfo=UTC), dept, "p1"),
        met(t[6], "CS-response-30m", d, dept), breached(t[7], "CS-response-30m", d, dept, "p3"),
    ]
    with cs_policy(stack, tmp_path):
        await publish_sla(stack, *events, late)  # one delivered twice
        await eventually(lambda: applied_timers(stack, t, 8), timeout=30)

        body = await card(stack, MONTH, dept)
        assert body["frozen"] is False and body["not_measured"] == []  # calls, faults and devices are measured
        on_time = figure(body, "CS-on-time")  # 4 of 5 rounds on time (the retracted breach is on time): 80%
        assert (on_time["numerator"], on_time["denominator"], on_time["rate_percent"], on_time["target_percent"],
                on_time["points"]) == (4, 5, "80.00", "99.00", "-38.00")
        assert on_time["arithmetic"] == "4/5 = 80.00% (target ≥99.00%); 19.00 points short × 2 = -38.00"
        assert sorted(x["ticket_id"] for x in on_time["tickets"]) == sorted(str(x) for x in t[:5])
        assert [x["ticket_id"] for x in on_time["tickets"] if not x["ok"]] == [str(t[2])]
        assert on_time["money"]["by_person"] == [{"person": "p1", "fen": 5000}]
        response = figure(body, "CS-response-30m")
        assert (response["numerator"], response["denominator"], response["points"]) == (1, 2, "-10.00")
        august = figure(await card(stack, "2032-08", dept), "CS-on-time")
        assert (august["numerator"], august["denominator"]) == (0, 1)

        csv = await stack.clients["penalty"].get("/scorecards", params={"month": MONTH, "department": dept,
                                                                        "format": "csv"},
                                                 headers=stack.auth(Role.OPS))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert f"{MONTH},{dept},CS-on-time,ticket on-time rate,4,5,80.00,99.00,at-least,-38.00" in csv.text

        # the ledger charged CS-21.5 to the person for the late ticket; the retracted one is reversed
        proposed = (await stack.clients["penalty"].get("/penalties", params={"month": MONTH, "status": "proposed"},
                                                       headers=stack.auth(Role.OPS))).json()["items"]
        mine = [e for e in proposed if e["ticket_id"] in {str(x) for x in t}]
        assert sorted((e["ticket_id"] == str(t[2]), e["amount_fen"]) for e in mine) == [
            (False, -5000), (False, 5000), (True, 5000)]
        for e in proposed:
            r = await stack.clients["penalty"].post(f"/penalties/{e['entry_id']}/review", json={"action": "confirm"},
                                                    headers=stack.auth(Role.OPS))
            assert r.status_code == 200, r.text
        closed = await stack.clients["penalty"].post(f"/penalty-months/{MONTH}/close", json={},
                                                     headers=stack.auth(Role.OPS))
        assert closed.status_code == 200, closed.text

        extra = uuid.uuid4()  # a late-arriving outcome of July: the frozen scorecard does not move
        await publish_sla(stack, met(extra, "CS-complete-24h", d, dept))
        await eventually(lambda: applied_timers(stack, [extra], 1), timeout=30)
        frozen = await card(stack, MONTH, dept)
        assert frozen["frozen"] is True and frozen["frozen_at"]
        assert (figure(frozen, "CS-on-time")["numerator"], figure(frozen, "CS-on-time")["denominator"]) == (4, 5)


async def test_call_centre_and_ticket_kpis_from_real_acts(stack: Stack, tmp_path: Path) -> None:
    dept = "kpi-dept"  # in the test directory (tests/support/directory.py), used by this test only
    month = (stack.clock.now() + timedelta(hours=8)).strftime("%Y-%m")
    with cs_policy(stack, tmp_path):
        a = (await new_ticket(stack, fault_report(segment="vip", product="two-way")))["ticket_id"]
        await ok(stack, a, "dispatch", Role.DISPATCHER, {"department": "kpi-wrong"})
        await ok(stack, a, "redispatch", Role.DISPATCHER, {"department": dept, "reason": "wrong-department"})
        await ok(stack, a, "accept", Role.HANDLER, {"technician": "kpi-tech"})
        await ok(stack, a, "contact", Role.TECHNICIAN, {"note": "已联系"})
        await ok(stack, a, "resolve", Role.TECHNICIAN, {"completed_at": stack.clock.now().isoformat(),
                                                        "cause": "光猫故障", "result": "更换光猫, 已恢复"})
        await ok(stack, a, "callbacks", Role.AGENT, {"reached": True, "work_done": True, "feedback_form_signed": True,
                                                     "done_at": stack.clock.now().isoformat(), "satisfied": True,
                                                     "satisfaction_score": 5})
        await ok(stack, a, "churn", Role.AGENT, {"caused_by_complaint": False})

        b = (await new_ticket(stack, fault_report(product="two-way")))["ticket_id"]
        await ok(stack, b, "dispatch", Role.DISPATCHER, {"department": dept})
        await ok(stack, b, "accept", Role.HANDLER, {"technician": "kpi-tech"})
        await ok(stack, b, "contact", Role.TECHNICIAN, {"note": "已联系"})
        await ok(stack, b, "resolve", Role.TECHNICIAN, {"completed_at": stack.clock.now().isoformat(),
                                                        "cause": "线路故障", "result": "已修复"})
        reopened = await ok(stack, b, "callbacks", Role.AGENT, {"reached": True, "work_done": True,
                                                                "done_at": stack.clock.now().isoformat(),
                                                                "feedback_form_signed": True, "satisfied": False,
                                                                "satisfaction_score": 2})
        assert [e["type"] for e in reopened["events"]] == ["CallbackDone", "TicketReopened"]

        async def seen() -> dict | None:
            body = await card(stack, month, dept)
            if not body["departments"]:
                return None
            figs = {f["kpi"]: f for f in body["departments"][0]["figures"]}
            ftf = figs.get("CS-ftf-two-way")
            return figs if ftf and ftf["denominator"] == 2 and ftf["numerator"] == 1 and "CS-vip-churn" in figs else None

        figs = await eventually(seen, timeout=30)
        assert [x["ticket_id"] for x in figs["CS-ftf-two-way"]["tickets"] if x["ok"]] == [a]
        [repeat] = next(x for x in figs["CS-ftf-two-way"]["tickets"] if not x["ok"])["repeats"]
        assert repeat["type"] == "TicketReopened"
        churn = figs["CS-vip-churn"]
        assert (churn["numerator"], churn["denominator"], churn["rate_percent"], churn["points"]) == (
            1, 1, "100.00", None)

        cs = (await card(stack, month, "customer-service"))["departments"][0]["figures"]
        by = {f["kpi"]: {(x["ticket_id"], x["ok"]) for x in f["tickets"]} for f in cs}
        assert {(a, True), (b, False)} <= by["CS-satisfaction"]
        assert {(a, True), (b, True)} <= by["CS-effective-callback"]  # reached, every question asked
        assert {(a, False), (a, True), (b, True)} <= by["CS-dispatch-accuracy"]  # the first dispatch was wrong


async def test_a_burst_of_breaches_is_assessed_as_one_by_one(stack: Stack, tmp_path: Path) -> None:
    """Consecutive SlaBreached go through the consumer as a run, applied in a few statements: same entries."""
    d = datetime(2032, 9, 3, 2, 0, tzinfo=UTC)
    ids = [uuid.uuid4() for _ in range(30)]
    burst = []
    for i, tid in enumerate(ids):
        minutes = 30 + 37 * i
        burst.append(sla(SlaBreached(**timer(tid, "TT-repair-22h", d, "burst-dept", f"tech-{i % 3}"),
                                     actual=d + timedelta(minutes=minutes), still_open_at=None,
                                     overdue_minutes=minutes, overdue_hours=-(-minutes // 60), overdue_days=1),
                         tid, d, 1))
    with cs_policy(stack, tmp_path):
        await publish_sla(stack, *burst)
        await eventually(lambda: applied_timers(stack, ids, 30), timeout=30)

        async def all_entries() -> list[dict] | None:
            r = await stack.clients["penalty"].get("/penalties", params={"month": "2032-09", "limit": 1000},
                                                   headers=stack.auth(Role.OPS))
            items = [e for e in r.json()["items"] if e["ticket_id"] in {str(x) for x in ids}]
            return items if len(items) == 60 else None

        found = await eventually(all_entries, timeout=30)
    by = {(e["ticket_id"], e["clause"]): e["amount_fen"] for e in found}
    for i, tid in enumerate(ids):
        assert by[(str(tid), "TT-9.12")] == -(-(30 + 37 * i) // 60) * 800
        assert by[(str(tid), "TT-9.3")] == 3000


async def test_replay_rebuilds_the_live_ledger_to_the_fen_and_what_if_leaves_it_untouched(
        stack: Stack, tmp_path: Path) -> None:
    rt = stack.runtime("penalty")
    with cs_policy(stack, tmp_path) as cfg:
        result = await replay.replay_penalty(rt.engine, stack.settings.database_url, cfg, keep=False)
        assert result["equal"], result
        assert result["live"] == result["rebuilt"] and result["live"]["entries"] > 0
        assert result["applied"]["events"] > 0 and result["applied"]["month-closed"] >= 1

        async with rt.engine.connect() as conn:
            before = (await conn.execute(select(func.count(), func.sum(ledger.entries.c.amount_fen)))).one()
        draft = tmp_path / "draft.yaml"
        draft.write_text(COMPOSITE + "penalties:\n  overrides:\n    CS-21.5: {amount: {fen: 8000}}\n", encoding="utf-8")
        r = await stack.clients["penalty"].post("/penalty-what-if", json={"month": MONTH, "policy": draft.read_text()},
                                                headers=stack.auth(Role.OPS))
        assert r.status_code == 200, r.text
        rows = {(x["payer_id"], x["clause"]): x for x in r.json()["by_department_and_clause"]}
        p1 = rows[("p1", "CS-21.5")]
        assert (p1["current_fen"], p1["draft_fen"], p1["difference_fen"]) == (5000, 8000, 3000)
        p2 = rows[("p2", "CS-21.5")]  # assessed and reversed on both sides
        assert (p2["current_fen"], p2["draft_fen"], p2["draft_entries"]) == (0, 0, 2)
        assert r.json()["difference_fen"] == 3000

        direct = await whatif.what_if(rt.engine, stack.settings.database_url, whatif.draft_config(draft, cfg.tz), MONTH)
        assert direct["difference_fen"] == 3000
        async with rt.engine.connect() as conn:
            after = (await conn.execute(select(func.count(), func.sum(ledger.entries.c.amount_fen)))).one()
        assert tuple(after) == tuple(before)

        bad = await stack.clients["penalty"].post("/penalty-what-if", json={"month": MONTH, "policy": "pack: x\n"
                                                  "penalties: {kpis: {K: {measure: nope}}}\n"},
                                                  headers=stack.auth(Role.OPS))
        assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "policy"
        path = await stack.clients["penalty"].post("/penalty-what-if", json={"month": MONTH, "policy": "pack: x\n"
                                                   "include: [/etc/passwd]\n"}, headers=stack.auth(Role.OPS))
        assert path.status_code == 422 and "shipped packs by id only" in path.text  # no file of the server is read
        assert (await stack.clients["penalty"].post("/penalty-what-if", json={"month": MONTH, "policy": "pack: x"},
                                                    headers=stack.auth(Role.FINANCE))).status_code == 403


async def test_the_cli_replays_and_runs_a_what_if_against_the_same_server(stack: Stack, tmp_path: Path) -> None:
    import asyncio

    from typer.testing import CliRunner

    from services.cli import app as cli

    with cs_policy(stack, tmp_path) as cfg:
        env = {"DATABASE_URL": stack.settings.database_url}
        runner = CliRunner()
        replayed = await asyncio.to_thread(runner.invoke, cli, ["replay", "penalty", "--no-keep", "--policy",
                                                                str(cfg.path)], env=env)
        assert replayed.exit_code == 0, replayed.output
        assert "equal: every entry, amount, payer, month and status" in replayed.output
        draft = tmp_path / "draft.yaml"
        draft.write_text(COMPOSITE + "penalties:\n  overrides:\n    CS-21.5: {amount: {fen: 8000}}\n", encoding="utf-8")
        out = await asyncio.to_thread(runner.invoke, cli, ["penalty", "what-if", "--policy", str(draft), "--month",
                                                           MONTH], env=env)
        assert out.exit_code == 0, out.output
        assert "difference +3,000 fen" in out.output and "person:p1  CS-21.5" in out.output


NOV = "2025-11"  # a month no other test writes to: admin backdates into it (policy field_time: admin 3650 d)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 11, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


async def test_calls_per_agent_and_the_network_figures_from_calls_and_faults_posted_to_the_apis(
        stack: Stack, tmp_path: Path) -> None:
    """RULEBOOK §5.3 through the real broker: the IVR posts calls to intake (CallHandled on gongdan.calls), the NMS
    reports faults to dispatch (NetworkFault* on gongdan.tickets); penalty's scorecards count them."""
    tag = uuid.uuid4().hex[:6]
    dept, a1, a2 = f"kpi-net-{tag}", f"ag-{tag}-1", f"ag-{tag}-2"
    admin = stack.auth(Role.ADMIN)  # backdates into November (policy field_time: admin 3650 d)
    intake, dispatch = stack.clients["intake"], stack.clients["dispatch"]
    made = await dispatch.post("/directory/departments", json={"id": dept, "name": dept}, headers=admin)
    assert made.status_code == 201, made.text

    async def report(layer: str, at: datetime, device: str | None = None) -> str:
        body = {"layer": layer, "description": f"{layer} 告警", "department": dept, "occurred_at": at.isoformat()}
        r = await dispatch.post("/network-faults", json=body | ({"device_id": device} if device else {}),
                                headers=admin)
        assert r.status_code == 201, r.text
        return r.json()["fault_id"]

    async def fix(fault_id: str, at: datetime) -> None:
        r = await dispatch.post(f"/network-faults/{fault_id}/fix", json={"occurred_at": at.isoformat()},
                                headers=admin)
        assert r.status_code == 200, r.text

    async def call(call_id: str, agent: str, start: datetime, minutes: int = 4, **more: Any) -> Any:
        body = {"call_id": call_id, "agent": agent, "started_at": start.isoformat(),
                "ended_at": (start + timedelta(minutes=minutes)).isoformat(), **more}
        return await intake.post("/calls", json=body, headers=admin)

    with cs_policy(stack, tmp_path, f"penalties:\n  kpis:\n    CS-device-fault-rate: "
                                    f"{{managed_devices: {{{dept}: 400}}}}\n"):
        egress = [await report("egress", nov(3 + i, 9)) for i in range(4)]  # 4: one over 3 (−5)
        agg = [await report("aggregation", nov(d, 10), "agg-1") for d in (5, 12, 19)]  # 1 + 2 + 4
        agg.append(await report("aggregation", nov(6, 10), "agg-2"))  # + 1 = 8 of 400 managed
        core = await report("core", nov(20, 10))
        await fix(core, nov(20, 12))  # 2 h down
        backbone = await report("backbone", nov(30, 22))  # still open: 2 h to the month's end

        ticket = await new_ticket(stack, fault_report(occurred_at=nov(7, 9, 1).isoformat()), role=Role.ADMIN)
        for i, start in enumerate((nov(3, 9), nov(4, 9), nov(30, 23, 58))):  # the last ends on 1 December
            assert (await call(f"acd-{tag}-1{i}", a1, start)).status_code == 201
        assert (await call(f"acd-{tag}-20", a2, nov(7, 9), ticket_number=ticket["number"])).status_code == 201
        assert (await call(f"acd-{tag}-21", a2, nov(8, 9))).status_code == 201
        again = await call(f"acd-{tag}-10", a1, nov(3, 9))  # the ACD posts the same call again
        assert again.status_code == 200 and again.json()["agent"] == a1
        # December's call: not November's
        assert (await call(f"acd-{tag}-dec", a1, datetime(2025, 12, 1, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
                ).status_code == 201

        async def figures() -> dict[str, dict[str, Any]] | None:
            mine = (await card(stack, NOV, dept))["departments"]
            cs = (await card(stack, NOV, "customer-service"))["departments"]
            figs = {f["kpi"]: f for d in mine + cs for f in d["figures"]}
            wanted = {"CS-egress-faults": 4, "CS-device-fault-rate": 8, "CS-calls-per-agent": 5}
            done = all(figs.get(k, {}).get("numerator") == n for k, n in wanted.items())
            return figs if done and {"CS-core-reliability", "CS-backbone-reliability"} <= set(figs) else None

        figs = await eventually(figures, timeout=60)
        csv = await stack.clients["penalty"].get("/scorecards", headers=stack.auth(Role.OPS), params={
            "month": NOV, "department": "customer-service", "format": "csv"})

    e = figs["CS-egress-faults"]
    assert (e["department"], e["numerator"], e["denominator"], e["value"], e["target"], e["unit"], e["points"],
            e["deduction"]) == (dept, 4, 1, "4.00", "3", "faults a month", "95.00", "-5.00")
    assert sorted(x["ticket_id"] for x in e["tickets"]) == sorted(egress)

    d = figs["CS-device-fault-rate"]
    assert (d["numerator"], d["denominator"], d["rate_percent"], d["target_percent"], d["direction"]) == (
        8, 400, "2.00", "1.00", "at-most")
    assert [(x["fault_id"], x["device_id"], x["counts"]) for x in d["tickets"]] == [
        (agg[0], "agg-1", 1), (agg[3], "agg-2", 1), (agg[1], "agg-1", 2), (agg[2], "agg-1", 4)]

    for kpi, fault, is_open in (("CS-core-reliability", core, False), ("CS-backbone-reliability", backbone, True)):
        r = figs[kpi]  # 1 − 7,200 s / (8,760 h = 31,536,000 s) = 99.977%
        assert (r["numerator"], r["denominator"], r["downtime_seconds"], r["rate_percent"]) == (
            31_528_800, 31_536_000, 7200, "99.98"), kpi
        [item] = r["tickets"]
        assert (item["fault_id"], item["open"], item["downtime_seconds"]) == (fault, is_open, 7200)

    c = figs["CS-calls-per-agent"]  # 5 calls / 2 agents = 2.50 a month: below 1,500, zero
    assert (c["department"], c["numerator"], c["denominator"], c["value"], c["target"], c["points"],
            c["deduction"]) == ("customer-service", 5, 2, "2.50", "2200", "0.00", "-100.00")
    assert [(x["agent"], x["calls"], x["with_ticket"], x["ok"], x["points"]) for x in c["tickets"]] == [
        (a1, 3, 0, False, "0.00"), (a2, 2, 1, False, "0.00")]

    [row] = [line for line in csv.text.splitlines() if ",CS-calls-per-agent," in line]
    assert row.startswith(f"{NOV},customer-service,CS-calls-per-agent,calls per agent-month,5,2,,,at-least,0.00,")
    assert row.endswith(f"{a1} {a2},{a1} {a2},2.50,2200,calls per agent,")  # no tickets_exempt: not on-time


async def test_the_ivr_posts_each_call_once_and_bad_calls_are_refused_naming_the_field(stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    intake, ivr = stack.clients["intake"], stack.auth(Role.IVR)
    now = stack.clock.now()
    body = {"call_id": f"acd-{tag}", "agent": "agent-07", "started_at": (now - timedelta(minutes=5)).isoformat(),
            "ended_at": (now - timedelta(minutes=1)).isoformat()}
    first = await intake.post("/calls", json=body, headers=ivr | {"Idempotency-Key": f"k-{tag}"})
    assert first.status_code == 201, first.text
    recorded = first.json()
    assert recorded["stream_id"] == str(uuid.uuid5(uuid.UUID("5d0c4a57-8c3e-5b1e-9a61-63616c6c7321"), f"acd-{tag}"))
    assert (recorded["duration_seconds"], recorded["ticket_id"], recorded["reported_by"]) == (240, None, "test-ivr")
    replay = await intake.post("/calls", json=body, headers=ivr | {"Idempotency-Key": f"k-{tag}"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == recorded
    repost = await intake.post("/calls", json=body, headers=ivr)  # a retry without the key: the call id decides
    assert repost.status_code == 200 and repost.json()["event_id"] == recorded["event_id"]
    read = await intake.get(f"/calls/acd-{tag}", headers=stack.auth(Role.AGENT))
    assert read.status_code == 200 and read.json() == recorded

    other = await intake.post("/calls", json=body | {"agent": "agent-08"}, headers=ivr)
    assert other.status_code == 409, other.text
    assert other.json()["error"]["differs"] == ["agent"] and other.json()["error"]["current_state"] == "recorded"

    async def refused(changes: dict[str, Any]) -> dict[str, str]:
        r = await intake.post("/calls", json=body | {"call_id": f"acd-{tag}-x"} | changes, headers=ivr)
        assert r.status_code == 422, r.text
        return {f["field"]: f["rule"] for f in r.json()["error"]["fields"]}

    late = {"started_at": (now - timedelta(hours=2)).isoformat(), "ended_at": (now - timedelta(hours=1)).isoformat()}
    assert await refused(late) == {"ended_at": "field-time"}  # the IVR may report 15 min after (policy)
    assert await refused({"ended_at": body["started_at"], "started_at": body["ended_at"]}) == {
        "ended_at": "call_times"}
    assert await refused({"ticket_number": "2019-KF-999999"}) == {"ticket_number": "ticket_reference"}
    assert await refused({"agent": "a\u0000b"}) == {"agent": "control_characters"}
    assert await refused({"started_at": "2026-03-02T09:00:00"}) == {"started_at": "timezone_aware"}
    assert (await intake.get(f"/calls/acd-{tag}-x", headers=stack.auth(Role.AGENT))).status_code == 404
    assert (await intake.post("/calls", json=body, headers=stack.auth(Role.AGENT))).status_code == 403


async def test_a_fault_report_keeps_its_device_in_dispatchs_timeline(stack: Stack) -> None:
    r = await stack.clients["dispatch"].post("/network-faults", json={
        "layer": "aggregation", "description": "汇聚交换机离线", "department": "network-ops",
        "device_id": "agg-sw-07"}, headers=stack.auth(Role.NMS))
    assert r.status_code == 201, r.text
    view = await stack.clients["dispatch"].get(f"/network-faults/{r.json()['fault_id']}",
                                               headers=stack.auth(Role.DISPATCHER))
    assert view.json()["timeline"][0]["payload"]["device_id"] == "agg-sw-07"
    bad = await stack.clients["dispatch"].post("/network-faults", json={
        "layer": "aggregation", "description": "x", "device_id": "x" * 201}, headers=stack.auth(Role.NMS))
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "device_id"
