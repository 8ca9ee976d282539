"""Pure timer decisions: rule switch keeps consumed time and pauses, stop boundary, firing with grace."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.sla_monitor.bootstrap import SPEC
from services.sla_monitor.domain import timers as tm
from services.sla_monitor.domain.ticket import TicketContext, fold
from services.sla_monitor.service_layer.config import DEFAULT_POLICY, load_config
from shared.policy import PolicyError, TimerRule, load_policy
from shared.settings import Settings
from tests.unit.sla.helpers import CALS, sh

H = timedelta(hours=1)
GRACE = timedelta(minutes=2)
PAUSES = {"reasons": ["customer-not-home"]}


def rule(rule_id: str, duration: str, **extra) -> TimerRule:
    return TimerRule.model_validate({"rule_id": rule_id, "family": "repair", "source": "test", "start": "A",
                                     "stop": "B", "pause": PAUSES, "deadline": {"type": "elapsed",
                                                                                "duration": duration}, **extra})


GENERAL, VIP = rule("CS-complete-24h", "24h"), rule("CS-vip-fault-6h", "6h")
T0 = sh(2026, 3, 2, 9)


def started(r: TimerRule = GENERAL) -> tm.Timer:
    return tm.start(r, uuid.uuid4(), 1, "A", T0, CALS)


def test_switching_rule_mid_flight_keeps_consumed_time_and_pauses() -> None:
    t = tm.pause(started(), GENERAL, T0 + H, "customer-not-home")
    t = tm.resume(t, GENERAL, T0 + 2 * H, CALS)
    assert t.deadline == T0 + 25 * H
    vip = tm.switch(t, GENERAL, VIP, T0 + 3 * H, CALS)  # consumed 2 h of counted time by then
    assert (vip.rule_id, vip.deadline, vip.consumed) == ("CS-vip-fault-6h", T0 + 7 * H, 2 * H)
    assert vip.paused_total(T0 + 3 * H) == H


def test_switch_while_paused_credits_the_open_pause_up_to_the_switch() -> None:
    t = tm.pause(started(), GENERAL, T0 + H, "customer-not-home")
    vip = tm.switch(t, GENERAL, VIP, T0 + 3 * H, CALS)
    assert vip.consumed == H and vip.paused_since == T0 + H
    back = tm.resume(vip, VIP, T0 + 4 * H, CALS)
    assert back.deadline == T0 + 4 * H + 5 * H  # 1 h used, pause until +4 h, 5 h left


def test_pause_reason_not_in_the_rule_does_not_pause() -> None:
    assert tm.pause(started(), GENERAL, T0 + H, "customer-equipment") is None


def test_stop_is_met_at_the_deadline_inclusive_and_late_one_second_after() -> None:
    t = started(VIP)
    assert tm.stop(t, VIP, T0 + 6 * H, CALS).status == "met"
    late = tm.stop(t, VIP, T0 + 6 * H + timedelta(seconds=1), CALS)
    assert late.status == "late" and tm.overdue(late, late.stopped_at).hours == 1


def test_fire_warns_at_the_fraction_then_breaches_after_the_grace() -> None:
    t = started(VIP)
    assert t.warning_at == T0 + timedelta(hours=4, minutes=48) and tm.due_at(t, GRACE) == t.warning_at
    same, action = tm.fire(t, t.warning_at - timedelta(seconds=1), GRACE)
    assert action is None and same == t
    warned, action = tm.fire(t, t.warning_at, GRACE)
    assert action == "warning" and tm.due_at(warned, GRACE) == T0 + 6 * H + GRACE
    assert tm.fire(warned, T0 + 6 * H + GRACE - timedelta(seconds=1), GRACE)[1] is None
    breached, action = tm.fire(warned, T0 + 6 * H + GRACE, GRACE)
    assert action == "breach" and tm.due_at(breached, GRACE) is None
    assert tm.fire(breached, T0 + 9 * H, GRACE)[1] is None  # exactly once


def test_a_paused_timer_never_fires() -> None:
    t = tm.pause(started(VIP), VIP, T0 + H, "customer-not-home")
    assert tm.due_at(t, GRACE) is None and tm.fire(t, T0 + 99 * H, GRACE)[1] is None


def test_fold_reopen_starts_a_new_round_from_dispatch_and_reclassification_updates_attributes() -> None:
    ctx = fold(TicketContext(), "TicketCreated", {"kind": "fault", "customer": {}}, T0)
    ctx = fold(ctx, "TicketDispatched", {"department": "d1", "technician": "w"}, T0)
    ctx = fold(ctx, "TicketReclassified", {"after": {"segment": "vip", "area_type": "rural"}}, T0 + H)
    attrs = ctx.ticket_attrs()
    assert attrs is not None and (attrs.kind, attrs.segment, attrs.area) == ("fault", "vip", "rural")
    ctx = fold(ctx, "TicketReopened", {"round": 2, "department": "d2"}, T0 + 5 * H)
    assert (ctx.round, ctx.department, ctx.person) == (2, "d2", None)
    assert ctx.marks == {"TicketDispatched": T0 + 5 * H}


def test_default_policy_ships_and_loads() -> None:
    policy = load_policy(DEFAULT_POLICY)
    assert policy.packs == ("tietong-jianghan", "telecom-lyg-sameday", "default")
    assert load_config(Settings(gongdan_policy=None)).path == DEFAULT_POLICY


def test_a_bad_policy_file_fails_start_naming_the_key(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: bad\ninclude: [tietong-jianghan]\noverrides:\n  TT-repair-22h:\n"
                   "    deadline: {type: elapsed, duration: soon}\n")
    with pytest.raises(PolicyError) as failure:
        SPEC.configure(Settings(gongdan_policy=bad))  # what ServiceRuntime.start() does first
    assert failure.value.file == str(bad) and failure.value.key == "overrides.TT-repair-22h.deadline.duration"
