"""Issue 8: every timer rule of every shipped pack runs on events a real API produces. One row per rule drives it
from its start to its stop through the HTTP APIs, once in time (`met`) and once too late (`late`, after the
breach fired). An SLA monitor of its own runs every shipped pack at once (tests/policies/every-shipped-rule.yaml);
its outbox is not published, so the rest of the stack never sees its events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.http.auth import Role
from shared.policy import load_policy
from shared.policy.loader import SHIPPED_PACKS, load_pack
from tests.support.all_packs import EVERY_RULE, Monitor
from tests.support.lifecycle import new_ticket, ok, window
from tests.support.stack import Stack, eventually
from tests.support.tickets import fault_report

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
Step = Callable[[Stack, str], Awaitable[Any]]


# --- steps through the HTTP APIs -----------------------------------------------------------------------------


def body(kind: str = "fault", **extra: Any) -> dict[str, Any]:
    """A ticket's shape; each run logs a fresh customer (`fault_report`), so no report repeats another."""
    return {"kind": kind, "area_type": "city-centre", **extra}


def cmd(path: str, role: Role, data: dict[str, Any] | None = None) -> Step:
    async def step(stack: Stack, tid: str) -> Any:
        payload = data(stack) if callable(data) else data
        return await ok(stack, tid, path, role, payload or {})
    return step


DISPATCH = cmd("dispatch", Role.DISPATCHER, {"department": "backdate-dept", "technician": "t-9"})
ACCEPT = cmd("accept", Role.HANDLER)
CONTACT = cmd("contact", Role.TECHNICIAN)
BOOK = cmd("appointments", Role.TECHNICIAN, lambda stack: window(stack, timedelta(minutes=-1), hours=1))
ARRIVE = cmd("arrival", Role.TECHNICIAN)
RESOLVE = cmd("resolve", Role.TECHNICIAN, lambda stack: {"completed_at": stack.clock.now().isoformat(),
                                                         "cause": "分光器故障", "result": "更换后恢复"})
CALLBACK = cmd("callbacks", Role.AGENT, lambda stack: {
    "reached": True, "work_done": True, "done_at": stack.clock.now().isoformat(), "feedback_form_signed": True,
    "satisfied": True, "delay_reason_verified": True, "satisfaction_score": 5})
WORK_DONE = cmd("work-completed", Role.TECHNICIAN)
RESULT = cmd("results", Role.HANDLER, {"result": "更换熔断器后恢复供电"})
ESCALATED = cmd("escalation-complaints", Role.AGENT, {"level": "branch", "description": "客户到分公司投诉"})
ANSWERED = cmd("escalation-complaints/answers", Role.AGENT, {"answer": "已上门致歉"})
CAPA = cmd("corrective-actions", Role.HANDLER, {"corrective": "更换设备", "preventive": "每月巡检"})
DESK = cmd("desk-notifications", Role.AGENT, {"note": "VIP 故障"})


@dataclass(frozen=True)
class Row:
    """A ticket of this shape; `to_start` ends with the rule's start event, `to_stop` with its stop event."""

    rule_id: str
    ticket: dict[str, Any]
    to_start: tuple[Step, ...]
    to_stop: tuple[Step, ...]
    before_16: bool = False  # CT-2.4: created before the 16:00 cut-off


def row(rule_id: str, ticket: dict[str, Any], to_start: tuple[Step, ...], to_stop: tuple[Step, ...],
        **kw: Any) -> Row:
    return Row(rule_id, ticket, to_start, to_stop, **kw)


VIP = {"segment": "vip"}
FTTH = {"product": "ftth-broadband"}
REPAIRED = (ACCEPT, CONTACT, RESOLVE)
TICKET_ROWS = [
    row("TT-contact-30m", body(), (DISPATCH,), (ACCEPT, CONTACT)),
    row("TT-vip-notify-20m", body(**VIP), (), (DESK,)),
    row("TT-repair-22h", body(), (DISPATCH,), REPAIRED),
    row("TT-callback-1h", body(), (DISPATCH, *REPAIRED), (CALLBACK,)),
    row("TT-reply-24h", body("inquiry"), (DISPATCH,), REPAIRED),
    row("TT-escalation-24h", body("complaint"), (ESCALATED,), (ANSWERED,)),
    row("NJ-capa-3d", body("complaint"), (DISPATCH,), (CAPA,)),
    row("NJ-limit-24h", body(), (DISPATCH,), REPAIRED),
    row("NJ-vip-fault-6h", body(**VIP), (DISPATCH,), REPAIRED),
    row("NJ-vip-business-12h", body("business", **VIP), (DISPATCH,), REPAIRED),
    row("CS-response-30m", body(), (DISPATCH,), (ACCEPT, CONTACT)),
    row("CS-complete-24h", body(), (DISPATCH,), REPAIRED),
    row("CS-vip-fault-20m", body(**VIP), (DISPATCH,), (ACCEPT, CONTACT)),
    row("CS-vip-fault-6h", body(**VIP), (DISPATCH,), REPAIRED),
    row("CS-vip-business-1h", body("business", **VIP), (DISPATCH,), (ACCEPT, CONTACT)),
    row("CS-vip-business-12h", body("business", **VIP), (DISPATCH,), REPAIRED),
    row("GX-reply-3wd", body("inquiry"), (DISPATCH,), REPAIRED),
    row("GX-repair-feedback-1wd", body(), (DISPATCH, ACCEPT, CONTACT, BOOK, ARRIVE, WORK_DONE), (RESULT,)),
    row("GX-callback-1wd", body(segment="dedicated-transformer"), (DISPATCH, *REPAIRED), (CALLBACK,)),
    row("GX-callback-3wd", body(), (DISPATCH, *REPAIRED), (CALLBACK,)),
    row("CT-sameday-install", body("install", same_day="requested", **FTTH), (), (DISPATCH, *REPAIRED),
        before_16=True),
    row("CT-appointment-install", body("install", **FTTH), (DISPATCH, ACCEPT, CONTACT, BOOK), (ARRIVE, RESOLVE)),
    row("CT-sameday-repair", body(**FTTH), (), (DISPATCH, *REPAIRED), before_16=True),
    row("CT-declined-repair-48h", body(same_day="declined"), (), (DISPATCH, *REPAIRED)),
    row("CT-declined-repair-72h", body(same_day="declined", area_type="rural"), (), (DISPATCH, *REPAIRED)),
]


def next_morning(stack: Stack) -> None:
    """The shared clock to the next 10:00 in Shanghai (before the CT 16:00 cut-off)."""
    local = stack.clock.now().astimezone(SHANGHAI)
    target = (local + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    stack.clock.advance(target.astimezone(UTC) - stack.clock.now())


async def past_the_breach(stack: Stack, monitor: Monitor, subject: str, rule_id: str) -> None:
    """Move the clock past the rule's deadline and its grace; wait until the breach fired."""
    timer = await eventually(lambda: monitor.timer(subject, rule_id), timeout=20)
    deadline = datetime.fromisoformat(timer["deadline"])
    stack.clock.advance(max(deadline - stack.clock.now(), timedelta(0)) + stack.settings.gongdan_sla_breach_grace
                        + timedelta(minutes=1))

    async def breached() -> dict | None:
        found = await monitor.timer(subject, rule_id)
        return found if found and found["state"] == "breached" else None

    await eventually(breached, timeout=20)


async def ended(monitor: Monitor, subject: str, rule_id: str, state: str) -> dict:
    async def check() -> dict | None:
        found = await monitor.timer(subject, rule_id)
        return found if found and found["state"] == state else None

    try:
        return await eventually(check, timeout=20)
    except AssertionError:
        raise AssertionError(f"{rule_id} on {subject}: {await monitor.timer(subject, rule_id)}") from None


@pytest.mark.parametrize("late", [False, True], ids=["met", "late"])
@pytest.mark.parametrize("case", TICKET_ROWS, ids=[r.rule_id for r in TICKET_ROWS])
async def test_ticket_rule_runs_from_its_start_to_its_stop(stack: Stack, monitor: Monitor, case: Row,
                                                           late: bool) -> None:
    if case.before_16:
        next_morning(stack)
    tid = (await new_ticket(stack, fault_report(**case.ticket)))["ticket_id"]
    for step in case.to_start:
        await step(stack, tid)
    await eventually(lambda: monitor.timer(tid, case.rule_id), timeout=20)
    if late:
        await past_the_breach(stack, monitor, tid, case.rule_id)
    for step in case.to_stop:
        await step(stack, tid)
    await ended(monitor, tid, case.rule_id, "late" if late else "met")


# --- outage notices (settled when the incident is declared) ---------------------------------------------------


@dataclass(frozen=True)
class Notice:
    rule_id: str
    planned: bool
    in_time: timedelta  # starts_at - notice_at when the notice is in time
    too_late: timedelta  # ... when it is not


NOTICE_ROWS = [
    Notice("TT-outage-notice-30m", False, timedelta(minutes=-20), timedelta(minutes=-40)),  # told 20/40 min after
    Notice("NJ-notice-1wd", True, timedelta(days=7), timedelta(hours=2)),
    Notice("GX-planned-outage-7wd", True, timedelta(days=21), timedelta(days=2)),
    Notice("GX-temp-outage-24h", False, timedelta(hours=30), timedelta(hours=5)),
]


@pytest.mark.parametrize("late", [False, True], ids=["met", "late"])
@pytest.mark.parametrize("case", NOTICE_ROWS, ids=[r.rule_id for r in NOTICE_ROWS])
async def test_notice_rule_is_settled_from_the_declared_incident(stack: Stack, monitor: Monitor, case: Notice,
                                                                 late: bool) -> None:
    now = stack.clock.now()
    starts = now + (case.too_late if late else case.in_time)
    declared = await stack.clients["dispatch"].post("/incidents", headers=stack.auth(Role.DISPATCHER), json={
        "area": "江汉区", "cause": "光缆抢修", "planned": case.planned, "notice_at": now.isoformat(),
        "starts_at": starts.isoformat(), "publishing_department": "network-ops"})
    assert declared.status_code in (200, 201), declared.text
    await ended(monitor, declared.json()["incident_id"], case.rule_id, "late" if late else "met")


# --- every rule has its row ------------------------------------------------------------------------------------


def test_every_shipped_rule_has_a_row() -> None:
    shipped = {rule.rule_id for pack in SHIPPED_PACKS for rule in load_pack(pack).timers}
    covered = {r.rule_id for r in TICKET_ROWS} | {r.rule_id for r in NOTICE_ROWS} | set(WORK_ITEM_RULES)
    assert shipped == {rule.rule_id for rule in load_policy(EVERY_RULE).timers}  # the monitor runs them all
    assert shipped - covered == set(), "rules without a start→stop row"


#: Rules of network/system faults, mail and forum posts: their rows are in test_every_rule_work_items.py.
from tests.support.work_item_rules import WORK_ITEM_RULES
