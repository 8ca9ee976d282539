"""Issue 12, the console in a real headless Chromium: ops watch a breach appear on the live board and confirm its
penalty; finance cut a payout batch, download its CSV and mark a line paid; ops read the NJ table-4 complaint
statistics and the satisfaction report, record a claim's exemption (an agent records the customer's dispute) and
see mail past its deadline in the board's section for work that is not a customer ticket; a role without rights
sees no button and gets 403 from the URL; /docs work offline; no page asks anything of a host outside Gongdan.
Screenshots of each screen go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.http.auth import Role
from tests.integration.test_compensation_claims import ct, next_local, settled, work_and_resolve
from tests.integration.test_penalty_ledger import publish_sla
from tests.integration.test_penalty_scorecards import applied_timers, breached, cs_policy, met
from tests.support.browser import ARTIFACTS, OutsideRequests, ensure_chromium, serving
from tests.support.lifecycle import new_ticket, ok
from tests.support.sla import timers
from tests.support.stack import Stack, eventually

pytestmark = pytest.mark.integration
MIN = timedelta(minutes=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    path, why = ensure_chromium()
    if path is None:
        pytest.skip(f"browser tests need Chromium: {why}")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, headless=True,
                                           args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="module")
async def console(stack: Stack) -> AsyncIterator[str]:
    async with serving(stack.apps["console"]) as url:
        yield url


class Session:
    """One signed-in browser context; every request outside the console is recorded and refused."""

    def __init__(self, page: Any, outside: OutsideRequests, base: str) -> None:
        self.page, self.outside, self.base = page, outside, base

    async def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


async def signed_in(chromium: Any, base: str, key: str) -> tuple[Any, Session]:
    context = await chromium.new_context(base_url=base, locale="zh-CN", accept_downloads=True)
    outside = OutsideRequests(base)
    await context.route("**/*", outside.route)
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label(re.compile("API")).fill(key)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()
    return context, Session(page, outside, base)


async def test_ops_watch_a_breach_arrive_open_the_ticket_and_confirm_its_penalty(
        stack: Stack, chromium: Any, console: str) -> None:
    from playwright.async_api import expect

    created = await new_ticket(stack, {**_fault(), "segment": "public"})
    tid, number = created["ticket_id"], created["number"]
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": "jianghan-maint", "technician": "wang-wei"})
    context, ops = await signed_in(chromium, console, stack.keys[Role.OPS])
    page = ops.page
    try:
        assert page.url.endswith("/board")
        await page.get_by_label("工单号、电话或账号").fill(number)  # search by number: the board narrows to it
        await page.get_by_role("button", name="筛选").click()
        await expect(page.locator("#tickets")).to_contain_text(number)
        await expect(page.locator("#breached")).not_to_contain_text(number)
        await ops.shot("board-before")

        stack.clock.advance(33 * MIN)  # TT-contact-30m: deadline plus the 2 min grace passed
        # nobody reloads: the board refreshes itself
        await expect(page.locator("#breached")).to_contain_text(number, timeout=20_000)
        await expect(page.locator("#breached")).to_contain_text("超时")
        await ops.shot("board-breached")

        await page.locator("#breached").get_by_role("link", name=number).click()
        await expect(page.locator("h1")).to_contain_text(number)
        await expect(page.locator("#timeline")).to_contain_text("TicketDispatched")
        await expect(page.locator("#timeline")).to_contain_text("dispatcher")
        await expect(page.locator("#ticket-timers")).to_contain_text("已超时")
        penalties = await eventually(lambda: _entries(stack, tid), timeout=20)
        await page.reload()
        await expect(page.locator("#ticket-penalties")).to_contain_text(penalties[0]["clause"])
        await ops.shot("ticket")

        entry = penalties[0]
        await page.goto(f"/penalties?month={entry['month']}&entry={entry['entry_id']}")
        await expect(page.locator("#explained")).to_contain_text(entry["clause"])
        row = page.locator(f"#entry-{entry['entry_id']}")
        await ops.shot("penalty-month")
        await row.get_by_role("button", name="确认").click()
        await expect(page.locator(".flash.ok")).to_be_visible()
        await expect(page.locator(f"#entry-{entry['entry_id']}")).to_contain_text("confirmed")
        assert (await _entry(stack, entry["entry_id"]))["status"] == "confirmed"

        await page.goto("/dead-letters")
        await expect(page.locator("h1")).to_have_text("死信")
        await ops.shot("dead-letters")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("h1")).to_have_text("Dead letters")
        await page.goto("/board")
        await expect(page.locator("h1")).to_have_text("Live board")
        assert ops.outside.seen == []
    finally:
        await context.close()


async def test_finance_cut_a_batch_download_its_csv_and_mark_a_line_paid(
        stack: Stack, chromium: Any, console: str) -> None:
    from playwright.async_api import expect

    next_local(stack, 10)
    ticket = await new_ticket(stack, ct("fault"))
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, ticket["ticket_id"])
    claim = await settled(stack, ticket["ticket_id"], "due")
    context, finance = await signed_in(chromium, console, stack.keys[Role.FINANCE])
    page = finance.page
    try:
        await page.goto("/compensation")
        await expect(page.locator("#claims")).to_contain_text(claim["number"])
        assert await page.locator("[data-action=cut-batch]").count() == 1
        await finance.shot("compensation")
        await page.get_by_role("button", name="生成批次").click()
        await expect(page.locator(".flash.ok")).to_be_visible()
        await expect(page.locator("#lines")).to_contain_text(claim["number"])
        await expect(page.locator("#balanced")).to_have_text("平衡")
        shown_total = (await page.locator("#reconciliation [data-batch-total]").inner_text()).strip()

        async with page.expect_download() as info:
            await page.locator("#batches [data-export=csv]").first.click()
        download = await info.value
        rows = list(csv.reader(io.StringIO((await download.path()).read_text(encoding="utf-8"))))
        lines, total = rows[1:-1], rows[-1]
        assert total[0] == "total" and int(total[3]) == sum(int(r[3]) for r in lines)
        assert shown_total == f"¥{int(total[3]) // 100:,}.{int(total[3]) % 100:02d}"

        line = page.locator("#lines tr", has_text=claim["number"])
        await line.get_by_label("充值流水号").fill("TOPUP-0001")
        await line.get_by_role("button", name="标记已付").click()
        await expect(page.locator("#lines tr", has_text=claim["number"])).to_contain_text("paid")
        await finance.shot("compensation-batch")
        assert finance.outside.seen == []
    finally:
        await context.close()


async def test_finance_reports_show_a_tickets_figures_and_a_csv_adds_up_and_scorecards_chart_locally(
        stack: Stack, chromium: Any, console: str, tmp_path: Path) -> None:
    from playwright.async_api import expect

    next_local(stack, 10)
    ticket = await new_ticket(stack, ct("fault"))
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, ticket["ticket_id"])
    claim = await settled(stack, ticket["ticket_id"], "due")
    district = claim["evidence"]["eligibility"].get("district") or "unknown"
    context, finance = await signed_in(chromium, console, stack.keys[Role.FINANCE])
    page = finance.page
    try:
        await page.get_by_role("link", name="报表").click()  # same-day figures of the last 7 days, per district
        start, end = await page.locator("#from").input_value(), await page.locator("#to").input_value()
        figures = (await stack.clients["compensation"].get("/reports/same-day", params={"from": start, "to": end},
                                                           headers=stack.auth(Role.FINANCE))).json()["rows"]
        late = sum(r["late"] for r in figures if r["district"] == district)
        assert late >= 1  # this test's late repair among them
        await expect(page.locator(f"#by-district [data-district='{district}'] [data-late]")).to_have_text(str(late))
        await finance.shot("reports-same-day")

        await page.get_by_role("link", name="赔付审计清单").click()
        await expect(page.locator("#rows")).to_contain_text(claim["number"])
        shown = (await page.locator("[data-total=CNY]").inner_text()).strip()
        async with page.expect_download() as info:
            await page.locator("[data-export=csv]").click()
        rows = list(csv.DictReader(io.StringIO((await (await info.value).path()).read_text(encoding="utf-8"))))
        assert claim["number"] in {r["number"] for r in rows}
        due = sum(int(r["amount"]) for r in rows if r["status"] == "due" and r["currency"] == "CNY")
        assert shown == f"¥{due // 100:,}.{due % 100:02d}" and due >= claim["amount"]
        for tab, part in (("月度已付赔付", "#rows"), ("月度考核清单（部门、个人）", "#by-person")):
            await page.get_by_role("link", name=tab).click()
            await expect(page.locator(part)).to_be_visible()
        await finance.shot("reports-penalty-list")

        dept = f"card-{uuid.uuid4().hex[:6]}"  # two months of on-time figures: the trend chart draws them
        d1, d2 = datetime(2033, 1, 10, 2, tzinfo=UTC), datetime(2033, 2, 10, 2, tzinfo=UTC)
        t = [uuid.uuid4() for _ in range(3)]
        with cs_policy(stack, tmp_path):
            await publish_sla(stack, met(t[0], "CS-complete-24h", d1, dept), met(t[1], "CS-complete-24h", d2, dept),
                              breached(t[2], "CS-complete-24h", d2, dept, "p1"))
            await eventually(lambda: applied_timers(stack, t, 3), timeout=30)
            await page.goto(f"/scorecards?month=2033-02&department={dept}&months=3")
            await expect(page.locator("#trend-chart")).to_have_attribute("data-drawn", "1", timeout=20_000)
            await expect(page.locator("#scorecard-2033-02 [data-kpi=CS-on-time]")).to_contain_text("50.00%")
            await expect(page.locator("#scorecard-2033-01 [data-kpi=CS-on-time]")).to_contain_text("100.00%")
            await finance.shot("scorecards")
        assert finance.outside.seen == []  # plotly.js came from the console itself
    finally:
        await context.close()
    context, agent = await signed_in(chromium, console, stack.keys[Role.AGENT])
    try:  # agents have no reports: no link, and 403 from the URL
        assert await agent.page.get_by_role("link", name="报表").count() == 0
        response = await agent.page.goto("/reports")
        assert response is not None and response.status == 403
    finally:
        await context.close()


async def test_ops_open_table4_satisfaction_a_claims_exemptions_and_the_boards_work_items(
        stack: Stack, chromium: Any, console: str) -> None:
    """Issue 12's leftovers: the NJ table-4 complaint statistics and the satisfaction report (view, CSV), a claim's
    exemption recorded by ops and disputed by an agent (CT-3.2, CT-3.3.1), and mail past its TT-8.2 72 hours in
    the board's own section for work that is not a customer ticket, with its page."""
    from playwright.async_api import expect

    next_local(stack, 10)  # a due CT claim: repaired the next day
    ticket = await new_ticket(stack, ct("fault"))
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, ticket["ticket_id"])
    claim = await settled(stack, ticket["ticket_id"], "due")

    dept = f"b12-{uuid.uuid4().hex[:6]}"
    made = await stack.clients["dispatch"].post("/directory/departments", json={"id": dept, "name": "网络部"},
                                                headers=stack.auth(Role.ADMIN))
    assert made.status_code == 201, made.text
    month = stack.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")
    complaint = await new_ticket(stack, {**_fault(), "kind": "complaint", "product": "ftth-broadband",
                                         "complaint_class": "regular", "description": "宽带网速慢，晚上卡顿"})
    called = await new_ticket(stack, _fault())
    await ok(stack, called["ticket_id"], "dispatch", Role.DISPATCHER, {"department": dept})
    await ok(stack, called["ticket_id"], "accept", Role.HANDLER, {})
    await ok(stack, called["ticket_id"], "contact", Role.TECHNICIAN, {"note": "已联系"})
    await ok(stack, called["ticket_id"], "resolve", Role.TECHNICIAN, {
        "completed_at": stack.clock.now().isoformat(), "cause": "线路故障", "result": "已修复"})
    await ok(stack, called["ticket_id"], "callbacks", Role.AGENT, {"reached": True, "satisfied": True,
                                                                   "satisfaction_score": 5})
    mail = await _work_item(stack, "/mail", {"subject": "机房巡检安排", "sender": "网络部", "department": dept,
                                             "occurred_at": (stack.clock.now() - timedelta(hours=72, minutes=5))
                                             .isoformat()})
    fault = await _work_item(stack, "/network-faults", {"layer": "access", "severity": "general",
                                                        "description": "接入层告警", "department": dept})
    await eventually(lambda: _timer(stack, mail["mail_id"], "breached"), timeout=30)

    async def counted() -> bool | None:
        r = await stack.clients["penalty"].get("/reports/satisfaction", params={"month": month},
                                               headers=stack.auth(Role.OPS))
        seen = await stack.clients["penalty"].get("/reports/complaints", params={"month": month},
                                                  headers=stack.auth(Role.OPS))
        return (any(x["department"] == dept for x in r.json()["rows"])
                and complaint["ticket_id"] in {c["ticket_id"] for x in seen.json()["rows"] for c in x["complaints"]}
                ) or None

    await eventually(counted, timeout=30)
    context, ops = await signed_in(chromium, console, stack.keys[Role.OPS])
    page = ops.page
    try:
        await page.goto(f"/reports?report=complaints&month={month}")
        await expect(page.locator("h2#h-report")).to_have_text("月度投诉统计（表四）")
        slow = page.locator("#table4 tr[data-row='broadband/slow']")
        await expect(slow).to_contain_text(complaint["number"])
        await expect(slow).to_contain_text("网速慢")
        await expect(page.locator("#table4 th[rowspan='4']").first).to_have_text("网络传输类")
        await ops.shot("reports-complaints")
        async with page.expect_download() as info:
            await page.locator("[data-export=csv]").click()
        lines = list(csv.DictReader(io.StringIO((await (await info.value).path()).read_text(encoding="utf-8"))))
        line = next(x for x in lines if (x["category"], x["subcategory"]) == ("broadband", "slow"))
        assert complaint["number"] in line["tickets"].split()
        assert int(line["count"]) == int(await slow.locator("[data-count]").inner_text())
        await page.get_by_role("link", name="English").click()  # the same table in English, then back
        await expect(page.locator("h2#h-report")).to_have_text("Monthly complaint statistics (NJ table 4)")
        await expect(page.locator("#table4 tr[data-row='broadband/egress'] th")).to_have_text("Broadband faults")
        await page.get_by_role("link", name="中文").click()
        await expect(page.locator("h2#h-report")).to_have_text("月度投诉统计（表四）")

        await page.get_by_role("link", name="满意度报表").click()
        await page.get_by_label("月份").fill(month)
        await page.get_by_label("范围").select_option("quarter")
        await page.get_by_role("button", name="查看").click()
        row = page.locator(f"#satisfaction tr[data-department='{dept}']")
        await expect(row.locator("[data-satisfied]")).to_have_text("1")
        await expect(row.locator("[data-rate]")).to_have_text("100.00%")
        await ops.shot("reports-satisfaction")
        async with page.expect_download() as info:
            await page.locator("[data-export=xlsx]").click()
        assert (await (await info.value).path()).read_bytes()[:2] == b"PK"  # an XLSX (zip) file

        await page.goto(f"/compensation?claim={claim['claim_id']}")
        panel = page.locator("#claim")
        await expect(panel.locator("[data-claim-status]")).to_have_text("due")
        assert await page.locator("[data-action=dispute]").count() == 0  # ops may exempt, not dispute (CT-3.3.1)
        await page.get_by_label("免责原因").select_option("customer-caused")
        await page.get_by_label("证据说明").fill("客户要求改天上门")
        await page.get_by_role("button", name="登记免责").click()
        await expect(page.locator(".flash.ok")).to_be_visible()
        await expect(page.locator("#claim [data-claim-status]")).to_have_text("exempt")
        await expect(page.locator("#exemptions [data-state]")).to_have_attribute("data-state", "standing")
        await expect(page.locator(f"#claims tr[data-claim='{claim['claim_id']}'] [data-exemptions]")).to_contain_text(
            "customer-caused")
        await ops.shot("compensation-exemption")

        await page.goto(f"/board?department={dept}")
        await expect(page.locator("#work-items")).to_contain_text(mail["number"])
        await expect(page.locator("#work-items")).to_contain_text(fault["number"])
        await expect(page.locator("#work-breached")).to_contain_text(mail["number"])
        await expect(page.locator("#breached")).not_to_contain_text(mail["number"])  # not among customer tickets
        await ops.shot("board-work-items")
        await page.locator("#work-breached").get_by_role("link", name=mail["number"]).click()
        await expect(page.locator("h1")).to_contain_text(mail["number"])
        await expect(page.locator("#timeline")).to_contain_text("MailReceived")
        await expect(page.locator("#item-timers")).to_contain_text("TT-email-72h")
        await ops.shot("work-item")
        assert ops.outside.seen == []
    finally:
        await context.close()

    context, agent = await signed_in(chromium, console, stack.keys[Role.AGENT])
    page = agent.page
    try:  # the customer disputes it and no call recording backs it: void, the claim is due again
        await page.goto(f"/compensation?claim={claim['claim_id']}")
        assert await page.locator("[data-action=record-exemption]").count() == 0
        await page.get_by_label("争议说明").fill("客户否认曾要求改天")
        await page.get_by_role("button", name="登记争议").click()
        await expect(page.locator(".flash.ok")).to_be_visible()
        await expect(page.locator("#exemptions [data-state]")).to_have_attribute("data-state", "void")
        await expect(page.locator("#claim [data-claim-status]")).to_have_text("due")
        await agent.shot("compensation-dispute")
        assert agent.outside.seen == []
    finally:
        await context.close()


async def test_a_role_without_rights_sees_no_button_and_gets_403(stack: Stack, chromium: Any, console: str) -> None:
    from playwright.async_api import expect

    context, finance = await signed_in(chromium, console, stack.keys[Role.FINANCE])
    page = finance.page
    try:
        await page.goto("/penalties")  # finance reads the ledger, may not review or close it
        await expect(page.locator("h1")).to_contain_text("考核月度")
        assert await page.locator("[data-action=confirm], [data-action=close-month]").count() == 0
        for path in ("/board", "/dead-letters"):
            response = await page.goto(path)
            assert response is not None and response.status == 403
            await expect(page.locator("h1")).to_have_text("无权访问")
        await finance.shot("forbidden")
        assert finance.outside.seen == []
    finally:
        await context.close()
    context, agent = await signed_in(chromium, console, stack.keys[Role.AGENT])
    try:
        await agent.page.goto("/compensation")  # agents read claims; payouts are finance's
        assert await agent.page.locator("[data-action=cut-batch], [data-action=mark-paid]").count() == 0
        response = await agent.page.goto("/penalties")
        assert response is not None and response.status == 403
    finally:
        await context.close()


async def test_sign_in_is_a_signed_http_only_strict_cookie_and_a_bad_key_is_refused(
        stack: Stack, chromium: Any, console: str) -> None:
    context, ops = await signed_in(chromium, console, stack.keys[Role.OPS])
    try:
        [cookie] = [c for c in await context.cookies() if c["name"] == "gongdan_console"]
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
        assert stack.keys[Role.OPS] not in cookie["value"]  # the key stays on the server
        await context.add_cookies([{**cookie, "value": cookie["value"][:-2] + "xx"}])  # tampered
        await ops.page.goto("/board")
        assert "/login" in ops.page.url
    finally:
        await context.close()
    context, nobody = await signed_in(chromium, console, "not-a-key-of-anyone-here")
    try:
        assert "/login" in nobody.page.url and await nobody.page.locator(".flash.bad").count() == 1
    finally:
        await context.close()


async def test_api_docs_load_without_any_outside_request(stack: Stack, chromium: Any) -> None:
    from playwright.async_api import expect

    async with serving(stack.apps["dispatch"]) as url:
        context = await chromium.new_context(base_url=url)
        outside = OutsideRequests(url)
        await context.route("**/*", outside.route)
        page = await context.new_page()
        try:
            await page.goto("/docs")
            await expect(page.locator(".swagger-ui .info")).to_contain_text("Gongdan dispatch", timeout=20_000)
            await page.goto("/redoc")
            await expect(page.locator("redoc, [role=main], .redoc-wrap").first).to_be_attached(timeout=20_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "docs-redoc.png"))
            assert outside.seen == []
        finally:
            await context.close()


def _fault() -> dict[str, Any]:
    from tests.support.tickets import fault_report

    return fault_report()


async def _work_item(stack: Stack, path: str, body: dict[str, Any]) -> dict:
    role = Role.NMS if path == "/network-faults" else Role.SUPERVISOR
    r = await stack.clients["dispatch"].post(path, json=body, headers=stack.auth(role))
    assert r.status_code == 201, r.text
    return r.json()


async def _timer(stack: Stack, item_id: str, state: str) -> dict | None:
    found = await timers(stack, uuid.UUID(item_id))
    return next((t for t in found if t["state"] == state), None)


async def _entries(stack: Stack, tid: str) -> list[dict] | None:
    r = await stack.clients["penalty"].get(f"/tickets/{tid}/penalties", headers=stack.auth(Role.OPS))
    return (r.json()["entries"] or None) if r.status_code == 200 else None


async def _entry(stack: Stack, entry_id: str) -> dict:
    return (await stack.clients["penalty"].get(f"/penalties/{entry_id}", headers=stack.auth(Role.OPS))).json()
