"""Issue 11 leftovers, through intake, dispatch, the broker, compensation and sla_monitor (default policy: Tietong
timers with the Telecom same-day promise, scheme CT-sameday):

- a scripted month of CT tickets (install and repair; on time, late, exempt, ineligible, rural, disputed) gives the
  claims, the CT-5 same-day figures and the month's payout batch, every amount hand-computed from RULEBOOK §6;
- exempt tickets keep their SLA breach, annotated `exempt` with the reason code in sla_monitor's timers API
  (RULEBOOK §9.12), from compensation's CompensationExemptionRecorded / …Voided;
- a claim exempted after it was batched leaves the open batch; one exempted after payment is clawed back (and a
  dispute without a recording undoes both); reconciliation and the paid report show it; a replay rebuilds it all.

RULEBOOK §6 in fen: install missed = 2,000 once; repair = 1,000 per started 24 h late (ceil), at most 10,000.
Deadlines (cutoff 16:00, RULEBOOK §9.1): entered strictly before 16:00 -> 24:00 that day; at/after 16:00 -> +24 h
(repair) or no CT promise (install: due by its appointment, §9.12)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.compensation.service_layer.replay import replay_databases
from shared.http.auth import Role
from tests.integration.test_compensation_claims import (
    claims,
    ct,
    directory_entry,
    next_month_start,
    published,
    settled,
    work_and_resolve,
)
from tests.support.lifecycle import new_ticket
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration


def api(stack: Stack):
    return stack.clients["compensation"]


def move_to(stack: Stack, local: datetime) -> None:
    """Forward to a local wall time (the shared clock never goes back)."""
    step = local.astimezone(UTC) - stack.clock.now()
    assert step >= timedelta(0), f"the clock is already past {local}"
    stack.clock.advance(step)


async def exempt(stack: Stack, tid: str, body: dict) -> str:
    response = await api(stack).post(f"/tickets/{tid}/exemptions", json=body,
                                     headers=stack.auth(Role.SUPERVISOR) | {"Idempotency-Key": f"x-{uuid.uuid4()}"})
    assert response.status_code == 201, response.text
    return response.json()["exemption_id"]


async def dispute(stack: Stack, exemption_id: str, body: dict) -> dict:
    response = await api(stack).post(f"/exemptions/{exemption_id}/disputes", json=body,
                                     headers=stack.auth(Role.AGENT) | {"Idempotency-Key": f"d-{uuid.uuid4()}"})
    assert response.status_code == 200, response.text
    return response.json()


async def cut(stack: Stack) -> dict | None:
    """A batch of every payable claim so far (None when there is none)."""
    response = await api(stack).post("/payout-batches", json={"cut_off": stack.clock.now().isoformat()},
                                     headers=stack.auth(Role.FINANCE) | {"Idempotency-Key": f"b-{uuid.uuid4()}"})
    assert response.status_code in (201, 409), response.text
    return response.json() if response.status_code == 201 else None


async def mark(stack: Stack, batch: dict, line: dict, verdict: str = "paid") -> dict:
    body = {"top_up_ref": f"TU-{line['line_id'][:8]}"} if verdict == "paid" else {"reason": "账户已销户"}
    response = await api(stack).post(f"/payout-batches/{batch['batch_id']}/lines/{line['line_id']}/{verdict}",
                                     json=body, headers=stack.auth(Role.FINANCE))
    assert response.status_code == 200, response.text
    return response.json()


async def get(stack: Stack, path: str, **params: str) -> dict:
    response = await api(stack).get(path, params=params, headers=stack.auth(Role.FINANCE))
    assert response.status_code == 200, response.text
    return response.json()


async def ct_timer(stack: Stack, tid: str, exempt_code: str | None) -> dict:
    """The ticket's CT same-day repair timer once its breach is recorded and its `exempt` annotation is as wanted."""
    async def check() -> dict | None:
        response = await stack.clients["sla_monitor"].get(f"/tickets/{tid}/timers", headers=stack.auth(Role.OPS))
        if response.status_code != 200:
            return None
        found = [t for t in response.json()["timers"] if t["rule_id"] == "CT-sameday-repair"]
        if not found or found[0]["breached_at"] is None:
            return None
        shown = found[0]["exempt"]
        return found[0] if (shown["code"] if shown else None) == exempt_code else None

    return await eventually(check, timeout=30)


async def test_a_scripted_month_gives_the_hand_computed_claims_figures_and_batch(stack: Stack) -> None:
    u = uuid.uuid4().hex[:6]
    city, rural_out, rural_in = f"mc-{u}", f"mr-{u}", f"mo-{u}"
    await directory_entry(stack, "districts", {"id": city, "name": f"城区{u}", "area_type": "city-centre",
                                               "ct_same_day_opt_in": False})
    await directory_entry(stack, "districts", {"id": rural_out, "name": f"乡{u}", "area_type": "rural",
                                               "ct_same_day_opt_in": False})
    await directory_entry(stack, "districts", {"id": rural_in, "name": f"镇{u}", "area_type": "rural",
                                               "ct_same_day_opt_in": True})
    await cut(stack)  # sweep what earlier tests left payable: the month's batch holds this month's claims only
    d1 = next_month_start(stack, 9)  # day 1, 09:00 local; every time below is local (Asia/Shanghai)

    def day(n: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
        return (d1 + timedelta(days=n - 1)).replace(hour=hh, minute=mm, second=ss)

    async def ticket(kind: str, **extra: object) -> dict:
        body = ct(kind, **({"same_day": "requested"} if kind == "install" else {}), **{"district": city, **extra})
        return await new_ticket(stack, body)

    # Day 1, 09:00: entered before 16:00, so every same-day promise is due at 24:00 tonight (= day 2, 00:00)
    t1 = await ticket("fault")  # repair done day 3 00:00:00: exactly 24 h late -> 1 day -> 1,000
    t2 = await ticket("fault")  # repair done day 1 10:00: on time -> met, 0
    t3 = await ticket("install")  # install done day 2 10:00: missed -> 2,000 once
    t4 = await ticket("install")  # install done day 1 10:00: on time -> met, 0
    t5 = await ticket("fault", segment="campus")  # CT-2.2 campus: no promise, no claim
    t6 = await ticket("fault", area_type="rural", district=rural_out)  # rural, not opted in: exempt (automatic)
    t7 = await ticket("fault", area_type="rural", district=rural_in)  # opted in: done day 3 00:00:01 -> 2 d -> 2,000
    t8 = await ticket("fault")  # done day 3 10:00 (34 h late, 2 days): customer-caused afterwards -> exempt
    t9 = await ticket("fault")  # done day 3 10:00: third-party, disputed, no recording -> void -> 2,000
    t10 = await ticket("fault")  # done day 3 10:00: force majeure (flood), disputed, recording backs it -> exempt
    t14 = await ticket("fault")  # done day 12 10:00: 10 d 10 h late -> 11 days = 11,000, capped at 10,000
    t15 = await ticket("fault", same_day="declined")  # customer declined same-day repair: no CT promise
    move_to(stack, day(1, 10))
    for t in (t2, t4, t5):
        await work_and_resolve(stack, t["ticket_id"])
    move_to(stack, day(1, 15, 59, 59))
    t11 = await ticket("fault")  # 15:59:59: due at 24:00 tonight; done day 2 10:00 -> 10 h late -> 1 day, 1,000
    move_to(stack, day(1, 16))
    t12 = await ticket("fault")  # 16:00:00: due 24 h later (day 2 16:00); done day 2 10:00 -> met, 0
    t13 = await ticket("install")  # 16:00:00 install: due by its appointment, not CT money -> no claim
    move_to(stack, day(2, 10))
    for t in (t11, t12, t13, t3, t15):
        await work_and_resolve(stack, t["ticket_id"])
    move_to(stack, day(3, 0))
    await work_and_resolve(stack, t1["ticket_id"])
    move_to(stack, day(3, 0, 0, 1))
    for t in (t7, t6):
        await work_and_resolve(stack, t["ticket_id"])
    move_to(stack, day(3, 10))
    for t in (t8, t9, t10):
        await work_and_resolve(stack, t["ticket_id"])
        await settled(stack, t["ticket_id"], "due")
    await exempt(stack, t8["ticket_id"], {"code": "customer-caused", "note": "客户多次改约, 工单备注为证"})
    third = await exempt(stack, t9["ticket_id"], {"code": "third-party", "note": "物业拒绝入场"})
    assert (await dispute(stack, third, {"note": "客户称物业已同意"}))["claims"][0]["status"] == "due"
    flood = await exempt(stack, t10["ticket_id"], {"code": "force-majeure", "cause": "flood", "note": "小区进水断电",
                                                   "recording_ref": f"REC-{u}"})
    assert (await dispute(stack, flood, {"note": "客户称无积水"}))["claims"][0]["status"] == "exempt"  # CT-3.3.1
    move_to(stack, day(12, 10))
    await work_and_resolve(stack, t14["ticket_id"])

    # (status, promise, days late, amount in fen) of each ticket's claim, by hand from the comments above
    expected = {
        "t1": (t1, "due", "repair", 1, 1000), "t2": (t2, "met", "repair", 0, 0), "t3": (t3, "due", "install", 1, 2000),
        "t4": (t4, "met", "install", 0, 0), "t6": (t6, "exempt", "repair", 2, 2000),
        "t7": (t7, "due", "repair", 2, 2000), "t8": (t8, "exempt", "repair", 2, 2000),
        "t9": (t9, "due", "repair", 2, 2000), "t10": (t10, "exempt", "repair", 2, 2000),
        "t11": (t11, "due", "repair", 1, 1000), "t12": (t12, "met", "repair", 0, 0),
        "t14": (t14, "due", "repair", 11, 10000),
    }
    for name, (t, status, promise, days, amount) in expected.items():
        got = await settled(stack, t["ticket_id"], status)
        assert (got["promise"], got["days_late"], got["amount"], got["unit"]) == (promise, days, amount, "fen"), name
    for t in (t5, t13, t15):  # ineligible: campus, install entered at 16:00:00, repair declined
        assert await claims(stack, t["ticket_id"]) == []
    t14_claim = (await claims(stack, t14["ticket_id"]))[0]  # type: ignore[index]
    assert "capped at 10,000 fen (100.00 yuan)" in t14_claim["evidence"]["arithmetic"]
    assert (await claims(stack, t6["ticket_id"]))[0]["evidence"]["exemption"]["code"] == "rural"  # type: ignore

    # RULEBOOK §9.12: the breach stays a fact, annotated exempt with its reason code while the exemption stands
    assert (await ct_timer(stack, t6["ticket_id"], "rural"))["exempt"]["automatic"] is True
    customer = await ct_timer(stack, t8["ticket_id"], "customer-caused")
    assert customer["state"] == "late" and customer["exempt"]["clause"] == "CT-3.2"
    assert (await ct_timer(stack, t10["ticket_id"], "force-majeure"))["exempt"]["cause"] == "flood"
    await ct_timer(stack, t9["ticket_id"], None)  # its exemption was voided by the dispute: plain late
    # ... and the per-rule achievement counts t6, t8 and t10 (due 24:00 day 1) late-exempt, outside the rate
    due = {"from": day(2, 0).isoformat(), "to": day(2, 0, 0, 1).isoformat()}
    rules = await stack.clients["sla_monitor"].get("/rules/achievement", params=due, headers=stack.auth(Role.OPS))
    [repair] = [r for r in rules.json()["rules"] if r["rule_id"] == "CT-sameday-repair"]
    assert repair["late_exempt"] == 3 and repair["rate"] == round(repair["met"] / (repair["met"] + repair["missed"]), 4)
    await ct_timer(stack, t1["ticket_id"], None)
    assert [e.type for e in await published(stack, t9["ticket_id"])][:5] == [  # then its missed payment limit
        "CompensationDue", "CompensationExemptionRecorded", "CompensationVoided", "CompensationExemptionVoided",
        "CompensationDue"]

    # CT-5 same-day figures for day 1, per district and promise: late-exempt outside the rate (§9.12)
    figures = await get(stack, "/reports/same-day", **{"from": day(1, 0).date().isoformat()})
    mine = {(r["district"], r["promise"]): (r["on_time"], r["late"], r["late_exempt"], r["open"], r["rate"])
            for r in figures["rows"] if r["district"] in (city, rural_out, rural_in)}
    assert mine == {
        (city, "install"): (1, 1, 0, 0, 0.5),  # t4 on time, t3 late (t13 has no CT promise)
        (city, "repair"): (2, 4, 2, 0, 0.3333),  # t2, t12 on time; t1, t9, t11, t14 late; t8, t10 exempt: 2/6
        (rural_out, "repair"): (0, 0, 1, 0, None),  # t6 late, exempt: no rate
        (rural_in, "repair"): (0, 1, 0, 0, 0.0),  # t7
    }

    # The month's batch: every payable claim, completed by the cut-off, by hand 1,000 + 2,000 + 2,000 + 2,000 +
    # 1,000 + 10,000 = 18,000 fen (180.00 yuan): t1, t3, t7, t9, t11, t14; nothing else is payable
    batch = await cut(stack)
    assert batch is not None
    lines = {x["number"]: x["amount"] for x in batch["lines"]}
    assert lines == {t1["number"]: 1000, t3["number"]: 2000, t7["number"]: 2000, t9["number"]: 2000,
                     t11["number"]: 1000, t14["number"]: 10000}
    assert batch["total"] == 18000 and batch["line_count"] == 6 and batch["currency"] == "CNY"
    for line in batch["lines"]:
        await mark(stack, batch, line)
    recon = await get(stack, f"/payout-batches/{batch['batch_id']}/reconciliation")
    assert (recon["balanced"], recon["paid"], recon["claims_marked_paid"], recon["net_paid"]) == (
        True, 18000, 18000, 18000)
    month = d1.strftime("%Y-%m")
    paid = await get(stack, "/reports/paid", month=month)
    assert paid["totals"] == {"CNY": 18000} and paid["net"] == {"CNY": 18000}  # only this month's claims paid
    audit = await get(stack, "/reports/compensation-list", **{"from": day(1, 0).date().isoformat(),
                                                              "to": day(12, 0).date().isoformat()})
    shown = {r["number"]: (r["status"], r["amount"], r["exemption"]) for r in audit["rows"]}
    assert shown[t8["number"]] == ("exempt", 2000, "customer-caused") and shown[t6["number"]][2] == "rural"
    assert shown[t14["number"]] == ("due", 10000, None)


async def test_an_exemption_after_batching_leaves_the_batch_and_after_payment_is_clawed_back(stack: Stack) -> None:
    u = uuid.uuid4().hex[:6]
    await cut(stack)  # earlier claims out of the way: the batch below holds these two only
    d1 = next_month_start(stack, 10)
    pending, paid_one = [await new_ticket(stack, ct("fault")) for _ in range(2)]  # due at 24:00 tonight
    move_to(stack, d1 + timedelta(days=1, hours=12))  # day 2 22:00: 22 h late -> 1 day -> 1,000 fen each
    for t in (pending, paid_one):
        await work_and_resolve(stack, t["ticket_id"])
        assert (await settled(stack, t["ticket_id"], "due"))["amount"] == 1000
    batch = await cut(stack)
    assert batch is not None and batch["total"] == 2000 and batch["line_count"] == 2
    line = {x["number"]: x for x in batch["lines"]}
    await mark(stack, batch, line[paid_one["number"]])
    path = f"/payout-batches/{batch['batch_id']}"

    # 1. exempted while its line is pending: out of the batch, total recomputed, still balanced; not payable there
    first = await exempt(stack, pending["ticket_id"], {"code": "customer-caused", "note": f"客户拒绝上门 {u}"})
    view = await get(stack, path)
    assert [x["number"] for x in view["lines"]] == [paid_one["number"]]
    assert (view["total"], view["line_count"], [x["number"] for x in view["removed"]]) == (
        1000, 1, [pending["number"]])
    assert "removed from its open payout batch" in view["removed"][0]["failure_reason"]
    recon = await get(stack, f"{path}/reconciliation")
    assert (recon["balanced"], recon["batch_total"], recon["lines_total"], recon["removed"]) == (True, 1000, 1000, 1000)
    csv_text = (await api(stack).get(f"{path}/export", headers=stack.auth(Role.FINANCE))).text
    assert pending["number"] not in csv_text and paid_one["number"] in csv_text
    refused = await api(stack).post(f"{path}/lines/{line[pending['number']]['line_id']}/paid",
                                    json={"top_up_ref": "TU-late"}, headers=stack.auth(Role.FINANCE))
    assert refused.status_code == 409 and refused.json()["error"]["current_state"] == "removed"
    assert (await get(stack, path))["status"] == "settled"  # its only pending line left: nothing to wait for
    assert (await settled(stack, pending["ticket_id"], "exempt"))["payout_state"] is None

    # 2. exempted after payment: a clawback of what was paid, in the reconciliation and the month's paid report
    second = await exempt(stack, paid_one["ticket_id"], {"code": "third-party", "note": f"光缆被市政挖断 {u}"})
    clawed = await settled(stack, paid_one["ticket_id"], "exempt")
    assert (clawed["payout_state"], clawed["payment"], clawed["amount"]) == ("paid", "clawback", 1000)
    recon = await get(stack, f"{path}/reconciliation")
    assert (recon["balanced"], recon["paid"], recon["claims_marked_paid"]) == (True, 1000, 1000)
    assert (recon["clawbacks"], recon["clawback_count"], recon["net_paid"]) == (1000, 1, 0)
    [back] = (await get(stack, path))["clawbacks"]
    assert (back["number"], back["amount"], back["state"], back["exemption_code"]) == (
        paid_one["number"], 1000, "open", "third-party")
    month = d1.strftime("%Y-%m")
    report = await get(stack, "/reports/paid", month=month)
    rows = [(r["kind"], r["amount"]) for r in report["rows"] if r["number"] == paid_one["number"]]
    assert rows == [("payment", 1000), ("clawback", -1000)]
    assert report["clawbacks"]["CNY"] >= 1000 and report["net"]["CNY"] == report["totals"]["CNY"] - report[
        "clawbacks"]["CNY"]
    assert [e.type for e in await published(stack, paid_one["ticket_id"])][-3:] == [
        "CompensationPaid", "CompensationExemptionRecorded", "CompensationVoided"]

    # 3. disputes without a call recording (CT-3.3.1): the clawback is cancelled, the removed claim is payable again
    assert (await dispute(stack, second, {"note": "客户称无施工"}))["claims"][0]["payout_state"] == "paid"
    recon = await get(stack, f"{path}/reconciliation")
    assert (recon["clawbacks"], recon["net_paid"], recon["balanced"]) == (0, 1000, True)
    assert [r["kind"] for r in (await get(stack, "/reports/paid", month=month))["rows"]
            if r["number"] == paid_one["number"]] == ["payment"]
    assert (await settled(stack, paid_one["ticket_id"], "due"))["payment"] == "paid"
    await dispute(stack, first, {"note": "客户称一直在家"})
    await settled(stack, pending["ticket_id"], "due")
    later = await cut(stack)
    assert later is not None and [(x["number"], x["amount"]) for x in later["lines"]] == [(pending["number"], 1000)]

    await asyncio.sleep(1.0)  # let the consumer finish whatever the commands' events started
    report = await replay_databases(stack.settings, into=f"compensation_replay_{uuid.uuid4().hex[:8]}")
    assert report.identical, report.differences[:10]
