"""Issue 12's reports and reads through the real stack: the NJ table-4 complaint statistics and the satisfaction
report from penalty's stored ticket events (JSON, CSV, XLSX; a bad period named), and compensation's read of the
exemptions and disputes behind a claim (CT-3.2, CT-3.3.1)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from shared.http.auth import Role
from tests.integration.test_compensation_claims import ct, next_local, settled, work_and_resolve
from tests.support.lifecycle import new_ticket, ok
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_month(stack: Stack) -> str:
    return stack.clock.now().astimezone(SHANGHAI).strftime("%Y-%m")


async def get(stack: Stack, service: str, path: str, role: Role, **params: Any) -> httpx.Response:
    return await stack.clients[service].get(path, params=params, headers=stack.auth(role))


async def department(stack: Stack, prefix: str) -> str:
    """A department of its own in the directory, so its figures are this test's alone."""
    dept = f"{prefix}-{uuid.uuid4().hex[:6]}"
    r = await stack.clients["dispatch"].post("/directory/departments", json={"id": dept, "name": dept},
                                             headers=stack.auth(Role.ADMIN))
    assert r.status_code == 201, r.text
    return dept


def complaint(description: str, **more: Any) -> dict[str, Any]:
    return fault_report(kind="complaint", description=description, complaint_class="regular", **more)


async def resolved(stack: Stack, tid: str, department: str, cause: str) -> None:
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": department})
    await ok(stack, tid, "accept", Role.HANDLER, {})
    await ok(stack, tid, "contact", Role.TECHNICIAN, {"note": "已联系"})
    await ok(stack, tid, "resolve", Role.TECHNICIAN, {"completed_at": stack.clock.now().isoformat(), "cause": cause,
                                                      "result": "已处理"})


def rows_with(body: dict[str, Any], ids: set[str]) -> dict[tuple[str, str | None], set[str]]:
    """Table 4's rows that hold any of these tickets, with which."""
    out = {}
    for r in body["rows"]:
        mine = {c["ticket_id"] for c in r["complaints"]} & ids
        if mine:
            out[(r["category"], r["subcategory"])] = mine
    return out


async def test_complaints_are_counted_in_their_table4_rows_as_json_csv_and_xlsx(stack: Stack) -> None:
    slow = (await new_ticket(stack, complaint("宽带网速慢，晚上卡顿", product="ftth-broadband")))["ticket_id"]
    rude = (await new_ticket(stack, complaint("装维人员态度恶劣")))["ticket_id"]
    linked = (await new_ticket(stack, complaint("投诉处理不及时的问题", product="catv")))["ticket_id"]
    repair = (await new_ticket(stack, fault_report(description="网速慢")))["ticket_id"]  # a fault: not counted
    month = local_month(stack)
    await resolved(stack, slow, "jianghan-maint", "光猫老化")
    fault = await stack.clients["dispatch"].post(
        "/network-faults", headers=stack.auth(Role.NMS),
        json={"layer": "egress", "severity": "major", "description": "出口拥塞", "department": "network-ops"})
    assert fault.status_code == 201, fault.text
    link = await stack.clients["dispatch"].post(f"/network-faults/{fault.json()['fault_id']}/links",
                                                headers=stack.auth(Role.DISPATCHER), json={"ticket_ids": [linked]})
    assert link.status_code == 200, link.text
    ids = {slow, rude, linked, repair}
    expected = {("broadband", "slow"): {slow}, ("service-norms", None): {rude}, ("broadband", "egress"): {linked}}

    async def counted() -> dict | None:
        r = await get(stack, "penalty", "/reports/complaints", Role.OPS, month=month)
        assert r.status_code == 200, r.text
        body = r.json()
        found = rows_with(body, ids)
        slow_row = next(x for x in body["rows"] if (x["category"], x["subcategory"]) == ("broadband", "slow"))
        return body if found == expected and {"cause": "光猫老化", "count": 1} in slow_row["causes"] else None

    body = await eventually(counted, timeout=30)
    assert body["month"] == month and len(body["rows"]) == 21
    assert body["total"] == sum(r["count"] for r in body["rows"]) >= 3
    shown = {c["ticket_id"]: c for r in body["rows"] for c in r["complaints"]}
    assert (shown[linked]["by"], shown[linked]["evidence"]) == ("fault-layer", f"{fault.json()['number']}: egress")
    assert (shown[slow]["by"], shown[slow]["evidence"], shown[slow]["department"]) == ("keyword", "网速",
                                                                                       "jianghan-maint")

    as_csv = await get(stack, "penalty", "/reports/complaints", Role.FINANCE, month=month, format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(lines) == 21 and lines[0]["类型"] == "政策宣传类"
    slow_line = next(x for x in lines if (x["category"], x["subcategory"]) == ("broadband", "slow"))
    assert slow_line["具体类别"] == "网速慢" and "光猫老化" in slow_line["cause_analysis"]
    assert shown[slow]["number"] in slow_line["tickets"].split() and "宽带网速慢" in slow_line["content"]

    as_xlsx = await get(stack, "penalty", "/reports/complaints", Role.OPS, month=month, format="xlsx")
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert book.sheetnames == [f"表四 {month}", "complaints"]
    detail = [row for row in book["complaints"].iter_rows(values_only=True)]
    assert detail[0][:4] == ("number", "ticket_id", "received_at", "category")
    assert (shown[rude]["number"], rude, "service-norms") in {(r[0], r[1], r[3]) for r in detail[1:]}


async def test_a_complaint_report_names_a_bad_month_and_refuses_a_role_without_it(stack: Stack) -> None:
    bad = await get(stack, "penalty", "/reports/complaints", Role.OPS, month="2026-13")
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "month"
    missing = await get(stack, "penalty", "/reports/complaints", Role.OPS)
    assert missing.status_code == 422 and missing.json()["error"]["fields"][0]["field"] == "month"
    fmt = await get(stack, "penalty", "/reports/complaints", Role.OPS, month="2026-03", format="pdf")
    assert fmt.status_code == 422 and fmt.json()["error"]["fields"][0]["field"] == "format"
    assert (await get(stack, "penalty", "/reports/complaints", Role.AGENT, month="2026-03")).status_code == 403
    both = await get(stack, "penalty", "/reports/satisfaction", Role.OPS, month="2026-03", year="2026")
    assert both.status_code == 422 and {f["field"] for f in both.json()["error"]["fields"]} == {"month", "year"}
    none = await get(stack, "penalty", "/reports/satisfaction", Role.OPS)
    assert none.status_code == 422 and none.json()["error"]["fields"][0]["rule"] == "period"
    quarter = await get(stack, "penalty", "/reports/satisfaction", Role.OPS, quarter="2026-Q5")
    assert quarter.status_code == 422 and quarter.json()["error"]["fields"][0]["field"] == "quarter"


async def test_satisfaction_per_department_from_real_callbacks(stack: Stack) -> None:
    dept = await department(stack, "sat")
    month = local_month(stack)
    answers = ({"reached": True, "satisfied": True, "satisfaction_score": 5},
               {"reached": True, "satisfied": False, "satisfaction_score": 2},
               {"reached": False})
    numbers = []
    for answer in answers:
        created = await new_ticket(stack, fault_report())
        tid = created["ticket_id"]
        numbers.append(created["number"])
        await resolved(stack, tid, dept, "线路故障")
        await ok(stack, tid, "callbacks", Role.AGENT, answer)

    async def row() -> dict | None:
        r = await get(stack, "penalty", "/reports/satisfaction", Role.FINANCE, month=month)
        assert r.status_code == 200, r.text
        found = next((x for x in r.json()["rows"] if x["department"] == dept), None)
        return found if found and found["callbacks"] == 3 else None

    mine = await eventually(row, timeout=30)
    assert (mine["reached"], mine["asked"], mine["satisfied"], mine["dissatisfied"], mine["rate_percent"]) == (
        2, 2, 1, 1, "50.00")
    assert (mine["average_score"], mine["scores"], mine["dissatisfied_tickets"]) == ("3.50", [0, 1, 0, 0, 1],
                                                                                     [numbers[1]])
    year = month[:4]
    quarter = f"{year}-Q{(int(month[5:]) - 1) // 3 + 1}"
    for params in ({"quarter": quarter}, {"year": year}):
        body = (await get(stack, "penalty", "/reports/satisfaction", Role.OPS, **params)).json()
        assert month in body["months"] and next(x for x in body["rows"] if x["department"] == dept)["asked"] == 2
        assert body["total"]["asked"] >= 2
    as_csv = await get(stack, "penalty", "/reports/satisfaction", Role.OPS, month=month, format="csv")
    lines = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert next(x for x in lines if x["department"] == dept)["rate_percent"] == "50.00"
    assert lines[-1]["department"] == "total"
    as_xlsx = await get(stack, "penalty", "/reports/satisfaction", Role.OPS, month=month, format="xlsx")
    assert load_workbook(io.BytesIO(as_xlsx.content)).sheetnames == [f"satisfaction {month}", "by kind"]


async def test_the_exemptions_and_disputes_of_a_claim_are_read_back_with_their_verdict(stack: Stack) -> None:
    next_local(stack, 10)
    tid = (await new_ticket(stack, ct("fault")))["ticket_id"]
    stack.clock.advance(timedelta(days=1, hours=15))
    await work_and_resolve(stack, tid)
    claim = await settled(stack, tid, "due")
    empty = await get(stack, "compensation", f"/tickets/{tid}/exemptions", Role.FINANCE)
    assert empty.status_code == 200 and empty.json()["exemptions"] == []
    ct_codes = next(c for c in empty.json()["codes"] if "force-majeure" in c["reasons"])
    assert "typhoon" in ct_codes["force_majeure"] and ct_codes["dispute_clause"] == "CT-3.3.1"

    recorded = await stack.clients["compensation"].post(
        f"/tickets/{tid}/exemptions", headers=stack.auth(Role.OPS),
        json={"code": "customer-caused", "note": "客户要求改天", "promise": claim["promise"]})
    assert recorded.status_code == 201, recorded.text
    eid = recorded.json()["exemption_id"]
    [shown] = (await get(stack, "compensation", f"/tickets/{tid}/exemptions", Role.AGENT)).json()["exemptions"]
    assert (shown["code"], shown["recorded_by"], shown["disputed"], shown["stands"], shown["claims"]) == (
        "customer-caused", "test-ops", False, True, [claim["claim_id"]])

    disputed = await stack.clients["compensation"].post(f"/exemptions/{eid}/disputes", headers=stack.auth(Role.AGENT),
                                                        json={"note": "客户否认"})
    assert disputed.status_code == 200, disputed.text
    [shown] = (await get(stack, "compensation", f"/tickets/{tid}/exemptions", Role.FINANCE)).json()["exemptions"]
    assert (shown["disputed"], shown["disputed_by"], shown["dispute_note"], shown["stands"]) == (
        True, "test-agent", "客户否认", False)
    assert "customer's account prevails" in shown["standing"]
    listed = (await get(stack, "compensation", "/exemptions", Role.FINANCE, disputed="true")).json()["exemptions"]
    assert eid in {e["exemption_id"] for e in listed} and all(e["disputed"] for e in listed)
    undisputed = (await get(stack, "compensation", "/exemptions", Role.FINANCE, disputed="false")).json()
    assert eid not in {e["exemption_id"] for e in undisputed["exemptions"]}
    unknown = await get(stack, "compensation", f"/tickets/{uuid.uuid4()}/exemptions", Role.FINANCE)
    assert unknown.status_code == 404
    assert (await get(stack, "compensation", "/exemptions", Role.TECHNICIAN)).status_code == 403
