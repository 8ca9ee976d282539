"""Penalty amount models with hand-computed cases from RULEBOOK §5 and §9.2–9.7, §9.15 (issue 10)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.penalty.domain import amounts as am
from services.penalty.domain import assess as pa
from services.penalty.domain.facts import Escalation, TicketFacts
from shared.policy import load_pack
from tests.unit.sla.helpers import sh

TT = load_pack("tietong-jianghan").penalties
NJ = load_pack("nanjing-catv").penalties
TZ = "Asia/Shanghai"


def breach(rule: str, minutes: int, paused: int = 0, deadline: datetime | None = None, **kw) -> pa.Breach:
    deadline = deadline or sh(2026, 3, 3, 8)
    hours, days = -(-minutes // 60), -(-minutes // 1440)
    return pa.Breach(event_id=str(uuid.uuid4()), breach_event_id=kw.pop("bid", "b-1"), rule_id=rule,
                     department=kw.pop("department", "jianghan-maint"), person=kw.pop("person", "wang-wei"),
                     start=deadline - timedelta(hours=22), deadline=deadline, overdue_minutes=minutes,
                     overdue_hours=hours, overdue_days=days, paused_seconds=paused)


def test_started_hours_exactly_three_hours_is_three_and_one_minute_more_is_four() -> None:
    assert am.per_unit(800, "hour", 3, 180, 0).fen == 2400
    assert am.per_unit(800, "hour", 4, 181, 0).fen == 3200


def test_per_started_hour_entry_explains_the_arithmetic_and_the_customer_pause() -> None:
    facts = TicketFacts(kind="fault", department="jianghan-maint", person="wang-wei")
    out = pa.assess_breach(TT, breach("TT-repair-22h", 130, paused=45 * 60), facts, (), {}, TZ)
    by = {p.clause: p for p in out}
    assert set(by) == {"TT-9.12", "TT-9.3"}  # no delay reported: TT-9.3 too (RULEBOOK §9.5)
    p = by["TT-9.12"]
    assert p.computation.fen == 2400
    assert p.computation.text == ("3 started hours × 800 fen = 2,400 fen; 2 h 10 min late after 45 min customer "
                                  "pause (not counted)")
    assert (p.payer.kind, p.payer.id, p.payer.person) == ("department", "jianghan-maint", "wang-wei")
    assert by["TT-9.3"].computation.fen == 3000 and p.key == "TT-9.12|breach:b-1|assessment"


def test_delay_reported_by_the_deadline_spares_tt_9_3() -> None:
    b = breach("TT-repair-22h", 30)
    facts = TicketFacts(kind="fault", department="d")
    in_time = (("DelayReported", b.deadline),)
    late = (("DelayReported", b.deadline + timedelta(seconds=1)),)
    assert {p.clause for p in pa.assess_breach(TT, b, facts, in_time, {}, TZ)} == {"TT-9.12"}
    assert {p.clause for p in pa.assess_breach(TT, b, facts, late, {}, TZ)} == {"TT-9.12", "TT-9.3"}


def test_close_adds_a_delta_for_the_hours_not_yet_assessed() -> None:
    facts = TicketFacts(kind="fault", department="d")
    payer = pa.Payer("department", "d", "p")
    [delta] = pa.close_breach(TT, breach("TT-repair-22h", 301), {"TT-9.12": (1, payer)}, facts)
    assert delta.kind == "adjustment" and delta.computation.fen == 5 * 800  # 6 started hours, 1 already charged
    assert delta.computation.text == ("final 6 started hours × 800 fen = 4,800 fen; 5 h 1 min late; 1 already "
                                      "assessed at the breach, +5 × 800 fen = 4,000 fen")
    assert not pa.close_breach(TT, breach("TT-repair-22h", 60), {"TT-9.12": (1, payer)}, facts)


def test_nj_per_started_day() -> None:
    facts = TicketFacts(kind="fault", department="d")
    [p] = pa.assess_breach(NJ, breach("NJ-limit-24h", 24 * 60 + 1), facts, (), {}, TZ)
    assert (p.clause, p.computation.fen) == ("NJ-4.3.2b", 2 * 20000)


def test_tiers_count_per_department_per_local_year_across_new_year() -> None:
    ministry = {"level": "ministry", "nth": 1, "responsible_department": "d1", "actor": "agent-1"}
    facts = TicketFacts(kind="complaint", department="d1")
    first = pa.assess_act(TT, "EscalationComplaintReceived", "e1", sh(2025, 12, 31, 23, 59), ministry, facts,
                          {"TT-9bis.8": 0}, TZ)
    second = pa.assess_act(TT, "EscalationComplaintReceived", "e2", sh(2025, 12, 31, 23, 59), ministry, facts,
                           {"TT-9bis.8": 1}, TZ)
    assert first[0].computation.fen == 100000 and second[0].computation.fen == 200000
    # 00:00 local on 1 Jan is 16:00 UTC on 31 Dec: a new local year, so a new first case
    assert am.local_year(sh(2026, 1, 1, 0, 0), TZ) == 2026 and sh(2026, 1, 1).day == 31
    assert am.local_year(sh(2025, 12, 31, 23, 59, 59), TZ) == 2025
    assert am.tier_amount((50000, 100000), 0) == 50000 and am.tier_amount((50000, 100000), 5) == 100000


def test_highest_single_item_railway_to_province_is_400_not_300_plus_400() -> None:
    facts = TicketFacts(kind="complaint", segment="railway-private-network", department="d")
    payload = {"level": "province-desk", "nth": 1, "actor": "a"}
    [p] = pa.assess_act(TT, "EscalationComplaintReceived", "e1", sh(2026, 3, 1), payload, facts, {}, TZ)
    assert (p.clause, p.computation.fen, p.group) == ("TT-9bis.6", 40000, "TT-9bis")
    assert p.key == "TT-9bis|event:e1|assessment"


def test_vip_to_ministry_is_the_ministry_amount_not_plus_300() -> None:
    facts = TicketFacts(kind="complaint", segment="vip", department="d")
    payload = {"level": "ministry", "nth": 1, "actor": "a"}
    [p] = pa.assess_act(TT, "EscalationComplaintReceived", "e1", sh(2026, 3, 1), payload, facts,
                        {"TT-9bis.8": 0}, TZ)
    assert (p.clause, p.computation.fen) == ("TT-9bis.8", 100000)


def test_vip_complaint_doubled_when_the_customer_left_and_second_complaint_doubled_after_tier() -> None:
    vip = TicketFacts(kind="complaint", segment="vip", department="d", churned_by_complaint=True)
    payload = {"level": "branch", "nth": 1, "actor": "a"}
    [p] = pa.assess_act(TT, "EscalationComplaintReceived", "e1", sh(2026, 3, 1), payload, vip, {}, TZ)
    assert (p.clause, p.computation.fen) == ("TT-9bis.12", 60000)
    second = {"level": "ministry", "nth": 2, "actor": "a"}
    plain = TicketFacts(kind="complaint", department="d")
    [q] = pa.assess_act(TT, "EscalationComplaintReceived", "e2", sh(2026, 3, 1), second, plain,
                        {"TT-9bis.8": 1}, TZ)
    assert q.computation.fen == 2 * 200000  # further case 2,000 yuan, then doubled as a repeat


def test_churn_after_the_complaint_gives_a_delta_only_when_the_vip_item_rises() -> None:
    vip = TicketFacts(kind="complaint", segment="vip", department="d")
    [p] = pa.assess_act(TT, "EscalationComplaintReceived", "e1", sh(2026, 3, 1),
                        {"level": "branch", "nth": 1, "actor": "a"}, vip, {}, TZ)
    assert p.computation.fen == 30000
    clause, comp = pa.rescore_on_churn(TT, "TT-9bis", p.computation.numbers, 30000)
    assert (clause, comp.fen) == ("TT-9bis.12", 30000)
    [m] = pa.assess_act(TT, "EscalationComplaintReceived", "e2", sh(2026, 3, 1),
                        {"level": "city-media", "nth": 1, "actor": "a"}, vip, {}, TZ)
    assert pa.rescore_on_churn(TT, "TT-9bis", m.computation.numbers, 200000) is None


def test_conduct_violation_first_500_second_1000() -> None:
    facts = TicketFacts(kind="complaint", department="d")
    payload = {"level": "hotline-platform", "nth": 1, "conduct_violation": True, "actor": "a"}
    [p] = pa.assess_act(TT, "EscalationComplaintReceived", "e1", sh(2026, 3, 1), payload, facts,
                        {"TT-9bis.11": 1}, TZ)
    assert (p.clause, p.computation.fen) == ("TT-9bis.11", 100000)


def test_surcharge_200_when_the_escalation_is_not_handled_within_24h() -> None:
    at = sh(2026, 3, 1, 10)
    facts = TicketFacts(kind="complaint", department="d", escalations=(Escalation(1, "e1", at, "branch-office"),))
    b = breach("TT-escalation-24h", 5, deadline=at + timedelta(hours=24))
    b = pa.Breach(**{**b.__dict__, "start": at})
    [p] = pa.assess_breach(TT, b, facts, (), {}, TZ)
    assert (p.clause, p.computation.fen, p.payer.id) == ("TT-9bis.14", 20000, "branch-office")
    assert p.evidence == (b.event_id, "e1")


def test_one_fine_per_act_lists_every_missing_item() -> None:
    facts = TicketFacts(kind="fault", department="d", person="wang-wei")
    payload = {"rule_id": "TT-8.3", "department": "d", "missing": ["restore-time", "cause-and-result"], "actor": "h"}
    [p] = pa.assess_act(TT, "ReplyIncomplete", "e1", sh(2026, 3, 1), payload, facts, {}, TZ)
    assert (p.clause, p.computation.fen) == ("TT-8.3", 2000)
    assert p.computation.numbers["missing"] == ["restore-time", "cause-and-result"]
    assert "restore-time, cause-and-result" in p.computation.text
    callback = {"missing": ["done", "when", "satisfied"], "actor": "agent-7"}
    [c] = pa.assess_act(TT, "CallbackDone", "e2", sh(2026, 3, 1), callback, facts, {}, TZ)
    assert (c.clause, c.computation.fen, c.payer.id, c.payer.person) == ("TT-8.13", 3000, "customer-service",
                                                                         "agent-7")
    assert not pa.assess_act(TT, "CallbackDone", "e3", sh(2026, 3, 1), {"missing": [], "actor": "a"}, facts, {}, TZ)


def test_act_conditions_wrong_dispatch_and_staff_missed_appointment() -> None:
    facts = TicketFacts(kind="fault", department="d", person="wang-wei")
    wrong = {"wrong_dispatch": True, "department": "d2", "previous_dispatched_by": "desk-1", "actor": "desk-2"}
    [p] = pa.assess_act(TT, "TicketRedispatched", "e1", sh(2026, 3, 1), wrong, facts, {}, TZ)
    assert (p.clause, p.payer.id, p.payer.person) == ("TT-8.10", "customer-service", "desk-1")
    assert not pa.assess_act(TT, "TicketRedispatched", "e2", sh(2026, 3, 1), {**wrong, "wrong_dispatch": False},
                             facts, {}, TZ)
    assert not pa.assess_act(TT, "AppointmentMissed", "e3", sh(2026, 3, 1), {"cause": "customer"}, facts, {}, TZ)
    [m] = pa.assess_act(TT, "AppointmentMissed", "e4", sh(2026, 3, 1), {"cause": "staff", "actor": "t"}, facts,
                        {}, TZ)
    assert (m.clause, m.computation.fen, m.payer.id, m.payer.person) == ("TT-9.11", 3000, "d", "wang-wei")


def test_refund_is_120_percent() -> None:
    assert am.refund(2400, 120).fen == 2880
    assert am.refund(20000, 120).text == "120% of 20,000 fen = 24,000 fen refunded"
    assert am.refund(333, 120).fen == 400  # 399.6 rounds half up


def test_assessment_month_is_local_and_closed_months_roll_forward() -> None:
    assert am.local_month(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), TZ) == "2026-04"
    assert am.open_month("2026-03", {"2026-03", "2026-04"}) == "2026-05"
    assert am.open_month("2025-12", {"2025-12"}) == "2026-01"


def test_voided_when_no_rule_of_the_family_applies() -> None:
    from shared.policy.schema import Condition

    repair = [Condition(kind=("fault",))]
    assert not pa.voided(repair, TicketFacts(kind="fault"))
    assert pa.voided(repair, TicketFacts(kind="inquiry"))
