"""Issue 8, the organisation: admin keeps departments, people and districts in dispatch; every service keeps a copy;
dispatch refuses names the directory lacks; outages are matched to callers by district; a file loads all at once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.catalog import SERVICE_NAMES
from services.cli.directory import parse_directory_file
from shared.http.auth import Role
from tests.support.lifecycle import command, new_ticket, ok
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration
COPIES = [name for name in SERVICE_NAMES if name not in ("dispatch", "console")]  # the console keeps none


def _u() -> str:
    return uuid.uuid4().hex[:8]


async def admin(stack: Stack, method: str, path: str, body: dict[str, Any], key: str | None = None,
                role: Role = Role.ADMIN) -> httpx.Response:
    headers = stack.auth(role) | ({"Idempotency-Key": key} if key else {})
    return await stack.clients["dispatch"].request(method, path, json=body, headers=headers)


async def created(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await admin(stack, "POST", path, body)
    assert response.status_code == 201, response.text
    return response.json()["entry"]


async def copy_has(stack: Stack, service: str, path: str, version: int) -> dict[str, Any]:
    """The entry as `service`'s copy has it, once it has that version."""
    async def check() -> dict[str, Any] | None:
        response = await stack.clients[service].get(path, headers=stack.auth(Role.OPS))
        return response.json() if response.status_code == 200 and response.json()["version"] >= version else None

    return await eventually(check, timeout=20)


async def test_admin_keeps_the_directory_and_every_service_has_a_copy(stack: Stack) -> None:
    u = _u()
    district = await created(stack, "/directory/districts", {
        "id": f"sx-{u}", "name": f"索{u}镇", "area_type": "rural", "ct_same_day_opt_in": True})
    assert (district["version"], district["area_type"], district["ct_same_day_opt_in"]) == (1, "rural", True)
    parent = await created(stack, "/directory/departments", {"id": f"ops-{u}", "name": "网络运维部"})
    body = {"id": f"out-{u}", "name": "装维外包", "parent": parent["id"], "kind": "contractor",
            "districts": [district["id"]]}
    first = await admin(stack, "POST", "/directory/departments", body, key=f"dept-{u}")
    assert first.status_code == 201 and first.json()["event_id"]
    replay = await admin(stack, "POST", "/directory/departments", body, key=f"dept-{u}")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == first.json()
    twice = await admin(stack, "POST", "/directory/departments", body)
    assert twice.status_code == 409
    head = await created(stack, "/directory/people", {
        "id": f"head-{u}", "name": "刘洋", "role": "manager", "department": f"out-{u}"})
    tech = await created(stack, "/directory/people", {
        "id": f"tech-{u}", "name": "王伟", "role": "technician", "department": f"out-{u}", "leader": head["id"]})
    assert tech["leader"] == head["id"]

    patched = await admin(stack, "PATCH", f"/directory/departments/out-{u}", {"head": head["id"]})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["entry"]["version"], patched.json()["entry"]["head"]) == (2, head["id"])
    same = await admin(stack, "PATCH", f"/directory/departments/out-{u}", {"head": head["id"]})
    assert same.json()["event_id"] is None and same.json()["entry"]["version"] == 2  # no change, no event

    # Refusals: the field at fault is named; nothing is stored.
    bad = await admin(stack, "POST", "/directory/people", {
        "id": f"ghost-{u}", "name": "x", "role": "technician", "department": "no-such-dept", "leader": f"ghost-{u}"})
    assert bad.status_code == 422
    assert {(f["field"], f["rule"]) for f in bad.json()["error"]["fields"]} == {
        ("department", "directory_reference"), ("leader", "directory_loop")}
    loop = await admin(stack, "PATCH", f"/directory/departments/ops-{u}", {"parent": f"out-{u}"})
    assert loop.status_code == 422 and loop.json()["error"]["fields"][0]["field"] == "parent"
    malformed = await admin(stack, "POST", "/directory/districts", {"id": f"z-{u}", "name": "z", "area_type": "moon"})
    assert malformed.status_code == 422 and malformed.json()["error"]["fields"][0]["field"] == "area_type"
    missing = await admin(stack, "PATCH", f"/directory/people/nobody-{u}", {"name": "x"})
    assert missing.status_code == 404
    assert (await admin(stack, "POST", "/directory/districts", {"id": f"y-{u}", "name": "y", "area_type": "rural"},
                        role=Role.DISPATCHER)).status_code == 403

    # Everyone reads dispatch's directory; every other service has its own copy.
    desk = stack.auth(Role.DISPATCHER)
    listed = (await stack.clients["dispatch"].get("/directory/people", params={"department": f"out-{u}"},
                                                  headers=desk)).json()
    assert [p["id"] for p in listed["items"]] == sorted([head["id"], tech["id"]])
    assert (await stack.clients["dispatch"].get(f"/directory/people/ghost-{u}", headers=desk)).status_code == 404
    unknown_filter = await stack.clients["dispatch"].get("/directory/people", params={"colour": "red"}, headers=desk)
    assert unknown_filter.status_code == 422
    for service in COPIES:
        department = await copy_has(stack, service, f"/directory/departments/out-{u}", version=2)
        assert (department["head"], department["kind"], department["districts"]) == (
            head["id"], "contractor", [district["id"]])
        person = await copy_has(stack, service, f"/directory/people/tech-{u}", version=1)
        assert (person["department"], person["leader"], person["role"]) == (f"out-{u}", head["id"], "technician")
        copied = await copy_has(stack, service, f"/directory/districts/sx-{u}", version=1)
        assert (copied["area_type"], copied["ct_same_day_opt_in"]) == ("rural", True)

    # The copy is the service's own table (what penalty and compensation will read payers and districts from).
    penalty = stack.runtime("penalty")
    from services.penalty.adapters.tables import directory as penalty_directory

    async with penalty.engine.connect() as conn:
        row = (await conn.execute(select(penalty_directory.departments)
                                  .where(penalty_directory.departments.c.id == f"out-{u}"))).mappings().one()
    assert (row["head"], row["parent"], row["version"]) == (head["id"], f"ops-{u}", 2)


async def test_dispatch_refuses_a_department_or_technician_the_directory_lacks(stack: Stack) -> None:
    u = _u()
    await created(stack, "/directory/departments", {"id": f"maint-{u}", "name": "维护"})
    await created(stack, "/directory/people", {"id": f"wang-{u}", "name": "王", "role": "technician"})
    tid = (await new_ticket(stack, fault_report()))["ticket_id"]

    unknown = await command(stack, tid, "dispatch", Role.DISPATCHER, {"department": "network-maintenance-typo"})
    assert unknown.status_code == 422
    [field] = unknown.json()["error"]["fields"]
    assert (field["field"], field["in"], field["rule"]) == ("department", "body", "directory_reference")
    nobody = await command(stack, tid, "dispatch", Role.DISPATCHER,
                           {"department": f"maint-{u}", "technician": f"nobody-{u}"})
    assert nobody.status_code == 422 and nobody.json()["error"]["fields"][0]["field"] == "technician"

    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": f"maint-{u}", "technician": f"wang-{u}"})
    retired = await admin(stack, "PATCH", f"/directory/departments/maint-{u}", {"active": False})
    assert retired.status_code == 200
    again = await command(stack, tid, "redispatch", Role.DISPATCHER,
                          {"department": f"maint-{u}", "reason": "handover"})
    assert again.status_code == 422 and "retired" in again.json()["error"]["fields"][0]["message"]
    complaint = await command(stack, tid, "escalation-complaints", Role.AGENT, {
        "level": "city-12315", "description": "向12315投诉", "responsible_department": f"gone-{u}"})
    assert complaint.status_code == 422
    assert complaint.json()["error"]["fields"][0]["field"] == "responsible_department"
    view = (await stack.clients["dispatch"].get(f"/tickets/{tid}", headers=stack.auth(Role.DISPATCHER))).json()
    assert view["department"] == f"maint-{u}"  # the refused commands changed nothing


async def _declare(stack: Stack, body: dict[str, Any]) -> dict[str, Any]:
    now = stack.clock.now()
    response = await stack.clients["dispatch"].post("/incidents", headers=stack.auth(Role.OPS), json={
        "cause": "光缆中断", "products": ["ftth-broadband"], "starts_at": (now - timedelta(minutes=5)).isoformat(),
        **body})
    assert response.status_code == 201, response.text
    return (await stack.clients["dispatch"].get(f"/incidents/{response.json()['incident_id']}",
                                                headers=stack.auth(Role.OPS))).json()


async def _caller(stack: Stack, address: str, **extra: Any) -> httpx.Response:
    body = fault_report(product="ftth-broadband", duplicate_override=True, **extra)
    body["customer"] |= {"address": address, "account": f"DIR-{_u()}"}
    return await post_ticket(stack, body)


def _told(response: httpx.Response) -> set[str]:
    assert response.status_code == 201, response.text
    return {i["incident_id"] for i in response.json()["incidents"]}


async def test_outages_reach_callers_by_district_not_by_a_digit_in_their_address(stack: Stack) -> None:
    u = _u()
    # The bug: an outage for area "1" was announced to every caller whose address holds a 1.
    one = (await _declare(stack, {"area": "1"}))["incident_id"]

    async def area_one_told() -> bool:  # intake has the outage: a caller naming area "1" hears of it
        return one in _told(await _caller(stack, f"{u}路7号", area="1"))

    await eventually(area_one_told, timeout=20)
    assert one not in _told(await _caller(stack, "江汉区新华路1号"))

    jh, hy = f"jh-{u}", f"hy-{u}"
    await created(stack, "/directory/districts", {"id": jh, "name": f"江{u}区", "area_type": "city-centre"})
    await created(stack, "/directory/districts", {"id": hy, "name": f"汉{u}区", "area_type": "rural",
                                                  "aliases": [f"汉{u}"]})
    for district in (jh, hy):
        await copy_has(stack, "intake", f"/directory/districts/{district}", version=1)
    by_district = await _declare(stack, {"area": f"江{u}区 (OLT-3)", "districts": [jh]})
    assert by_district["districts"] == [jh]
    by_name = await _declare(stack, {"area": f"汉{u}"})  # an area naming a district is that district
    assert by_name["districts"] == [hy]

    async def jh_told() -> httpx.Response | None:
        response = await _caller(stack, f"江{u}区新华路1号")
        return response if by_district["incident_id"] in _told(response) else None

    in_jh = await eventually(jh_told, timeout=20)
    assert _told(in_jh) == {by_district["incident_id"]}  # not the "1" outage, not the other district's
    ticket = (await stack.clients["intake"].get(f"/tickets/{in_jh.json()['ticket_id']}",
                                                headers=stack.auth(Role.AGENT))).json()
    assert (ticket["district"], ticket["area_type"]) == (jh, "city-centre")  # found in the address

    async def hy_told() -> httpx.Response | None:  # its own stream: intake may have it after jh's
        response = await _caller(stack, f"某市汉{u}区新华路1号")
        return response if by_name["incident_id"] in _told(response) else None

    in_hy = await eventually(hy_told, timeout=20)
    assert _told(in_hy) == {by_name["incident_id"]}
    hy_ticket = (await stack.clients["intake"].get(f"/tickets/{in_hy.json()['ticket_id']}",
                                                   headers=stack.auth(Role.AGENT))).json()
    assert (hy_ticket["district"], hy_ticket["area_type"]) == (hy, "rural")

    given = await _caller(stack, "新华路1号", district=jh, area_type="county-town")  # given at intake
    assert _told(given) == {by_district["incident_id"]}
    given_ticket = (await stack.clients["intake"].get(f"/tickets/{given.json()['ticket_id']}",
                                                      headers=stack.auth(Role.AGENT))).json()
    assert (given_ticket["district"], given_ticket["area_type"]) == (jh, "county-town")  # the caller's type wins

    unknown = await _caller(stack, "新华路1号", district=f"nowhere-{u}")
    assert unknown.status_code == 422 and unknown.json()["error"]["fields"][0]["field"] == "district"
    bad_outage = await stack.clients["dispatch"].post("/incidents", headers=stack.auth(Role.OPS), json={
        "area": "x", "districts": [f"nowhere-{u}"], "cause": "c", "starts_at": stack.clock.now().isoformat()})
    assert bad_outage.status_code == 422 and bad_outage.json()["error"]["fields"][0]["field"] == "districts.0"

    for incident in (one, by_district["incident_id"], by_name["incident_id"]):
        restored = await stack.clients["dispatch"].post(f"/incidents/{incident}/restore", json={},
                                                        headers=stack.auth(Role.OPS))
        assert restored.status_code == 200


YAML = """
districts:
  - {{id: d-{u}, name: 蔡{u}区, area_type: county-town}}
departments:
  - {{id: root-{u}, name: 总部, head: boss-{u}}}
  - {{id: sub-{u}, name: 外包, parent: root-{u}, kind: contractor, districts: [d-{u}]}}
people:
  - {{id: boss-{u}, name: 赵, role: manager, department: root-{u}}}
  - {{id: tech-{u}, name: 李, role: technician, department: sub-{u}, leader: boss-{u}}}
"""
CSV = """type,id,name,role,department,leader,active
person,tech-{u},李雷,technician,sub-{u},boss-{u},
person,new-{u},韩梅梅,technician,sub-{u},tech-{u},false
"""


async def load(stack: Stack, path: Path) -> httpx.Response:
    document, _ = parse_directory_file(path)  # what `gongdan directory load FILE` sends
    return await admin(stack, "POST", "/directory/load", document)


async def test_a_first_deployment_loads_its_directory_from_yaml_then_csv(stack: Stack, tmp_path: Path) -> None:
    u = _u()
    (tmp_path / "org.yaml").write_text(YAML.format(u=u), encoding="utf-8")
    (tmp_path / "more.csv").write_text(CSV.format(u=u), encoding="utf-8")
    (tmp_path / "bad.csv").write_text(f"type,id,name,role,leader\nperson,lost-{u},x,staff,nobody-{u}\n"
                                      f"department,half-{u},半,,\n", encoding="utf-8")

    first = await load(stack, tmp_path / "org.yaml")
    assert first.status_code == 200, first.text
    assert (first.json()["changes"], first.json()["people"], first.json()["departments"]) == (
        5, {"created": 2, "updated": 0}, {"created": 2, "updated": 0})
    again = await load(stack, tmp_path / "org.yaml")
    assert (again.json()["changes"], again.json()["unchanged"]) == (0, 5)

    more = await load(stack, tmp_path / "more.csv")
    assert more.status_code == 200 and more.json()["people"] == {"created": 1, "updated": 1}
    desk = stack.auth(Role.DISPATCHER)
    tech = (await stack.clients["dispatch"].get(f"/directory/people/tech-{u}", headers=desk)).json()
    assert (tech["name"], tech["leader"], tech["version"]) == ("李雷", f"boss-{u}", 2)
    new = (await stack.clients["dispatch"].get(f"/directory/people/new-{u}", headers=desk)).json()
    assert new["active"] is False

    bad = await load(stack, tmp_path / "bad.csv")
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["people.0.leader"]
    assert (await stack.clients["dispatch"].get(f"/directory/departments/half-{u}", headers=desk)).status_code \
        == 404  # all or nothing

    await copy_has(stack, "compensation", f"/directory/departments/sub-{u}", version=1)
    district = await copy_has(stack, "compensation", f"/directory/districts/d-{u}", version=1)
    assert district["area_type"] == "county-town"
    tid = (await new_ticket(stack, fault_report()))["ticket_id"]  # a loaded technician takes work at once
    await ok(stack, tid, "dispatch", Role.DISPATCHER, {"department": f"sub-{u}", "technician": f"tech-{u}"})
