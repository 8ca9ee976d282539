"""Issue 10, "a scripted month across packs gives the exact expected ledger": six tickets worked through the real
HTTP APIs (intake, dispatch) over four days of one month on the stack's clock, their lifecycle events through the
real broker to the SLA monitors and the penalty services, and the whole ledger of those tickets compared to the fen
(clause, kind, payer, person, amount, month) with amounts computed by hand below from the RULEBOOK, under two packs:

- Tietong (TT, the stack's default policy): TT-9.12 per started hour with the customer pause subtracted and the
  late close's adjustment, TT-9.3 with and without a DelayReported, TT-9.2 and its reversal by a retraction
  (backdated contact), TT-8.3 and TT-8.13 as one fine per act listing the missing items, TT-9bis escalation
  complaints (the highest single item, the ministry tier "first 1,000, each further 2,000" per department and
  year, the second complaint doubled, the VIP item doubled after churn) and TT-9bis.14 (+200).
- Nanjing cable (NJ, tests/support/pack_instances.py: its own monitor and penalty on nanjing-catv.yaml):
  NJ-4.3.2b per started day (pause subtracted) with the late close's adjustment, NJ-4.3.2d for a late CAPA.

The clock is shared by the session and only moves forward: the script starts at 09:00 local on the first day of
the month after the clock's, so every cause falls in that one month (RULEBOOK §9.15) whatever day the session is at.
S below is that instant; "S+2h45m" is local 11:45 on day 1, "S+25h15m" is 10:15 on day 2.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.http.auth import Role
from tests.integration.test_directory import created
from tests.support.all_packs import Monitor
from tests.support.lifecycle import new_ticket, ok
from tests.support.pack_instances import pack_pair
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
M, H = timedelta(minutes=1), timedelta(hours=1)
D = timedelta(days=1)
WAIT = 60  # seconds: the pack pair's consumers join their groups during the first waits
Row = tuple[str, str, str, str | None, str | None, int, str]  # clause, kind, payer kind, payer id, person, fen, month


def month_start(stack: Stack) -> datetime:
    """09:00 local on the first day of the month after the clock's."""
    local = stack.clock.now().astimezone(SHANGHAI)
    return (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=9, minute=0, second=0, microsecond=0)


def move_to(stack: Stack, when: datetime) -> None:
    assert when >= stack.clock.now(), "the session's clock only moves forward"
    stack.clock.set(when)


async def ledger(client: httpx.AsyncClient, stack: Stack, tid: str) -> list[dict[str, Any]]:
    r = await client.get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.OPS))
    return r.json()["entries"] if r.status_code == 200 else []


async def ledger_has(client: httpx.AsyncClient, stack: Stack, tid: str, clause: str, count: int = 1) -> list[dict]:
    """Wait until the ticket has `count` entries of `clause`; all its entries."""
    async def check() -> list[dict] | None:
        found = await ledger(client, stack, tid)
        return found if sum(e["clause"] == clause for e in found) >= count else None

    return await eventually(check, timeout=WAIT)


async def timer_in(monitor: Monitor, tid: str, rule: str, state: str, deadline: datetime | None = None) -> dict:
    """Wait until the monitor's timer of `rule` is in `state` (and has `deadline`)."""
    async def check() -> dict | None:
        t = await monitor.timer(tid, rule)
        if t is None or t["state"] != state:
            return None
        return t if deadline is None or datetime.fromisoformat(t["deadline"]) == deadline else None

    return await eventually(check, timeout=WAIT)


async def penalty_saw(stack: Stack, tid: str, event_type: str) -> None:
    async def check() -> bool:
        r = await stack.clients["penalty"].get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.OPS))
        return r.status_code == 200 and any(e["type"] == event_type for e in r.json()["events"])

    await eventually(check, timeout=WAIT)


def rows(entries: list[dict[str, Any]]) -> list[Row]:
    return sorted((e["clause"], e["kind"], e["payer"]["kind"], e["payer"]["id"], e["person"], e["amount_fen"],
                   e["month"]) for e in entries)


def one(entries: list[dict[str, Any]], clause: str, kind: str) -> dict[str, Any]:
    [entry] = [e for e in entries if e["clause"] == clause and e["kind"] == kind]
    return entry


async def test_a_scripted_month_gives_the_exact_ledger_under_two_packs(stack: Stack) -> None:
    u = uuid.uuid4().hex[:6]
    dept, other, tech = f"month-{u}", f"month-sup-{u}", f"month-tech-{u}"  # fresh: tiers count from 0 (§9.7)
    await created(stack, "/directory/departments", {"id": dept, "name": "江汉装维"})
    await created(stack, "/directory/departments", {"id": other, "name": "监督部"})
    await created(stack, "/directory/people", {"id": tech, "name": "王伟", "role": "technician", "department": dept})
    tt = Monitor(stack.clients["sla_monitor"], stack)
    tt_ledger = stack.clients["penalty"]

    async with pack_pair(stack, "nanjing-catv") as nj:
        S = month_start(stack)
        month = S.strftime("%Y-%m")
        move_to(stack, S)
        work = {"department": dept, "technician": tech}
        ids: dict[str, str] = {}
        for name, body in (("A", fault_report()), ("B", fault_report()), ("E", fault_report()), ("F", fault_report()),
                           ("C1", fault_report(kind="complaint", segment="vip")),
                           ("C2", fault_report(kind="complaint"))):
            tid = ids[name] = (await new_ticket(stack, body))["ticket_id"]
            await ok(stack, tid, "dispatch", Role.DISPATCHER, work)
            await ok(stack, tid, "accept", Role.HANDLER, {"technician": tech})
            if name not in ("B", "E"):  # B and E: nobody calls the customer within 30 min (TT-9.2)
                await ok(stack, tid, "contact", Role.TECHNICIAN, {"note": "已联系"})
        A, B, E, F, C1, C2 = (ids[n] for n in ("A", "B", "E", "F", "C1", "C2"))
        for tid in (A, F, C1, C2):
            await timer_in(tt, tid, "TT-contact-30m", "met")
        for tid in (A, B, E, F):  # NJ-4.3.2b limit (RULEBOOK §9.10): 24 h from dispatch
            await timer_in(nj.monitor, tid, "NJ-limit-24h", "running", S + 24 * H)
        for tid in (C1, C2):  # NJ-4.2.2: CAPA record within 3 days
            await timer_in(nj.monitor, tid, "NJ-capa-3d", "running", S + 3 * D)

        # S+35m: TT-contact-30m of B and E breached (deadline S+30m, + 2 min grace) -> TT-9.2 on each.
        move_to(stack, S + 35 * M)
        await ledger_has(tt_ledger, stack, B, "TT-9.2")
        await ledger_has(tt_ledger, stack, E, "TT-9.2")
        # E's technician records the contact made at S+25m (backdated): in time, so the breach is retracted and
        # TT-9.2 reversed by its own entry; B's contact now is late for good.
        await ok(stack, E, "contact", Role.TECHNICIAN, {"occurred_at": (S + 25 * M).isoformat()})
        await ok(stack, B, "contact", Role.TECHNICIAN, {})
        await ledger_has(tt_ledger, stack, E, "TT-9.2", 2)
        await timer_in(tt, B, "TT-contact-30m", "late")

        reply = {"cause": "光猫故障", "result": "更换光猫后恢复", "delay_reason": "等待备件"}
        callback = {"reached": True, "work_done": True, "feedback_form_signed": True, "satisfied": True,
                    "delay_reason_verified": True}
        move_to(stack, S + 1 * H)  # 10:00 local
        await ok(stack, E, "resolve", Role.TECHNICIAN, {"completed_at": (S + 1 * H).isoformat(), **reply})
        complaint = {"description": "投诉到工信部", "responsible_department": dept}
        await ok(stack, C1, "escalation-complaints", Role.AGENT, {"level": "ministry", **complaint})
        await ledger_has(tt_ledger, stack, C1, "TT-9bis.8")  # counted first for `dept` before C2's (§9.7 tiers)
        move_to(stack, S + 70 * M)  # TT-callback-1h of E: resolved 10:00, due 11:00 (window 09:00-12:00)
        await ok(stack, E, "callbacks", Role.AGENT, {**callback, "done_at": (S + 1 * H).isoformat()})
        await timer_in(tt, E, "TT-callback-1h", "met")  # seen by the monitor before the clock passes 11:02

        move_to(stack, S + 2 * H)  # 11:00
        await ok(stack, A, "pause", Role.TECHNICIAN, {"reason": "customer-not-home"})
        # B's reply: a result only — no restore time, no cause (TT-8.3)
        await ok(stack, B, "resolve", Role.TECHNICIAN, {"result": "已恢复"})
        move_to(stack, S + 150 * M)  # 11:30: B's callback in time, two questions not asked (TT-8.13)
        await ok(stack, B, "callbacks", Role.AGENT, {"reached": True, "work_done": True,
                                                     "done_at": (S + 2 * H).isoformat(),
                                                     "delay_reason_verified": True})
        await timer_in(tt, B, "TT-callback-1h", "met")
        move_to(stack, S + 165 * M)  # 11:45: the customer is back after 45 min
        await ok(stack, A, "resume", Role.TECHNICIAN, {})
        # the pause before the deadline moves it: TT-repair-22h to S+22h45m, NJ-limit-24h to S+24h45m (§4 Pause)
        await timer_in(tt, A, "TT-repair-22h", "running", S + 22 * H + 45 * M)
        await timer_in(nj.monitor, A, "NJ-limit-24h", "running", S + 24 * H + 45 * M)

        move_to(stack, S + 4 * H)  # C1's second escalation complaint, to city 12315
        await ok(stack, C1, "escalation-complaints", Role.AGENT, {"level": "city-12315", **complaint,
                                                                   "description": "再次投诉到12315"})
        await ledger_has(tt_ledger, stack, C1, "TT-9bis.12")
        move_to(stack, S + 5 * H)  # C2: to the ministry, with a threat (TT-9bis.11 competes), answered in time
        await ok(stack, C2, "escalation-complaints", Role.AGENT, {"level": "ministry", "conduct_violation": True,
                                                                   **complaint})
        await ledger_has(tt_ledger, stack, C2, "TT-9bis.8")
        await ok(stack, C2, "escalation-complaints/answers", Role.AGENT, {"answer": "已向工信部说明"})
        move_to(stack, S + 6 * H)  # the VIP customer of C1 leaves because of the complaint
        await ok(stack, C1, "churn", Role.AGENT, {"caused_by_complaint": True})
        await ledger_has(tt_ledger, stack, C1, "TT-9bis.12", 2)

        move_to(stack, S + 20 * H)  # 05:00 day 2: F's delay reported before its deadline (TT-9.3 waived)
        await ok(stack, F, "delay-reports", Role.TECHNICIAN, {"supervising_department": other, "reason": "缺备件"})
        await ok(stack, C2, "corrective-actions", Role.HANDLER, {"corrective": "复核", "preventive": "培训"})
        await penalty_saw(stack, F, "DelayReported")  # seen before the breach (another topic) is applied
        for tid in (B, E):
            await timer_in(tt, tid, "TT-repair-22h", "met")
            await timer_in(nj.monitor, tid, "NJ-limit-24h", "met")
        await timer_in(tt, C2, "TT-escalation-24h", "met")
        await timer_in(nj.monitor, C2, "NJ-capa-3d", "met")

        move_to(stack, S + 22 * H + 55 * M)  # A (due S+22h45m) 10 min late, F (due S+22h) 55 min late, both open
        await ledger_has(tt_ledger, stack, A, "TT-9.3")
        await ledger_has(tt_ledger, stack, A, "TT-9.12")
        await ledger_has(tt_ledger, stack, F, "TT-9.12")

        move_to(stack, S + 25 * H + 15 * M)  # 10:15 day 2: C1's first complaint unanswered for 24 h (TT-9bis.14)
        await ledger_has(tt_ledger, stack, C1, "TT-9bis.14")
        await ledger_has(nj.penalty, stack, A, "NJ-4.3.2b")  # NJ limits passed: F at S+24h, A at S+24h45m
        await ledger_has(nj.penalty, stack, F, "NJ-4.3.2b")
        await ok(stack, A, "resolve", Role.TECHNICIAN, {"completed_at": (S + 25 * H + 15 * M).isoformat(), **reply})
        await ledger_has(tt_ledger, stack, A, "TT-9.12", 2)  # the late close's adjustment
        await timer_in(nj.monitor, A, "NJ-limit-24h", "late")
        move_to(stack, S + 25 * H + 30 * M)  # 10:30: A's callback within the hour; C1's complaint answered late
        await ok(stack, A, "callbacks", Role.AGENT, {**callback, "done_at": (S + 25 * H + 15 * M).isoformat()})
        await ok(stack, C1, "escalation-complaints/answers", Role.AGENT, {"answer": "已答复客户"})
        await timer_in(tt, A, "TT-callback-1h", "met")
        await timer_in(tt, C1, "TT-escalation-24h", "late")

        move_to(stack, S + 3 * D + 5 * H)  # 14:00 day 4: C1's CAPA 5 h late (NJ-4.3.2d); F finally repaired
        await ledger_has(nj.penalty, stack, C1, "NJ-4.3.2d")
        await ok(stack, C1, "corrective-actions", Role.HANDLER, {"corrective": "整改", "preventive": "回访制度"})
        await ok(stack, F, "resolve", Role.TECHNICIAN, {"completed_at": (S + 3 * D + 5 * H).isoformat(), **reply})
        await ledger_has(tt_ledger, stack, F, "TT-9.12", 2)
        await ledger_has(nj.penalty, stack, F, "NJ-4.3.2b", 2)
        await timer_in(nj.monitor, C1, "NJ-capa-3d", "late")
        move_to(stack, S + 3 * D + 5 * H + 10 * M)  # 14:10: F's callback (window opens 14:30, due 15:30)
        await ok(stack, F, "callbacks", Role.AGENT, {**callback, "done_at": (S + 3 * D + 5 * H).isoformat()})
        await timer_in(tt, F, "TT-callback-1h", "met")

        tt_entries = {n: await ledger(tt_ledger, stack, t) for n, t in ids.items()}
        nj_entries = {n: await ledger(nj.penalty, stack, t) for n, t in ids.items()}

    dep = ("department", dept, tech)
    cs = ("department", "customer-service", "test-agent")  # RULEBOOK §9.3: callback clauses charge the platform
    expected_tt: dict[str, list[tuple]] = {
        # A: repair due S+22h (TT-6) + 45 min customer pause before it = S+22h45m. Breach seen open at S+22h55m:
        # 10 min late = 1 started hour × 800 = 800 (TT-9.12, §9.2). Resolved S+25h15m: 2 h 30 min late = 3
        # started hours = 2,400, so the close adds (3 − 1) × 800 = 1,600. No DelayReported before the deadline:
        # TT-9.3 3,000 (§9.5). Reply complete, callback within the hour: nothing else.
        "A": [("TT-9.12", "assessment", *dep, 800), ("TT-9.12", "adjustment", *dep, 1600),
              ("TT-9.3", "assessment", *dep, 3000)],
        # B: contact at S+35m, due S+30m: TT-9.2 20 yuan = 2,000 (§9.4). Reply without restore time, cause and
        # result: one TT-8.3 fine of 2,000 listing both (§9.6). Callback without the form and satisfaction
        # questions: one TT-8.13 fine of 3,000 on the customer-service platform, naming the agent (§9.3, §9.6).
        "B": [("TT-8.13", "assessment", *cs, 3000), ("TT-8.3", "assessment", *dep, 2000),
              ("TT-9.2", "assessment", *dep, 2000)],
        # E: TT-9.2 2,000 at the breach, then the backdated contact (S+25m ≤ S+30m) retracts it: −2,000.
        "E": [("TT-9.2", "assessment", *dep, 2000), ("TT-9.2", "reversal", *dep, -2000)],
        # F: due S+22h, open at S+22h55m: 55 min = 1 started hour = 800; resolved S+3d+5h: 55 h exactly late =
        # 55 started hours (§9.2: exactly N h is N) = 44,000, the close adds 54 × 800 = 43,200. DelayReported at
        # S+20h, before the deadline: no TT-9.3.
        "F": [("TT-9.12", "adjustment", *dep, 43200), ("TT-9.12", "assessment", *dep, 800)],
        # C1 (VIP complaint): 1st complaint to the ministry, `dept`'s first of the year: TT-9bis.8 1,000 yuan =
        # 100,000 beats the VIP item 30,000 (one item, the highest, §9.7). 2nd complaint, to 12315: VIP 30,000
        # beats 12315's 20,000, ×2 as the second on the ticket = 60,000. Churn: the VIP item doubles to 60,000,
        # ×2 = 120,000, 60,000 already assessed: +60,000 (the 1st complaint's ministry item stays highest, 0 more).
        # 1st complaint answered after 24 h: TT-9bis.14 +200 yuan = 20,000.
        "C1": [("TT-9bis.12", "assessment", *dep, 60000), ("TT-9bis.12", "churn", *dep, 60000),
               ("TT-9bis.14", "assessment", *dep, 20000), ("TT-9bis.8", "assessment", *dep, 100000)],
        # C2: to the ministry, `dept`'s second of the year: each further 2,000 yuan = 200,000; TT-9bis.11 (first
        # threat, 500 yuan) competes and is not added. Answered within 24 h.
        "C2": [("TT-9bis.8", "assessment", *dep, 200000)],
    }
    expected_nj: dict[str, list[tuple]] = {
        # A: limit 24 h + 45 min pause = S+24h45m; resolved S+25h15m: 30 min = 1 started day × 200 yuan = 20,000
        # (NJ-4.3.2b, §9.2, §9.10); the close finds the same day count: no adjustment.
        "A": [("NJ-4.3.2b", "assessment", *dep, 20000)],
        "B": [], "E": [], "C2": [],  # resolved within 24 h; C2's CAPA filed at S+20h, within 3 days
        # F: open at S+25h15m, 1 h 15 min past S+24h = 1 started day = 20,000; resolved S+3d+5h: 2 d 5 h late =
        # 3 started days = 60,000, the close adds 2 × 20,000 = 40,000.
        "F": [("NJ-4.3.2b", "adjustment", *dep, 40000), ("NJ-4.3.2b", "assessment", *dep, 20000)],
        # C1: CAPA due S+3d, filed S+3d+5h: 1 started day × 200 yuan = 20,000 (NJ-4.3.2d, §9.10)
        "C1": [("NJ-4.3.2d", "assessment", *dep, 20000)],
    }
    assert {n: rows(e) for n, e in tt_entries.items()} == {
        n: sorted((*r, month) for r in want) for n, want in expected_tt.items()}
    assert {n: rows(e) for n, e in nj_entries.items()} == {
        n: sorted((*r, month) for r in want) for n, want in expected_nj.items()}
    assert sum(e["amount_fen"] for es in tt_entries.values() for e in es) == 496400
    assert sum(e["amount_fen"] for es in nj_entries.values() for e in es) == 100000

    # The arithmetic each entry shows (issue 10: every entry explains itself)
    a, f, b, c1, c2 = (tt_entries[n] for n in ("A", "F", "B", "C1", "C2"))
    assert one(a, "TT-9.12", "assessment")["computation"] == (
        "1 started hour × 800 fen = 800 fen; 10 min late after 45 min customer pause (not counted)")
    assert one(a, "TT-9.12", "adjustment")["computation"].startswith(
        "final 3 started hours × 800 fen = 2,400 fen; 2 h 30 min late after 45 min customer pause (not counted); "
        "1 already assessed at the breach, +2 × 800 fen = 1,600 fen")
    assert one(f, "TT-9.12", "adjustment")["computation"].startswith(
        "final 55 started hours × 800 fen = 44,000 fen; 2 d 7 h 0 min late")
    assert "missing restore-time, cause-and-result" in one(b, "TT-8.3", "assessment")["computation"]
    assert "missing feedback-form-signed, satisfied" in one(b, "TT-8.13", "assessment")["computation"]
    assert "case 1 of" in one(c1, "TT-9bis.8", "assessment")["computation"]
    assert "×2 (complaint 2 on the same ticket)" in one(c1, "TT-9bis.12", "assessment")["computation"]
    c2_item = one(c2, "TT-9bis.8", "assessment")["computation"]
    assert "case 2 of" in c2_item and "TT-9bis.11 50,000 fen not added" in c2_item
    assert one(nj_entries["F"], "NJ-4.3.2b", "adjustment")["computation"].startswith(
        "final 3 started days × 20,000 fen = 60,000 fen; 2 d 5 h 0 min late")
    assert one(nj_entries["A"], "NJ-4.3.2b", "assessment")["computation"] == (
        "1 started day × 20,000 fen = 20,000 fen; 30 min late after 45 min customer pause (not counted)")
