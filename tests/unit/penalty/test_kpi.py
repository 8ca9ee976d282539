"""KPI scorecards (RULEBOOK §5.3, §9.11): scoring arithmetic with hand-computed cases, which tickets count, and
the KPIs as policy (issue 10)."""

from __future__ import annotations

import csv
import io
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


# -- calls per agent-month (CS call centre ≥2,200; RULEBOOK §5.3, pro-rated to 0.01 by §9.11) --------------------

@pytest.mark.parametrize(("calls", "points", "deduction"), [
    ("2300", "100.00", "0.00"),
    ("2200", "100.00", "0.00"),  # exactly the target
    ("2199", "99.99", "-0.01"),  # 1 short × 1/100
    ("2150", "99.50", "-0.50"),  # 50 short × 1/100: pro-rated, not a whole point per started 100
    ("2150.5", "99.50", "-0.50"),  # 49.5 × 1/100 = 0.495 → 0.50; the points are what the rounded deduction leaves
    ("1800", "96.00", "-4.00"),  # 400 × 1/100
    ("1799", "95.98", "-4.02"),  # 400 × 1/100 + 1 × 2/100
    ("1750", "95.00", "-5.00"),  # 4.00 + 50 × 2/100
    ("1600", "92.00", "-8.00"),  # 4.00 + 200 × 2/100
    ("1500", "90.00", "-10.00"),  # not below 1,500: the −2 step runs on to it (the pack's Decision for 1,600–1,500)
    ("1499", "0.00", "-100.00"),  # below 1,500: zero
])
def test_calls_per_agent_lose_1_per_100_short_to_1800_then_2_per_100_and_zero_below_1500(
        calls: str, points: str, deduction: str) -> None:
    p, d, _ = dk.step_score(K["CS-calls-per-agent"], Decimal(calls))
    assert (str(p), str(d)) == (points, deduction)


def test_calls_per_agent_explains_each_step() -> None:
    assert dk.step_score(K["CS-calls-per-agent"], Decimal(1750))[2] == \
        "400 short of 2,200 × 1/100 = -4.00; 50 short of 1,800 × 2/100 = -1.00; 100.00 - 5.00 = 95.00"
    assert dk.step_score(K["CS-calls-per-agent"], Decimal(1499))[2] == "below 1,500: zero (0.00)"


def test_the_call_centre_figure_is_calls_over_agents_and_each_agent_is_scored_on_their_own() -> None:
    agents = [dk.AgentCalls("a1", 2150, 40), dk.AgentCalls("a2", 2250), dk.AgentCalls("a3", 1400),
              dk.AgentCalls("idle", 0)]  # no call: not an agent of the month
    [fig] = dk.calls_figures(K["CS-calls-per-agent"], agents)
    # 5,800 / 3 = 1,933.33…: 266.67 short × 1/100 = 2.6666… → −2.67
    assert (fig["department"], fig["numerator"], fig["denominator"], fig["value"], fig["target"], fig["unit"],
            fig["points"], fig["deduction"]) == ("customer-service", 5800, 3, "1933.33", "2200", "calls per agent",
                                                 "97.33", "-2.67")
    assert fig["rate_percent"] is None and fig["target_percent"] is None and fig["direction"] == "at-least"
    assert fig["arithmetic"] == ("5,800 calls / 3 agents = 1,933.33 per agent; 266.67 short of 2,200 × 1/100 = "
                                 "-2.67; 100.00 - 2.67 = 97.33")
    assert [(a["agent"], a["calls"], a["ok"], a["points"], a["deduction"]) for a in fig["tickets"]] == [
        ("a1", 2150, False, "99.50", "-0.50"), ("a2", 2250, True, "100.00", "0.00"),
        ("a3", 1400, False, "0.00", "-100.00")]
    assert fig["tickets"][0]["with_ticket"] == 40
    assert dk.calls_figures(K["CS-calls-per-agent"], [dk.AgentCalls("idle", 0)]) == []


def test_the_csv_lists_count_figures_with_their_value_target_unit_and_agents() -> None:
    from services.penalty.service_layer.scorecards import CSV_COLUMNS, to_csv

    [fig] = dk.calls_figures(K["CS-calls-per-agent"], [dk.AgentCalls("a1", 2150), dk.AgentCalls("a2", 2250)])
    text = to_csv({"month": "2026-03", "departments": [{"department": "customer-service", "figures": [fig]}]})
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert tuple(header) == CSV_COLUMNS
    assert (cells["numerator"], cells["denominator"], cells["rate_percent"], cells["target_percent"], cells["points"],
            cells["tickets_not_ok"], cells["tickets"], cells["value"], cells["target"], cells["unit"]) == (
        "4400", "2", "", "", "100.00", "a1", "a1 a2", "2200.00", "2200", "calls per agent")


# -- network faults: egress, aggregation devices, reliability (CS network, RULEBOOK §5.3) -------------------------

def fault(fid: str, layer: str, at, dept: str | None = "net", device: str | None = None, fixed=None) -> dk.Fault:
    return dk.Fault(fault_id=fid, number=f"2026-NF-{fid}", layer=layer, department=dept, device_id=device,
                    reported_at=at, reported_event_id=f"r-{fid}", fixed_at=fixed,
                    fixed_event_id=f"f-{fid}" if fixed else None)


@pytest.mark.parametrize(("faults", "points", "deduction"), [
    (0, "100.00", "0.00"), (3, "100.00", "0.00"),  # up to 3 a month: nothing
    (4, "95.00", "-5.00"),  # 1 over × 5
    (5, "90.00", "-10.00"),  # 2 over × 5
    (6, "0.00", "-100.00"),  # above 5: zero
    (9, "0.00", "-100.00"),
])
def test_egress_faults_cost_5_each_above_3_and_zero_above_5(faults: int, points: str, deduction: str) -> None:
    p, d, _ = dk.step_score(K["CS-egress-faults"], Decimal(faults))
    assert (str(p), str(d)) == (points, deduction)


def test_egress_faults_are_counted_per_department_in_the_local_month_they_were_reported() -> None:
    faults = [fault(f"e{i}", "egress", sh(2026, 3, 2 + i, 10)) for i in range(3)]
    faults += [fault("e3", "egress", sh(2026, 3, 31, 23, 59)),  # still March locally (15:59 UTC)
               fault("apr", "egress", sh(2026, 4, 1, 0, 0)),  # 31 March 16:00 UTC: April's
               fault("core", "core", sh(2026, 3, 5)),  # not an egress fault
               *(fault(f"b{i}", "egress", sh(2026, 3, 10, i), dept="big") for i in range(6)),
               *(fault(f"k{i}", "egress", sh(2026, 3, 10, i), dept="fine") for i in range(3))]
    figs = {f["department"]: f for f in dk.egress_figures(K["CS-egress-faults"], faults, "2026-03", TZ)}
    net = figs["net"]
    assert (net["numerator"], net["denominator"], net["value"], net["target"], net["unit"], net["points"],
            net["deduction"]) == (4, 1, "4.00", "3", "faults a month", "95.00", "-5.00")
    assert net["arithmetic"] == "4 egress faults in 2026-03; 1 over 3 × 5/1 = -5.00; 100.00 - 5.00 = 95.00"
    assert [(x["ticket_id"], x["number"], x["event_ids"]) for x in net["tickets"]][-1] == (
        "e3", "2026-NF-e3", ["r-e3"])
    assert (figs["big"]["points"], figs["big"]["deduction"]) == ("0.00", "-100.00")
    assert (figs["fine"]["points"], figs["fine"]["deduction"]) == ("100.00", "0.00")


def with_devices(managed: dict[str, int]):
    from shared.policy.kpis import Kpi

    return Kpi.model_validate(K["CS-device-fault-rate"].model_dump() | {"managed_devices": managed})


def test_repeat_failures_of_a_device_in_a_month_count_1_2_4_8() -> None:
    faults = [fault(f"x{i}", "aggregation", sh(2026, 3, 2 + i), device="agg-1") for i in range(4)]
    faults.insert(2, fault("y", "aggregation", sh(2026, 3, 3, 12), device="agg-2"))
    assert [(f.fault_id, k, w) for f, k, w in dk.repeat_weights(faults)] == [
        ("x0", 1, 1), ("x1", 2, 2), ("y", 1, 1), ("x2", 3, 4), ("x3", 4, 8)]


def test_aggregation_device_fault_rate_weighs_repeats_over_the_departments_managed_devices() -> None:
    kpi = with_devices({"net": 400, "spare": 50})
    faults = [fault("f1", "aggregation", sh(2026, 3, 2), device="agg-1"),
              fault("f2", "aggregation", sh(2026, 3, 9), device="agg-1"),
              fault("f3", "aggregation", sh(2026, 3, 20), device="agg-1"),  # 1 + 2 + 4
              fault("feb", "aggregation", sh(2026, 2, 25), device="agg-1"),  # February's: March's first is f1
              fault("f4", "aggregation", sh(2026, 3, 5), device="agg-2"),  # 1
              fault("f5", "aggregation", sh(2026, 3, 6)),  # no device named: 1
              fault("f6", "access", sh(2026, 3, 6), device="agg-1"),  # another layer
              fault("g1", "aggregation", sh(2026, 3, 6), dept="nocount", device="z")]
    figs = {f["department"]: f for f in dk.device_figures(kpi, faults, "2026-03", TZ)}
    net = figs["net"]  # (1 + 2 + 4) + 1 + 1 = 9 of 400 managed = 2.25% against ≤1%
    assert (net["numerator"], net["denominator"], net["rate_percent"], net["target_percent"], net["direction"],
            net["points"]) == (9, 400, "2.25", "1.00", "at-most", None)
    assert net["arithmetic"] == ("failures weighted by repeat (1, 2, 4, 8…): 1 + 1 + 1 + 2 + 4; 9/400 = 2.25% "
                                 "(target ≤1.00%); no points in the policy")
    assert [(x["fault_id"], x["device_id"], x["repeat"], x["counts"]) for x in net["tickets"]] == [  # report order
        ("f1", "agg-1", 1, 1), ("f4", "agg-2", 1, 1), ("f5", None, 1, 1), ("f2", "agg-1", 2, 2), ("f3", "agg-1", 3, 4)]
    spare = figs["spare"]  # a managed count and no failure: 0%
    assert (spare["numerator"], spare["denominator"], spare["rate_percent"]) == (0, 50, "0.00")
    nocount = figs["nocount"]  # no managed-device count in the policy: the figure says so, no rate
    assert (nocount["numerator"], nocount["denominator"], nocount["rate_percent"]) == (1, None, None)
    assert "penalties.kpis.CS-device-fault-rate.managed_devices" in nocount["arithmetic"]


def test_reliability_is_1_minus_downtime_between_report_and_fix_over_the_period() -> None:
    faults = [fault("A", "core", sh(2026, 3, 10, 10), fixed=sh(2026, 3, 10, 12)),
              fault("B", "core", sh(2026, 3, 10, 11), fixed=sh(2026, 3, 10, 13)),  # overlaps A: 10:00–13:00 is 3 h
              fault("C", "core", sh(2026, 2, 28, 22), fixed=sh(2026, 3, 1, 2)),  # March's part: 2 h
              fault("D", "core", sh(2026, 3, 31, 22)),  # still open: to the month's end, 2 h
              fault("E", "core", sh(2026, 2, 20), fixed=sh(2026, 2, 21)),  # fixed before March
              fault("F", "backbone", sh(2026, 3, 10, 10), fixed=sh(2026, 3, 12)),  # another KPI's layer
              fault("G", "core", sh(2026, 3, 15, 8), dept="other", fixed=sh(2026, 3, 15, 8, 30))]
    after = sh(2026, 4, 5)
    figs = {f["department"]: f for f in dk.reliability_figures(K["CS-core-reliability"], faults, "2026-03", TZ,
                                                                after)}
    net = figs["net"]  # 7 h = 25,200 s of 8,760 h = 31,536,000 s: 1 − 25,200/31,536,000 = 99.9201%
    assert (net["numerator"], net["denominator"], net["downtime_seconds"], net["rate_percent"],
            net["target_percent"], net["points"]) == (31_510_800, 31_536_000, 25_200, "99.92", "99.90", None)
    assert net["arithmetic"].startswith("downtime 7 h 0 min (25,200 s) of a 8760 h period: 1 - 25,200 / "
                                        "31,536,000 s; 31510800/31536000 = 99.92% (target ≥99.90%)")
    assert [(x["fault_id"], x["downtime_seconds"], x["open"], x["ok"]) for x in net["tickets"]] == [
        ("C", 7200, False, False), ("A", 7200, False, False), ("B", 7200, False, False), ("D", 7200, True, False)]
    assert figs["other"]["downtime_seconds"] == 1800 and figs["other"]["rate_percent"] == "99.99"
    # computed during the month: the open fault counts up to now (1 h)
    [mid] = [f for f in dk.reliability_figures(K["CS-core-reliability"], faults, "2026-03", TZ, sh(2026, 3, 31, 23))
             if f["department"] == "net"]
    assert mid["downtime_seconds"] == 21_600


def test_reliability_over_the_hours_of_the_month_when_no_period_is_given_and_deducted_when_scored() -> None:
    from shared.policy.kpis import Kpi

    kpi = Kpi.model_validate(K["CS-backbone-reliability"].model_dump() | {
        "period_hours": None, "scoring": {"type": "deduct", "points_per_percent": 1}})
    faults = [fault("A", "backbone", sh(2026, 3, 10, 6), fixed=sh(2026, 3, 10, 13))]  # 7 h of March's 744 h
    [fig] = dk.reliability_figures(kpi, faults, "2026-03", TZ, sh(2026, 4, 5))
    # 1 − 25,200 / 2,678,400 = 99.0591…%: 0.4409 points short of 99.5 × 1 = −0.44
    assert (fig["denominator"], fig["rate_percent"], fig["points"]) == (2_678_400, "99.06", "-0.44")


# -- the new KPIs as policy -----------------------------------------------------------------------------------------

def test_the_cs_pack_measures_calls_egress_devices_and_reliability() -> None:
    assert (K["CS-calls-per-agent"].target, K["CS-calls-per-agent"].team) == (2200, "customer-service")
    assert [(b.to, b.points, b.per) for b in K["CS-calls-per-agent"].scoring.bands] == [(1800, 1, 100),
                                                                                       (1500, 2, 100)]
    assert (K["CS-egress-faults"].target, K["CS-egress-faults"].direction) == (3, "at-most")
    assert [x.value for x in K["CS-device-fault-rate"].layers] == ["aggregation"]
    assert (K["CS-core-reliability"].target_percent, K["CS-backbone-reliability"].period_hours) == (
        Decimal("99.9"), 8760)


def test_an_operator_gives_each_department_its_managed_devices(tmp_path) -> None:
    path = write(tmp_path, """
pack: my-operator
include: [catv-service-norms]
penalties:
  kpis:
    CS-device-fault-rate: {managed_devices: {network-ops: 420}}
""")
    kpis = {k.kpi: k for k in load_policy(path).penalties.kpis}
    assert kpis["CS-device-fault-rate"].managed_devices == {"network-ops": 420}
    assert kpis["CS-device-fault-rate"].target_percent == 1  # the rest of the pack's KPI is kept


@pytest.mark.parametrize(("fragment", "key", "reason"), [
    ("CS-calls-per-agent: {target_percent: 90}", "penalties.kpis.CS-calls-per-agent", "is a count: give target"),
    ("X-egress: {title: t, citation: c, measure: egress-faults, layers: [egress], target: 3, direction: at-most, "
     "scoring: {type: deduct, points_per_percent: 5}}", "penalties.kpis.X-egress", "scoring type steps"),
    ("CS-calls-per-agent: {scoring: {type: steps, full_points: 100, bands: [{to: 2300, points: 1}]}}",
     "penalties.kpis.CS-calls-per-agent", "must lead away from the target 2200"),
    ("CS-egress-faults: {layers: [nope]}", "penalties.kpis.CS-egress-faults.layers.0", "egress"),
    ("CS-core-reliability: {layers: []}", "penalties.kpis.CS-core-reliability", "needs layers"),
    ("CS-device-fault-rate: {managed_devices: {net: 0}}", "penalties.kpis.CS-device-fault-rate", "at least 1"),
    ("CS-on-time: {managed_devices: {net: 10}}", "penalties.kpis.CS-on-time", "device-fault-rate only"),
    ("CS-dispatch-accuracy: {scoring: {type: steps, full_points: 1, bands: [{to: 1, points: 1}]}}",
     "penalties.kpis.CS-dispatch-accuracy", "count measures only"),
])
def test_a_wrong_count_or_network_kpi_is_refused_naming_its_key(tmp_path, fragment: str, key: str,
                                                                reason: str) -> None:
    err = fails(write(tmp_path, f"pack: my-operator\ninclude: [catv-service-norms]\npenalties:\n  kpis:\n"
                                f"    {fragment}\n"))
    assert err.key == key and reason in err.reason, (err.key, err.reason)
