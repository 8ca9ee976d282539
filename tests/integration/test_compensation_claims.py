"""Issue 11: claims computed from real tickets through intake, dispatch and the broker; exemptions; payout batches
(default policy: Tietong timers with the Telecom same-day promise and its CT-sameday scheme)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.compensation.adapters.tables import claims as CT
from services.compensation.service_layer.claims import recompute
from shared.events import Envelope, decode
from shared.http.auth import Role
from tests.support.lifecycle import new_ticket, ok, window
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
TECH = "telecom-lyg-sameday-tech-1"  # seeded in the test directory (tests/support/directory.py)
REPLY = {"cause": "分光器故障 (splitter)", "result": "更换分光器, 已恢复"}


def next_local(stack: Stack, hour: int, minute: int = 0) -> None:
    """Move the shared clock to the next day's HH:MM in Shanghai."""
    local = stack.clock.now().astimezone(SHANGHAI)
    target = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    stack.clock.advance(target.astimezone(UTC) - stack.clock.now())


def next_month_start(stack: Stack, hour: int) -> datetime:
    """Move the shared clock (forward only) to HH:00 on the first day of the next local month in Shanghai: a test
    that needs a whole month to itself, whatever day and time the earlier tests left the clock at."""
    local = stack.clock.now().astimezone(SHANGHAI)
    first = (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=hour, minute=0, second=0, microsecond=0)
    stack.clock.advance(first.astimezone(UTC) - stack.clock.now())
    return first


async def directory_entry(stack: Stack, path: str, body: dict,
                          copies: tuple[str, ...] = ("intake", "compensation")) -> None:
    """Record a directory entry (dispatch) and wait until the services that read it have their copy: intake
    refuses a ticket naming a district its copy lacks (422), compensation reads opt-ins and contractors."""
    response = await stack.clients["dispatch"].post(f"/directory/{path}", json=body, headers=stack.auth(Role.ADMIN))
    assert response.status_code == 201, response.text

    async def copied() -> bool:
        for service in copies:
            r = await stack.clients[service].get(f"/directory/{path}/{body['id']}", headers=stack.auth(Role.ADMIN))
            if r.status_code != 200:
                return False
        return True

    await eventually(copied, timeout=30)


def ct(kind: str, **extra: object) -> dict:
    return fault_report(**{"kind": kind, "product": "ftth-broadband", "area_type": "city-centre", "segment": "public",
                            **extra})


async def work_and_resolve(stack: Stack, tid: str) -> None:
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "telecom-lyg-sameday-repair", "technician": TECH})
    await ok(stack, tid, "accept", Role.HANDLER, {"technician": TECH})
    await ok(stack, tid, "contact", Role.TECHNICIAN, {"note": "约上门"})
    await ok(stack, tid, "appointments", Role.TECHNICIAN, window(stack, timedelta(minutes=-5)))
    await ok(stack, tid, "arrival", Role.TECHNICIAN)
    await ok(stack, tid, "resolve", Role.TECHNICIAN, {"completed_at": stack.clock.now().isoformat(), **REPLY})


async def claims(stack: Stack, tid: str) -> list[dict] | None:
    response = await stack.clients["compensation"].get(f"/tickets/{tid}/claims", headers=stack.auth(Role.FINANCE))
    return response.json()["claims"] if response.status_code == 200 else None


async def published(stack: Stack, tid: str) -> list[Envelope]:
    """The events compensation wrote for the ticket, in order (its outbox)."""
    outbox = stack.runtime("compensation").spec.tables.outbox
    async with stack.runtime("compensation").engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.value).where(outbox.c.key == tid).order_by(outbox.c.id))).all()
    return [decode(r.value) for r in rows]


async def settled(stack: Stack, tid: str, status: str) -> dict:
    async def check() -> dict | None:
        found = await claims(stack, tid)
        return found[0] if found and found[0]["status"] == status else None

    return await eventually(check, timeout=20)


async def test_scripted_tickets_give_the_expected_claims(stack: Stack) -> None:
    next_local(stack, 10)
    late_repair = await new_ticket(stack, ct("fault"))
    on_time = await new_ticket(stack, ct("fault"))
    install = await new_ticket(stack, ct("install", same_day="requested"))
    campus = await new_ticket(stack, ct("fault", segment="campus"))
    await work_and_resolve(stack, on_time["ticket_id"])  # same morning: in time

    open_claim = await settled(stack, late_repair["ticket_id"], "open")
    midnight = stack.clock.now().astimezone(SHANGHAI).replace(hour=0, minute=0) + timedelta(days=1)
    assert open_claim["deadline"] == midnight.astimezone(UTC).isoformat()  # 24:00 local (§9.1)
    stack.clock.advance(timedelta(days=1, hours=15))  # 25 h past 24:00: two started days
    accruing = (await claims(stack, late_repair["ticket_id"]))[0]  # type: ignore[index]
    assert accruing["status"] == "open" and accruing["accrued_so_far"]["amount"] == 2000
    for ticket in (late_repair, install, campus):
        await work_and_resolve(stack, ticket["ticket_id"])

    repair = await settled(stack, late_repair["ticket_id"], "due")
    assert (repair["promise"], repair["days_late"], repair["amount"], repair["unit"]) == ("repair", 2, 2000, "fen")
    evidence = repair["evidence"]
    assert evidence["clause"] == "CT-3.1-repair" and evidence["eligibility"]["segment"] == "public"
    assert "2 started day(s) × 1,000 fen" in evidence["arithmetic"]
    assert repair["payment"] == "due" and repair["payment_due_at"]
    assert (await settled(stack, on_time["ticket_id"], "met"))["amount"] == 0
    installed = await settled(stack, install["ticket_id"], "due")
    assert (installed["promise"], installed["amount"]) == ("install", 2000)
    assert await claims(stack, campus["ticket_id"]) == []  # CT-2.2: no promise for campus customers

    notices = (await stack.clients["compensation"].get(
        "/notifications", params={"ticket_id": late_repair["ticket_id"]}, headers=stack.auth(Role.OPS))).json()
    assert len(notices["notifications"]) == 1 and "20.00元" in notices["notifications"][0]["message"]

    stack.clock.advance(timedelta(days=6))  # 7-day payment limit (CT-3.4) now 1 day away: at risk
    overdue = (await stack.clients["compensation"].get("/payments/overdue", headers=stack.auth(Role.OPS))).json()
    assert repair["claim_id"] in {c["claim_id"] for c in overdue["at_risk"]}


async def test_exemption_after_the_claim_voids_it_and_a_dispute_without_recording_restores_it(stack: Stack) -> None:
    next_local(stack, 10)
    ticket = await new_ticket(stack, ct("fault"))
    tid = ticket["ticket_id"]
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, tid)
    due = await settled(stack, tid, "due")

    refused = await stack.clients["compensation"].post(
        f"/tickets/{tid}/exemptions", json={"code": "safety", "note": "高空作业, 大风暂停"},
        headers=stack.auth(Role.SUPERVISOR))
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["rule"] == "CT-4.8"

    exempted = await stack.clients["compensation"].post(
        f"/tickets/{tid}/exemptions", json={"code": "force-majeure", "cause": "typhoon", "note": "台风红色预警"},
        headers=stack.auth(Role.SUPERVISOR) | {"Idempotency-Key": f"ex-{tid}"})
    assert exempted.status_code == 201, exempted.text
    assert exempted.json()["claims"][0]["status"] == "exempt"
    disputed = await stack.clients["compensation"].post(
        f"/exemptions/{exempted.json()['exemption_id']}/disputes", json={"note": "客户称当天无台风"},
        headers=stack.auth(Role.AGENT))
    assert disputed.status_code == 200 and disputed.json()["claims"][0]["status"] == "due"
    assert disputed.json()["claims"][0]["claim_id"] == due["claim_id"]  # the same claim, never a second one

    sent = [e.type for e in await published(stack, tid)]
    assert sent == ["CompensationDue", "CompensationExemptionRecorded", "CompensationVoided",
                    "CompensationExemptionVoided", "CompensationDue"]
    recorded, voided = [e.payload for e in await published(stack, tid) if "Exemption" in e.type]
    assert (recorded.code, recorded.cause, recorded.promise, recorded.automatic) == (
        "force-majeure", "typhoon", None, False)
    assert str(recorded.exemption_id) == exempted.json()["exemption_id"] == str(voided.exemption_id)
    assert recorded.rule_ids == ["CT-sameday-install", "CT-sameday-repair"]  # every promise of the ticket
    assert voided.clause == "CT-3.3.1" and "no call recording" in voided.reason


async def test_redelivery_and_recomputation_never_duplicate_a_claim(stack: Stack) -> None:
    next_local(stack, 17)  # after 16:00: due 24 h later
    ticket = await new_ticket(stack, ct("fault"))
    tid = ticket["ticket_id"]
    stack.clock.advance(timedelta(hours=30))
    await work_and_resolve(stack, tid)
    due = await settled(stack, tid, "due")
    assert due["days_late"] == 1

    dispatch = stack.runtime("dispatch")
    outbox = dispatch.spec.tables.outbox
    async with dispatch.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.topic, outbox.c.key, outbox.c.value)
                                   .where(outbox.c.key == tid))).all()
    for row in rows:  # the broker delivers every event of the ticket again
        await dispatch.producer.send_and_wait(row.topic, row.value, key=row.key.encode())
    runtime = stack.runtime("compensation")
    for _ in range(3):  # and several recomputations (other instances, replays) converge on the same rows
        async with runtime.new_uow() as uow:
            await recompute(uow, uuid.UUID(tid))
            await uow.commit()
    async with runtime.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).where(CT.claims.c.ticket_id == uuid.UUID(tid)))).scalar_one()
        sent = (await conn.execute(select(func.count()).where(runtime.spec.tables.outbox.c.key == tid))).scalar_one()
    assert count == 1 and sent == 1  # one claim, one CompensationDue
    assert (await claims(stack, tid))[0]["claim_id"] == due["claim_id"]  # type: ignore[index]


async def test_payout_batch_is_idempotent_reconciles_and_exports(stack: Stack) -> None:
    next_local(stack, 10)
    tickets = [await new_ticket(stack, ct("fault")) for _ in range(2)]
    stack.clock.advance(timedelta(days=1, hours=15))
    for ticket in tickets:
        await work_and_resolve(stack, ticket["ticket_id"])
    mine = {(await settled(stack, t["ticket_id"], "due"))["claim_id"] for t in tickets}

    body = {"cut_off": stack.clock.now().isoformat(), "currency": "CNY"}
    key = f"batch-{uuid.uuid4()}"
    headers = stack.auth(Role.FINANCE) | {"Idempotency-Key": key}
    first = await stack.clients["compensation"].post("/payout-batches", json=body, headers=headers)
    again = await stack.clients["compensation"].post("/payout-batches", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.json()["batch_id"] == first.json()["batch_id"] and again.headers["Idempotent-Replayed"] == "true"
    batch = first.json()
    assert mine <= {line["claim_id"] for line in batch["lines"]}
    assert batch["total"] == sum(line["amount"] for line in batch["lines"])
    empty = await stack.clients["compensation"].post("/payout-batches", json=body, headers=stack.auth(Role.FINANCE))
    assert empty.status_code == 409  # every payable claim is already in an open batch

    path = f"/payout-batches/{batch['batch_id']}"
    csv_text = (await stack.clients["compensation"].get(f"{path}/export", headers=stack.auth(Role.FINANCE))).text
    assert tickets[0]["number"] in csv_text and "CT-3.1-repair" in csv_text
    xlsx = await stack.clients["compensation"].get(f"{path}/export", params={"format": "xlsx"},
                                                   headers=stack.auth(Role.FINANCE))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(batch["lines"]) + 2  # header, lines, total

    lines = batch["lines"]
    failed = lines[0]
    response = await stack.clients["compensation"].post(f"{path}/lines/{failed['line_id']}/failed",
                                                        json={"reason": "账户已销户"}, headers=stack.auth(Role.FINANCE))
    assert response.status_code == 200
    for line in lines[1:]:
        response = await stack.clients["compensation"].post(f"{path}/lines/{line['line_id']}/paid",
                                                            json={"top_up_ref": f"TOPUP-{line['line_id'][:8]}"},
                                                            headers=stack.auth(Role.FINANCE))
        assert response.status_code == 200, response.text
    recon = (await stack.clients["compensation"].get(f"{path}/reconciliation", headers=stack.auth(Role.FINANCE))).json()
    assert recon["balanced"] and recon["lines_total"] == recon["batch_total"] == batch["total"]
    assert recon["paid"] == recon["claims_marked_paid"] == batch["total"] - failed["amount"]

    later = await stack.clients["compensation"].post("/payout-batches", json=body, headers=stack.auth(Role.FINANCE))
    assert later.status_code == 201 and [x["claim_id"] for x in later.json()["lines"]] == [failed["claim_id"]]


async def test_rural_districts_are_exempt_unless_opted_in_in_the_directory(stack: Stack) -> None:
    u = uuid.uuid4().hex[:8]
    for district, opted in ((f"opt-{u}", True), (f"not-{u}", False)):
        await directory_entry(stack, "districts", {"id": district, "name": f"乡{district}", "area_type": "rural",
                                                   "ct_same_day_opt_in": opted})
    next_local(stack, 10)
    opted_in = await new_ticket(stack, ct("fault", area_type="rural", district=f"opt-{u}"))
    not_opted = await new_ticket(stack, ct("fault", area_type="rural", district=f"not-{u}"))
    stack.clock.advance(timedelta(days=1, hours=15))
    for ticket in (opted_in, not_opted):
        await work_and_resolve(stack, ticket["ticket_id"])
    assert (await settled(stack, opted_in["ticket_id"], "due"))["amount"] == 2000
    exempt = await settled(stack, not_opted["ticket_id"], "exempt")
    assert exempt["evidence"]["exemption"]["code"] == "rural" and exempt["evidence"]["exemption"]["automatic"]
