"""Issue 11, the rest of the integration list: notices delivered by the worker (and through a real HTTP gateway),
missed payment limits recorded as breaches, a crash between cutting and exporting loses nothing, a replay into an
empty database gives identical claims and batches, and an Ofcom ticket through the real stack (a compensation
runtime of its own running the UK scheme: own database, own consumer group, outbox not published)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import httpx
import pytest
from sqlalchemy import select

from services.catalog import load_spec
from services.compensation.adapters.notifier import HttpSmsGateway
from services.compensation.adapters.tables import claims as CT
from services.compensation.adapters.tables import tracking
from services.compensation.domain.ofcom import repair_deadline
from services.compensation.service_layer import payouts
from services.compensation.service_layer.notices import deliver_pending, notice_delivery
from services.compensation.service_layer.payment_deadlines import scan_payment_limits
from services.compensation.service_layer.replay import replay_databases
from shared.clock import ControllableClock
from shared.http.auth import Role
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.database import create_engine, service_url
from shared.service import ServiceRuntime, create_app
from tests.integration.test_compensation_claims import (
    ct,
    directory_entry,
    next_local,
    next_month_start,
    settled,
    work_and_resolve,
)
from tests.support.lifecycle import new_ticket
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
UK_POLICY = Path(__file__).parents[1] / "policies" / "uk-ofcom.yaml"
LONDON = ZoneInfo("Europe/London")


def api(stack: Stack) -> httpx.AsyncClient:
    return stack.clients["compensation"]


async def late_repair(stack: Stack) -> dict:
    """A same-day repair finished a day and a half late: a payable claim of 20 yuan."""
    next_local(stack, 10)
    ticket = await new_ticket(stack, ct("fault"))
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, ticket["ticket_id"])
    return await settled(stack, ticket["ticket_id"], "due")


# --- CT-4.6: notices ------------------------------------------------------------------------------------------


async def test_the_delivery_worker_sends_notices_through_the_dev_notifier(stack: Stack) -> None:
    claim = await late_repair(stack)

    async def sent() -> dict | None:
        found = (await api(stack).get("/notifications", params={"ticket_id": claim["ticket_id"]},
                                      headers=stack.auth(Role.OPS))).json()["notifications"]
        return found[0] if found and found[0]["status"] == "sent" else None

    notice = await eventually(sent, timeout=20)
    assert notice["channel"] == "dev" and notice["attempts"] == 1 and "20.00元" in notice["message"]


class Gateway:
    """A small SMS gateway on 127.0.0.1: refuses the first message with 503, accepts the rest."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                gateway.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = 503 if len(gateway.received) == 1 else 200
                body = json.dumps({"message_id": f"gw-{len(gateway.received)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def test_notices_go_through_an_http_gateway_with_retries_and_each_round_is_recorded(stack: Stack) -> None:
    runtime = stack.runtime("compensation")
    worker = runtime._tasks.pop("notice-delivery")  # the dev worker steps aside while the gateway one runs
    worker.cancel()
    await asyncio.gather(worker, return_exceptions=True)
    gateway = Gateway()
    try:
        claim = await late_repair(stack)
        await deliver_pending(runtime, HttpSmsGateway(gateway.url, user="gd", password="pw"),
                              wait_min=0.01, wait_max=0.02)
        n, a = CT.notifications, tracking.attempts
        async with runtime.engine.connect() as conn:
            notice = (await conn.execute(select(n).where(n.c.claim_id == uuid.UUID(claim["claim_id"])))).first()
            rounds = (await conn.execute(select(a).where(a.c.notification_id == notice.notification_id))).all()
    finally:
        gateway.close()
        runtime._spawn("notice-delivery", notice_delivery(runtime))
    assert (notice.status, notice.channel, notice.attempts) == ("sent", "sms", 2)
    assert [(r.outcome, r.tries, r.reference) for r in rounds] == [("sent", 2, "gw-2")]
    mine = [m for m in gateway.received if m["client_reference"] == str(notice.notification_id)]
    assert len(mine) == 2 and mine[0]["to"] == notice.phone and "20.00元" in mine[0]["message"]


# --- CT-3.4: the payment limit as a tracked timer ------------------------------------------------------------


async def test_a_missed_payment_limit_is_recorded_once_announced_and_closed_when_paid_late(stack: Stack) -> None:
    claim = await late_repair(stack)
    runtime = stack.runtime("compensation")
    stack.clock.advance(timedelta(days=7, minutes=1))  # past completion + 7 natural days
    await scan_payment_limits(runtime, stack.clock.now())
    await scan_payment_limits(runtime, stack.clock.now())  # again (or another instance): nothing new

    overdue = (await api(stack).get("/payments/overdue", headers=stack.auth(Role.OPS))).json()
    missed = next(c for c in overdue["missed"] if c["claim_id"] == claim["claim_id"])
    assert missed["payment"] == "missed" and missed["breach"]["detected_at"] == stack.clock.now().isoformat()
    open_ = (await api(stack).get("/payments/breaches", params={"state": "open"},
                                  headers=stack.auth(Role.OPS))).json()["breaches"]
    assert [b["state"] for b in open_ if b["claim_id"] == claim["claim_id"]] == ["open"]
    outbox = runtime.spec.tables.outbox
    async with runtime.engine.connect() as conn:
        announced = (await conn.execute(select(outbox.c.value).where(outbox.c.key == claim["ticket_id"]))).all()
    assert sum(b'"CompensationPaymentMissed"' in r.value for r in announced) == 1

    batch = (await api(stack).post("/payout-batches", json={"cut_off": stack.clock.now().isoformat()},
                                   headers=stack.auth(Role.FINANCE))).json()
    line = next(x for x in batch["lines"] if x["claim_id"] == claim["claim_id"])
    for other in batch["lines"]:
        response = await api(stack).post(f"/payout-batches/{batch['batch_id']}/lines/{other['line_id']}/paid",
                                         json={"top_up_ref": f"T-{other['line_id'][:8]}"},
                                         headers=stack.auth(Role.FINANCE))
        assert response.status_code == 200
    await scan_payment_limits(runtime, stack.clock.now())
    closed = (await api(stack).get("/payments/breaches", params={"state": "closed"},
                                   headers=stack.auth(Role.OPS))).json()["breaches"]
    mine = next(b for b in closed if b["claim_id"] == line["claim_id"])
    assert mine["closed_how"] == "paid-late" and mine["amount"] == 2000


# --- payout batches: a crash between cutting and exporting -------------------------------------------------


async def test_a_crash_between_cutting_and_exporting_loses_nothing(stack: Stack) -> None:
    """The cut is one committed transaction (batch, lines, claims marked batched); the export is a pure read of
    those rows. A process that dies right after the cut answered leaves everything a new process needs: a fresh
    engine and unit of work (nothing of the old process) export the same batch, byte for byte."""
    claims = [await late_repair(stack) for _ in range(2)]
    cut = await api(stack).post("/payout-batches", json={"cut_off": stack.clock.now().isoformat()},
                                headers=stack.auth(Role.FINANCE) | {"Idempotency-Key": f"crash-{uuid.uuid4()}"})
    assert cut.status_code == 201, cut.text
    batch = cut.json()
    # the process that cut is gone: a new engine, clock and unit of work, nothing shared with it
    runtime = stack.runtime("compensation")
    engine = create_engine(service_url(stack.settings.database_url, "compensation"))
    try:
        fresh = UnitOfWork(engine, runtime.spec.tables, ControllableClock(datetime.now(UTC)), lambda: None,
                           None, "compensation")
        async with fresh as uow:
            view = await payouts.batch_view(uow, uuid.UUID(batch["batch_id"]))
            recon = await payouts.reconciliation(uow, uuid.UUID(batch["batch_id"]))
            states = (await uow.conn.execute(select(CT.claims.c.payout_state).where(
                CT.claims.c.claim_id.in_([uuid.UUID(c["claim_id"]) for c in claims])))).scalars().all()
    finally:
        await engine.dispose()
    assert {c["claim_id"] for c in claims} <= {x["claim_id"] for x in view["lines"]}
    assert view == batch and recon["balanced"] and states == ["batched", "batched"]
    exported = (await api(stack).get(f"/payout-batches/{batch['batch_id']}/export",
                                     headers=stack.auth(Role.FINANCE))).text
    assert payouts.to_csv(view) == exported


# --- replay into an empty database ---------------------------------------------------------------------------


async def test_replay_into_an_empty_database_gives_identical_claims_and_batches(stack: Stack) -> None:
    exempted, failed, _paid = [await late_repair(stack) for _ in range(3)]
    tid = exempted["ticket_id"]
    made = await api(stack).post(f"/tickets/{tid}/exemptions", json={"code": "third-party", "note": "市政施工挖断光缆"},
                                 headers=stack.auth(Role.SUPERVISOR))
    assert made.status_code == 201, made.text
    disputed = await api(stack).post(f"/exemptions/{made.json()['exemption_id']}/disputes",
                                     json={"note": "客户称无施工"}, headers=stack.auth(Role.AGENT))
    assert disputed.json()["claims"][0]["status"] == "due"
    next_local(stack, 10)
    still_open = await new_ticket(stack, ct("fault"))  # accruing when the batch is cut
    stack.clock.advance(timedelta(days=1, hours=2))
    await settled(stack, still_open["ticket_id"], "open")
    batch = (await api(stack).post("/payout-batches", json={"cut_off": stack.clock.now().isoformat()},
                                   headers=stack.auth(Role.FINANCE))).json()
    path = f"/payout-batches/{batch['batch_id']}/lines"
    for line in batch["lines"]:
        verdict = "failed" if line["claim_id"] == failed["claim_id"] else "paid"
        body = {"reason": "账户已销户"} if verdict == "failed" else {"top_up_ref": f"TU-{line['line_id'][:8]}"}
        assert (await api(stack).post(f"{path}/{line['line_id']}/{verdict}", json=body,
                                      headers=stack.auth(Role.FINANCE))).status_code == 200
    await asyncio.sleep(1.0)  # let the consumer finish whatever the commands' events started

    report = await replay_databases(stack.settings, into=f"compensation_replay_{uuid.uuid4().hex[:8]}")
    assert report.identical, report.differences[:10]
    assert report.events > 0 and report.commands >= 4 and report.batches >= 1
    assert report.claims >= 4


# --- an Ofcom ticket through the real stack -------------------------------------------------------------------


@pytest.fixture(scope="module")
async def uk(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """A compensation deployment of the UK scheme beside the stack: its own database and consumer group
    (`compensation_uk`), the same broker and clock; its outbox is not published."""
    spec = dataclasses.replace(load_spec("compensation"), name="compensation_uk")
    app = create_app(spec, stack.settings.model_copy(update={"gongdan_policy": UK_POLICY}), stack.clock)
    runtime: ServiceRuntime = app.state.runtime
    await runtime.start()
    relay = runtime._tasks.pop("relay")
    relay.cancel()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://compensation-uk")
    try:
        yield client
    finally:
        await client.aclose()
        await runtime.stop()


async def test_an_ofcom_repair_ticket_through_the_real_stack(stack: Stack, uk: httpx.AsyncClient) -> None:
    ticket = await new_ticket(stack, ct("fault"))
    tid = ticket["ticket_id"]
    reported = stack.clock.now()
    stack.clock.advance(timedelta(days=6, hours=3))
    await work_and_resolve(stack, tid)
    completed = stack.clock.now()

    async def claim() -> dict | None:
        response = await uk.get(f"/tickets/{tid}/claims", headers=stack.auth(Role.FINANCE))
        found = response.json()["claims"] if response.status_code == 200 else []
        return found[0] if found and found[0]["status"] == "due" else None

    got = await eventually(claim, timeout=40)
    bank = holidays.country_holidays("GB", subdiv="ENG")  # 2 full working days after the report, by hand
    day, working = reported.astimezone(LONDON).date(), 0
    while working < 2:
        day += timedelta(days=1)
        working += day.weekday() < 5 and day not in bank
    deadline = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    from services.compensation.service_layer.config import load_config

    scheme = load_config(stack.settings.model_copy(update={"gongdan_policy": UK_POLICY})).schemes.schemes["OF-acs"]
    assert deadline == repair_deadline(scheme, reported)
    days = []
    d = deadline.date()
    while d <= completed.astimezone(LONDON).date():
        days.append(d)
        d += timedelta(days=1)
    expected = sum(scheme.amounts_on(x).repair for x in days)  # the table in force each day (1 April)
    assert (got["scheme"], got["promise"], got["clause"], got["unit"], got["currency"]) == (
        "OF-acs", "repair", "ACS-repair", "pence", "GBP")
    assert (got["days_late"], got["amount"]) == (len(days), expected)
    assert got["deadline"] == deadline.astimezone(UTC).isoformat()

    async def notice() -> dict | None:
        found = (await uk.get("/notifications", params={"ticket_id": tid},
                              headers=stack.auth(Role.OPS))).json()["notifications"]
        return found[0] if found and found[0]["status"] == "sent" else None

    sent = await eventually(notice, timeout=20)
    assert sent["language"] == "en" and f"£{expected // 100}.{expected % 100:02d}" in sent["message"]
    ct_claims = (await api(stack).get(f"/tickets/{tid}/claims", headers=stack.auth(Role.FINANCE))).json()["claims"]
    assert [c["scheme"] for c in ct_claims] == ["CT-sameday"]  # the Chinese deployment priced it its own way


# --- CT-5 reports and the CT-4.9.1 contractor split ----------------------------------------------------------


async def test_reports_and_the_contractor_split(stack: Stack) -> None:
    u = uuid.uuid4().hex[:8]
    district, contractor = f"cx-{u}", f"cx-install-{u}"
    # intake must have the district before a ticket names it (else 422), compensation both entries
    await directory_entry(stack, "districts", {"id": district, "name": f"承包区{u}", "area_type": "city-centre",
                                               "ct_same_day_opt_in": False})
    await directory_entry(stack, "departments", {"id": contractor, "name": f"外包{u}", "kind": "contractor",
                                                 "districts": [district]}, copies=("compensation",))
    # The 1st of the next month at 10:00, whatever the earlier tests left the clock at: both tickets start that day
    # and complete in that month (the on-time one at once, the late one on the 3rd at 01:00), the batch is paid in it
    day = next_month_start(stack, 10).date()
    on_time, late = [await new_ticket(stack, ct("fault", district=district)) for _ in range(2)]
    await work_and_resolve(stack, on_time["ticket_id"])
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, late["ticket_id"])
    await settled(stack, late["ticket_id"], "due")
    await settled(stack, on_time["ticket_id"], "met")

    figures = (await api(stack).get("/reports/same-day", params={"from": day.isoformat()},
                                    headers=stack.auth(Role.OPS))).json()
    [mine] = [r for r in figures["rows"] if r["district"] == district]
    assert (mine["promise"], mine["on_time"], mine["late"], mine["late_exempt"], mine["rate"]) == (
        "repair", 1, 1, 0, 0.5)
    month = stack.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    split = (await api(stack).get("/reports/contractor-split", params={"month": month},
                                  headers=stack.auth(Role.FINANCE))).json()
    [row] = [r for r in split["rows"] if r["contractor"] == contractor]
    assert (row["tickets"], row["installer_overtime"], row["compensation"]) == (2, 1, 2000)
    assert (row["contractor_share"], row["operator_share"]) == (1800, 200)  # (1 - 0.1) / 1 of 2000 fen
    csv_text = (await api(stack).get("/reports/contractor-split", params={"month": month, "format": "csv"},
                                     headers=stack.auth(Role.FINANCE))).text
    assert csv_text.startswith("month,contractor,districts") and contractor in csv_text

    today = stack.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    audit = (await api(stack).get("/reports/compensation-list", params={"from": today},
                                  headers=stack.auth(Role.FINANCE))).json()
    assert late["number"] in {r["number"] for r in audit["rows"]}
    xlsx = await api(stack).get("/reports/compensation-list", params={"from": today, "format": "xlsx"},
                                headers=stack.auth(Role.FINANCE))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["number", "account", "customer"]

    batch = (await api(stack).post("/payout-batches", json={"cut_off": stack.clock.now().isoformat()},
                                   headers=stack.auth(Role.FINANCE))).json()
    line = next(x for x in batch["lines"] if x["number"] == late["number"])
    await api(stack).post(f"/payout-batches/{batch['batch_id']}/lines/{line['line_id']}/paid",
                          json={"top_up_ref": f"TU-{u}"}, headers=stack.auth(Role.FINANCE))
    paid = (await api(stack).get("/reports/paid", params={"month": month}, headers=stack.auth(Role.FINANCE))).json()
    assert [r["top_up_ref"] for r in paid["rows"] if r["number"] == late["number"]] == [f"TU-{u}"]
    assert paid["totals"]["CNY"] >= 2000
