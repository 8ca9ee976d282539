"""RULEBOOK §9.12 in the scorecards: a late ticket under a standing CT exemption is "late, exempt", shown among the
on-time figure's tickets and left out of its rate, with hand-computed rates; voided, it counts again."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from services.penalty.domain import kpi as dk
from services.penalty.service_layer.scorecards import to_csv
from shared.policy import load_pack
from tests.unit.sla.helpers import sh

K = {k.kpi: k for k in load_pack("catv-service-norms").penalties.kpis}
TZ = "Asia/Shanghai"
DUE = sh(2026, 3, 10)


def timer(tid: str, outcome: str, rule: str = "CS-complete-24h", family: str = "cs-complete",
          person: str = "wang") -> dict:
    return {"ticket_id": tid, "family": family, "round": 1, "rule_id": rule, "department": "maint", "person": person,
            "deadline": DUE, "outcome": outcome, "actual": None, "event_ids": [f"e-{tid}"]}


def exemption(tid: str, eid: str = "x1", families: tuple[str, ...] = ("cs-complete",), voided: bool = False,
              hours: int = 0) -> dk.Exemption:
    return dk.Exemption(exemption_id=eid, ticket_id=tid, code="customer-caused", cause=None, promise="repair",
                        families=frozenset(families), recorded_at=DUE + timedelta(hours=hours),
                        voided_at=DUE + timedelta(days=1) if voided else None)


def on_time(timers: list[dict], exemptions: dict[str, list[dk.Exemption]], kpi: str = "CS-on-time") -> dict:
    cases = dk.timer_cases(K[kpi], timers, "2026-03", TZ, exemptions)
    [fig] = dk.figures(K[kpi], cases, clause_fen=5000 if kpi == "CS-on-time" else None)
    return fig


def test_three_timers_one_late_and_exempt_is_two_out_of_two() -> None:
    fig = on_time([timer("t1", "met"), timer("t2", "met"), timer("t3", "late")], {"t3": [exemption("t3")]})
    assert (fig["numerator"], fig["denominator"], fig["rate_percent"], fig["points"], fig["exempt"]) == (
        2, 2, "100.00", "0.00", 1)
    assert fig["arithmetic"] == ("2/2 = 100.00% (target ≥99.00%; 1 late, exempt left out, RULEBOOK §9.12); "
                                 "target met: 0.00")
    items = {t["ticket_id"]: t for t in fig["tickets"]}
    assert [items[t]["exempt"] for t in ("t1", "t2")] == [None, None]
    assert items["t3"]["ok"] is False and items["t3"]["exempt"] == {
        "exemption_id": "x1", "code": "customer-caused", "cause": None, "promise": "repair", "clause": "CT-3.2",
        "recorded_at": DUE.isoformat(), "outcome": "late, exempt (RULEBOOK §9.12)"}


def test_a_voided_exemption_counts_the_late_ticket_again() -> None:
    fig = on_time([timer("t1", "met"), timer("t2", "met"), timer("t3", "late")],
                  {"t3": [exemption("t3", voided=True)]})
    # 2/3 = 66.666…%: 32.333… points short × 2 = 64.666… → −64.67
    assert (fig["numerator"], fig["denominator"], fig["rate_percent"], fig["points"], fig["exempt"]) == (
        2, 3, "66.67", "-64.67", 0)
    assert fig["arithmetic"] == "2/3 = 66.67% (target ≥99.00%); 32.33 points short × 2 = -64.67"
    assert all(t["exempt"] is None for t in fig["tickets"])


def test_only_the_exempted_rule_families_and_late_timers_are_left_out() -> None:
    timers = [timer("t1", "late"), timer("t2", "met"), timer("t3", "late"), timer("t4", "late")]
    fig = on_time(timers, {
        "t1": [exemption("t1", families=("ct-install",))],  # another promise's timers
        "t2": [exemption("t2")],  # met in time: stays met, counted
        "t3": [exemption("t3")],
        "t9": [exemption("t9")],  # another ticket's
    })
    # t1 late, t2 met, t4 late counted: 1/3 = 33.333…%: 65.666… × 2 = 131.333… → −131.33
    assert (fig["numerator"], fig["denominator"], fig["points"], fig["exempt"]) == (1, 3, "-131.33", 1)
    assert [t["ticket_id"] for t in fig["tickets"] if t["exempt"]] == ["t3"]


def test_the_earliest_standing_exemption_is_named() -> None:
    fig = on_time([timer("t1", "late")], {"t1": [exemption("t1", "later", hours=2),
                                                 exemption("t1", "voided", hours=-2, voided=True),
                                                 exemption("t1", "first", hours=1)]})
    [item] = fig["tickets"]
    assert item["exempt"]["exemption_id"] == "first"


def test_every_ticket_exempt_leaves_no_cases_and_says_why() -> None:
    fig = on_time([timer("t1", "late")], {"t1": [exemption("t1")]})
    assert (fig["numerator"], fig["denominator"], fig["rate_percent"], fig["points"]) == (0, 0, None, None)
    assert fig["arithmetic"] == "no cases this month (1 late, exempt left out, RULEBOOK §9.12)"


def test_the_response_ratio_is_not_the_on_time_rate_and_keeps_the_late_ticket() -> None:
    timers = [timer("t1", "met", "CS-response-30m", "cs-response"), timer("t2", "late", "CS-response-30m",
                                                                          "cs-response")]
    fig = on_time(timers, {"t2": [exemption("t2", families=("cs-response",))]}, kpi="CS-response-30m")
    assert (fig["numerator"], fig["denominator"], fig["rate_percent"]) == (1, 2, "50.00")
    assert "exempt" not in fig and "exempt" not in fig["tickets"][1]


def test_cs_21_5_still_charges_the_exempt_late_ticket_as_the_ledger_does() -> None:
    fig = on_time([timer("t1", "met"), timer("t2", "late", person="li")], {"t2": [exemption("t2")]})
    assert fig["money"]["by_person"] == [{"person": "li", "fen": 5000}] and fig["money"]["total_fen"] == 5000


def test_the_csv_lists_exempt_tickets_apart_from_the_tickets_not_on_time() -> None:
    fig = on_time([timer("t1", "met"), timer("t2", "late"), timer("t3", "late")], {"t3": [exemption("t3")]})
    text = to_csv({"month": "2026-03", "departments": [{"department": "maint", "figures": [fig]}]})
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert (cells["numerator"], cells["denominator"], cells["tickets_not_ok"], cells["tickets_exempt"],
            cells["tickets"]) == ("1", "2", "t2", "t3", "t1 t2 t3")
