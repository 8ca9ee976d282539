"""KPI scorecards (RULEBOOK §5.3, §9.11): scoring arithmetic with hand-computed cases, which tickets count, and
the KPIs as policy (issue 10)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from services.penalty.domain import kpi as dk
from shared.policy import load_pack, load_policy
from tests.unit.sla.helpers import fails, sh, write

CS = load_pack("catv-service-norms").penalties
K = {k.kpi: k for k in CS.kpis}
TZ = "Asia/Shanghai"


def points(kpi: str, num: int, den: int) -> str | None:
    s = dk.score(K[kpi], num, den)
    return None if s.points is None else str(s.points)


# -- scoring arithmetic -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("num", "den", "expected"), [
    (39, 40, "-3.00"),  # 97.5%: 1.5 points short × 2 (RULEBOOK §9.11's own example)
    (99, 100, "0.00"),  # exactly the target
    (200, 200, "0.00"),
    (97, 99, "-2.04"),  # 97.9797…%: 1.0202… × 2 = 2.0404 → 2.04
    (193, 200, "-5.00"),  # 96.5%: 2.5 × 2
    (0, 3, "-198.00"),  # nothing on time: 99 × 2
])
def test_on_time_deducts_two_points_per_percentage_point_below_99_pro_rated(num: int, den: int, expected: str) -> None:
    assert points("CS-on-time", num, den) == expected


@pytest.mark.parametrize(("num", "den", "expected"), [
    (13, 20, "-2.50"),  # 65%: 5 × 0.5
    (2, 3, "-1.67"),  # 66.666…%: 3.333… × 0.5 = 1.6667 → 1.67
    (7, 10, "0.00"),
    (139, 200, "-0.25"),  # 69.5%: 0.5 × 0.5
])
def test_response_ratio_deducts_half_a_point_per_percentage_point_below_70(num: int, den: int, expected: str) -> None:
    assert points("CS-response-30m", num, den) == expected


def test_satisfaction_scores_actual_over_98_and_zero_below_90() -> None:
    assert points("CS-satisfaction", 95, 100) == "96.94"  # 100 × 95 / 98 = 96.938…
    assert points("CS-satisfaction", 90, 100) == "91.84"  # exactly 90% is not below: 100 × 90/98 = 91.836…
    assert points("CS-satisfaction", 89, 100) == "0.00"
    assert points("CS-satisfaction", 99, 100) == "100.00"  # capped at full points


def test_effective_callback_scores_actual_over_90_and_zero_below_70() -> None:
    assert points("CS-effective-callback", 80, 100) == "88.89"  # 100 × 80/90
    assert points("CS-effective-callback", 69, 100) == "0.00"
    assert points("CS-effective-callback", 7, 10) == "77.78"  # 70% is not below 70%


def test_no_cases_no_points_and_an_unscored_kpi_shows_the_rate_only() -> None:
    s = dk.score(K["CS-on-time"], 0, 0)
    assert (s.rate, s.points, s.text) == (None, None, "no cases this month")
    s = dk.score(K["CS-vip-churn"], 3, 100)
    assert s.points is None and s.rate == Decimal(3) and "≤2.00%" in s.text


def test_the_arithmetic_is_explained_in_words() -> None:
    assert dk.score(K["CS-on-time"], 39, 40).text == \
        "39/40 = 97.50% (target ≥99.00%); 1.50 points short × 2 = -3.00"


# -- which cases count ------------------------------------------------------------------------------------------

def timer(tid: str, rule: str, deadline, outcome: str, person: str = "wang", dept: str = "maint", rnd: int = 1):
    return {"ticket_id": tid, "family": "cs-complete", "round": rnd, "rule_id": rule, "department": dept,
            "person": person, "deadline": deadline, "outcome": outcome, "actual": None, "event_ids": ["e"]}


def test_on_time_counts_a_round_in_the_local_month_of_its_deadline_and_only_the_kpis_rules() -> None:
    timers = [
        timer("t1", "CS-complete-24h", sh(2026, 3, 31, 23, 59), "met"),
        timer("t2", "CS-vip-fault-6h", sh(2026, 3, 10), "late", person="li"),
        timer("t3", "CS-complete-24h", sh(2026, 4, 1, 0, 0), "late"),  # 1 April local (31 March 16:00 UTC)
        timer("t4", "CS-response-30m", sh(2026, 3, 10), "late"),  # another KPI's rule
        timer("t5", "CS-complete-24h", sh(2026, 3, 12), "late", dept="other"),
    ]
    cases = dk.timer_cases(K["CS-on-time"], timers, "2026-03", TZ)
    assert sorted((c.ticket_id, c.ok, c.team) for c in cases) == [
        ("t1", True, "maint"), ("t2", False, "maint"), ("t5", False, "other")]
    [maint, other] = dk.figures(K["CS-on-time"], cases, clause_fen=5000)
    assert (maint["department"], maint["numerator"], maint["denominator"], maint["rate_percent"],
            maint["points"]) == ("maint", 1, 2, "50.00", "-98.00")
    assert maint["money"]["by_person"] == [{"person": "li", "fen": 5000}] and maint["money"]["total_fen"] == 5000
    assert [t["ticket_id"] for t in maint["tickets"]] == ["t1", "t2"]
    assert other["points"] == "-198.00"


def ev(name: str, eid: str, at, **payload):
    return (name, eid, at, payload)


def test_dispatch_accuracy_a_dispatch_is_wrong_when_the_next_redispatch_says_so() -> None:
    t0 = sh(2026, 3, 5, 9)
    histories = {"t1": [ev("TicketDispatched", "d1", t0, department="a", actor="desk1"),
                        ev("TicketRedispatched", "d2", t0 + timedelta(hours=1), department="b", wrong_dispatch=True),
                        ev("TicketRedispatched", "d3", t0 + timedelta(hours=2), department="c", wrong_dispatch=False)],
                 "t2": [ev("TicketDispatched", "d4", t0, department="a")]}
    cases = dk.dispatch_cases(K["CS-dispatch-accuracy"], histories, "2026-03", TZ)
    assert sorted((c.detail["event_id"], c.ok) for c in cases) == [("d1", False), ("d2", True), ("d3", True),
                                                                    ("d4", True)]
    assert {c.team for c in cases} == {"customer-service"}
    [fig] = dk.figures(K["CS-dispatch-accuracy"], cases)
    assert (fig["numerator"], fig["denominator"], fig["rate_percent"], fig["points"]) == (3, 4, "75.00", None)


def test_satisfaction_counts_answered_callbacks_and_a_score_when_the_question_was_not_asked() -> None:
    t0 = sh(2026, 3, 5, 9)
    histories = {"t1": [ev("CallbackDone", "c1", t0, reached=True, satisfied=True, round=1)],
                 "t2": [ev("CallbackDone", "c2", t0, reached=True, satisfied=None, satisfaction_score=4, round=1)],
                 "t3": [ev("CallbackDone", "c3", t0, reached=True, satisfied=None, satisfaction_score=2, round=1)],
                 "t4": [ev("CallbackDone", "c4", t0, reached=True, satisfied=None, round=1)],  # not asked
                 "t5": [ev("CallbackDone", "c5", t0, reached=False, round=1)]}
    cases = dk.satisfaction_cases(K["CS-satisfaction"], histories, "2026-03", TZ)
    assert sorted((c.ticket_id, c.ok) for c in cases) == [("t1", True), ("t2", True), ("t3", False)]


def test_effective_callback_needs_the_customer_reached_and_every_question_asked() -> None:
    t0 = sh(2026, 3, 5, 9)
    later = t0 + timedelta(hours=1)
    histories = {
        "ok": [ev("Resolved", "r1", t0, round=1, department="a"), ev("CallbackDone", "c1", later, round=1,
                                                                     reached=True, missing=[])],
        "missing": [ev("Resolved", "r2", t0, round=1, department="a"),
                    ev("CallbackDone", "c2", later, round=1, reached=True, missing=["satisfied"])],
        "none": [ev("Resolved", "r3", t0, round=1, department="a")],
        "fcr": [ev("Resolved", "r4", t0, round=1), ev("TicketArchived", "a4", later, exemption="first-contact-resolution")],
    }
    cases = dk.callback_cases(K["CS-effective-callback"], histories, "2026-03", TZ)
    assert sorted((c.ticket_id, c.ok) for c in cases) == [("missing", False), ("none", False), ("ok", True)]


def test_first_time_fix_within_the_window_a_reopen_a_linked_repeat_or_a_new_fault_of_the_account_fails() -> None:
    t0 = sh(2026, 3, 5, 9)
    day = timedelta(days=1)

    def created(tid: str, account: str, product: str = "two-way"):
        return ev("TicketCreated", f"c-{tid}", t0 - day, kind="fault", product=product,
                  customer={"account": account})

    histories = {
        "clean": [created("clean", "A1"), ev("Resolved", "r1", t0, round=1, department="a")],
        "reopened": [created("reopened", "A2"), ev("Resolved", "r2", t0, round=1, department="a"),
                     ev("TicketReopened", "o2", t0 + 3 * day, round=2, department="a")],
        "late-reopen": [created("late-reopen", "A3"), ev("Resolved", "r3", t0, round=1, department="a"),
                        ev("TicketReopened", "o3", t0 + 8 * day, round=2, department="a")],
        "repeat": [created("repeat", "A4"), ev("Resolved", "r4", t0, round=1, department="a")],
        "tv": [created("tv", "A5", "digital-tv"), ev("Resolved", "r5", t0, round=1, department="a")],
    }
    creations = [{"ticket_id": "new", "at": t0 + 6 * day, "account": "A4", "kind": "fault"},
                 {"ticket_id": "new2", "at": t0 + 8 * day, "account": "A1", "kind": "fault"}]  # after 7 days
    cases = dk.first_time_fix_cases(K["CS-ftf-two-way"], histories, creations, "2026-03", TZ)
    assert sorted((c.ticket_id, c.ok) for c in cases) == [("clean", True), ("late-reopen", True),
                                                         ("reopened", False), ("repeat", False)]
    [fig] = dk.figures(K["CS-ftf-two-way"], cases)
    assert (fig["numerator"], fig["denominator"], fig["rate_percent"]) == (2, 4, "50.00")
    assert [c.ticket_id for c in dk.first_time_fix_cases(K["CS-ftf-tv"], histories, creations, "2026-03", TZ)] == ["tv"]


def test_vip_churn_counts_vip_customers_of_the_month_and_those_who_left() -> None:
    t0 = sh(2026, 3, 5, 9)
    histories = {
        "v1": [ev("TicketCreated", "c1", t0, segment="vip", customer={"account": "V1"}),
               ev("TicketDispatched", "d1", t0, department="a"),
               ev("CustomerChurned", "x1", t0 + timedelta(days=2))],
        "v2": [ev("TicketCreated", "c2", t0, segment="group", customer={"account": "V2"}),
               ev("TicketDispatched", "d2", t0, department="a")],
        "p": [ev("TicketCreated", "c3", t0, segment="public", customer={"account": "P"})],
    }
    cases = dk.churn_cases(K["CS-vip-churn"], histories, "2026-03", TZ)
    [fig] = dk.figures(K["CS-vip-churn"], cases)
    assert (fig["department"], fig["numerator"], fig["denominator"], fig["rate_percent"]) == ("a", 1, 2, "50.00")


# -- KPIs as policy ---------------------------------------------------------------------------------------------

def test_the_cs_pack_defines_its_scorecard_with_targets_and_points_beside_the_clauses() -> None:
    k = K["CS-on-time"]
    assert (k.target_percent, k.scoring.points_per_percent, k.clause) == (99, 2, "CS-21.5")
    assert K["CS-response-30m"].scoring.points_per_percent == Decimal("0.5")
    assert load_pack("tietong-jianghan").penalties.kpis == ()


def test_an_operator_changes_a_target_and_drops_a_kpi(tmp_path) -> None:
    path = write(tmp_path, """
pack: my-operator
include: [catv-service-norms]
penalties:
  kpis:
    CS-on-time: {target_percent: 98.5}
    CS-vip-churn: null
""")
    kpis = {k.kpi: k for k in load_policy(path).penalties.kpis}
    assert kpis["CS-on-time"].target_percent == Decimal("98.5") and "CS-vip-churn" not in kpis
    assert kpis["CS-on-time"].scoring.points_per_percent == 2  # the rest of the KPI is kept


def test_a_kpi_naming_an_unknown_timer_rule_is_refused_with_its_key(tmp_path) -> None:
    path = write(tmp_path, """
pack: my-operator
include: [catv-service-norms]
penalties:
  kpis:
    CS-on-time: {rules: [CS-nope]}
""")
    err = fails(path)
    assert err.key == "penalties.kpis.CS-on-time.rules[0]" and "CS-nope" in err.reason
