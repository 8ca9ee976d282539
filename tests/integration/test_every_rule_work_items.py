"""Issue 8, the rows of test_every_rule.py for work that is not a customer ticket: every shipped rule on network and
system faults (CS-25/32/33, NJ-4.3.2e), internal mail (TT-8.2) and web-forum posts (CS-8) runs from its start
event to its stop event through the dispatch HTTP API, on the SLA monitor that runs every shipped pack at once:
`met` when stopped in time, `breached` then `late` when not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from shared.http.auth import Role
from tests.integration.test_every_rule import ended, past_the_breach
from tests.support.all_packs import Monitor
from tests.support.stack import Stack, eventually
from tests.support.work_item_rules import WORK_ITEM_RULES

pytestmark = pytest.mark.integration
Step = Callable[[Stack, str], Awaitable[Any]]
REPLY = {"cause": "光缆被挖断 (fibre cut)", "result": "熔接恢复 (spliced)"}


@dataclass(frozen=True)
class Opener:
    """The request that opens the item (its start event), the key of the id in the answer, who pays a breach."""

    path: str
    role: Role
    body: dict[str, Any]
    id_key: str
    department: str


def fault(layer: str, severity: str = "general", **extra: Any) -> Opener:
    return Opener("/network-faults", Role.NMS, {"layer": layer, "severity": severity, "department": "network-ops",
                                                "description": f"{layer} 告警 (alarm)", **extra}, "fault_id", "network-ops")


MAIL = Opener("/mail", Role.AGENT, {"subject": "机房巡检安排", "sender": "网络部", "department": "jianghan-maint"},
              "mail_id", "jianghan-maint")
POST = Opener("/forum-posts", Role.AGENT, {"forum": "宽带专区", "title": "晚上网速慢", "author": "netizen-9"}, "post_id",
              "customer-service")  # CS-8: customer service answers the forum unless told otherwise


def act(path: str, role: Role, body: dict[str, Any] | None = None) -> Step:
    """POST `path` ("{id}" is the item's id) as `role`."""
    async def step(stack: Stack, item_id: str) -> Any:
        url = path.format(id=item_id)
        response = await stack.clients["dispatch"].post(url, json=body or {}, headers=stack.auth(role))
        assert response.status_code == 200, (url, response.text)
        return response.json()
    return step


F = "/network-faults/{id}"
ARRIVE = act(f"{F}/arrival", Role.TECHNICIAN)
RESPOND = act(f"{F}/respond", Role.HANDLER, {"technician": "wang-wei"})
FIX = act(f"{F}/fix", Role.TECHNICIAN, {"result": "更换板卡"})
REPLIED = act(f"{F}/reply", Role.HANDLER, REPLY)
TOLD = act(f"{F}/cs-notifications", Role.AGENT, {"notified": "cs-lead", "message": "前端故障, 预计 1 小时恢复"})


@dataclass(frozen=True)
class Row:
    rule_id: str
    opener: Opener
    to_stop: tuple[Step, ...]


ROWS = [
    Row("CS-backbone-onsite-40m", fault("backbone"), (ARRIVE,)),
    Row("CS-backbone-fix-2h", fault("backbone", "major"), (FIX,)),
    Row("CS-aggregation-onsite-1h", fault("aggregation"), (ARRIVE,)),
    Row("CS-aggregation-fix-2h", fault("aggregation"), (FIX, REPLIED)),  # fixed and replied
    Row("CS-access-response-30m", fault("access"), (RESPOND,)),
    Row("CS-access-fix-24h", fault("access"), (ARRIVE, FIX, REPLIED)),
    Row("CS-boss-general-1h", fault("boss"), (act(f"{F}/fix", Role.NMS),)),  # the alarm cleared
    Row("CS-boss-major-3h", fault("lan", "major"), (FIX,)),
    Row("CS-callsys-general-30m", fault("call-system"), (FIX,)),
    Row("CS-callsys-major-2h", fault("call-system", "major"), (FIX,)),
    Row("NJ-fault-notify-10m", fault("headend", staffed_room=True), (TOLD,)),
    Row("TT-email-72h", MAIL, (act("/mail/{id}/reply", Role.HANDLER, {"summary": "已安排"}),)),
    Row("CS-forum-4h", POST, (act("/forum-posts/{id}/reply", Role.AGENT, {"summary": "已回复"}),)),
]


def test_every_work_item_rule_has_a_row() -> None:
    assert sorted(r.rule_id for r in ROWS) == sorted(WORK_ITEM_RULES)


@pytest.mark.parametrize("late", [False, True], ids=["met", "late"])
@pytest.mark.parametrize("case", ROWS, ids=[r.rule_id for r in ROWS])
async def test_work_item_rule_runs_from_its_start_to_its_stop(stack: Stack, monitor: Monitor, case: Row,
                                                              late: bool) -> None:
    item_id = await open_item(stack, case.opener)
    await eventually(lambda: monitor.timer(item_id, case.rule_id), timeout=20)
    if late:
        await past_the_breach(stack, monitor, item_id, case.rule_id)
    for step in case.to_stop:
        await step(stack, item_id)
    timer = await ended(monitor, item_id, case.rule_id, "late" if late else "met")
    assert timer["department"] == case.opener.department  # who pays a breach (RULEBOOK §9.3)


async def open_item(stack: Stack, opener: Opener) -> str:
    opened = await stack.clients["dispatch"].post(opener.path, json=opener.body, headers=stack.auth(opener.role))
    assert opened.status_code == 201, opened.text
    return str(opened.json()[opener.id_key])


async def rules_started(monitor: Monitor, item_id: str, expected: int) -> list[str] | None:
    response = await monitor.client.get(f"/tickets/{item_id}/timers", headers=monitor.stack.auth(Role.OPS))
    rules = [t["rule_id"] for t in response.json()["timers"]] if response.status_code == 200 else []
    return rules if len(rules) >= expected else None


@pytest.mark.parametrize(("opener", "rules"), [
    (fault("boss"), ["CS-boss-general-1h"]),
    (fault("boss", "major"), ["CS-boss-major-3h"]),  # the more specific rule of the family (§9.11)
    (fault("headend"), []),  # not in a staffed room: no NJ-4.3.2e timer
    (fault("aggregation", "major", staffed_room=True),
     ["CS-aggregation-fix-2h", "CS-aggregation-onsite-1h", "NJ-fault-notify-10m"]),
], ids=["boss-general", "boss-major", "headend-unstaffed", "aggregation-staffed"])
async def test_layer_severity_and_room_pick_the_rules(stack: Stack, monitor: Monitor, opener: Opener,
                                                      rules: list[str]) -> None:
    item_id = await open_item(stack, opener)
    if rules:
        assert sorted(await eventually(lambda: rules_started(monitor, item_id, len(rules)), timeout=20)) == rules
    marker = await open_item(stack, MAIL)  # opened after: once its timer is there, the fault's would be too
    await eventually(lambda: rules_started(monitor, marker, 1), timeout=20)
    assert sorted(await rules_started(monitor, item_id, 0) or []) == rules
