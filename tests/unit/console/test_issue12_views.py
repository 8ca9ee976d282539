"""Console views added for issue 12's leftovers (pure): table 4's category cells, the satisfaction scope, a rate
against its target, each claim's exemptions and how they stand, the open work that is not a customer ticket with
its timers, and who may record an exemption or a dispute."""

from __future__ import annotations

from datetime import UTC, datetime

from services.console.domain import board, exemptions, permissions, reports
from shared.identity import Role


def test_table4_category_cells_span_their_rows() -> None:
    rows = [{"category": "policy"}, {"category": "network", "subcategory": "trunk"},
            {"category": "network", "subcategory": "other"}, {"category": "network", "subcategory": "source"},
            {"category": "other"}]
    assert [r["span"] for r in reports.table4_spans(rows)] == [1, 3, 0, 0, 1]
    assert reports.table4_spans([]) == []


def test_satisfaction_scope_of_a_month() -> None:
    assert reports.satisfaction_query("2026-05", "quarter") == {"quarter": "2026-Q2"}
    assert reports.satisfaction_query("2026-12", "quarter") == {"quarter": "2026-Q4"}
    assert reports.satisfaction_query("2026-01", "quarter") == {"quarter": "2026-Q1"}
    assert reports.satisfaction_query("2026-05", "year") == {"year": "2026"}
    assert reports.satisfaction_query("2026-05", "month") == {"month": "2026-05"}
    assert reports.satisfaction_query("2026-05", "decade") == {"month": "2026-05"}
    assert {"complaints", "satisfaction"} <= set(reports.REPORTS)


def test_a_rate_against_its_target() -> None:
    assert reports.below_target("97.50", "98.00") is True
    assert reports.below_target("98.00", "98") is False  # exactly the target is met
    assert reports.below_target(None, "98.00") is None and reports.below_target("90", None) is None
    assert reports.below_target("n/a", "98") is None


def test_each_claims_exemptions_oldest_first_and_how_each_stands() -> None:
    a = {"exemption_id": "x2", "recorded_at": "2026-03-02T01:00:00+00:00", "claims": ["c1"], "stands": True,
         "disputed": True}
    b = {"exemption_id": "x1", "recorded_at": "2026-03-01T01:00:00+00:00", "claims": ["c1", "c2"], "stands": False,
         "disputed": True}
    c = {"exemption_id": "x3", "recorded_at": "2026-03-03T01:00:00+00:00", "claims": [], "stands": True,
         "disputed": False}
    got = exemptions.by_claim([a, b, c])
    assert {k: [e["exemption_id"] for e in v] for k, v in got.items()} == {"c1": ["x1", "x2"], "c2": ["x1"]}
    assert [exemptions.state(e) for e in (a, b, c)] == ["upheld", "void", "standing"]


def test_the_reason_codes_of_the_claims_scheme() -> None:
    codes = [{"scheme": "ct", "reasons": {"rural": "r"}, "force_majeure": ["typhoon"], "not_exempt": {},
              "dispute_clause": "CT-3.3.1"},
             {"scheme": "ofcom", "reasons": {"customer-caused": "c"}, "force_majeure": [], "not_exempt": {},
              "dispute_clause": "ACS-dispute"}]
    assert exemptions.codes_for(codes, "ofcom")["dispute_clause"] == "ACS-dispute"
    assert exemptions.codes_for(codes, "gone")["scheme"] == "ct"
    assert exemptions.codes_for([], "ct")["reasons"] == {}


def timer(item: str, rule: str, left: int, **more: object) -> dict:
    return {"ticket_id": item, "rule_id": rule, "round": 1, "remaining_seconds": left, **more}


def test_open_work_items_with_their_timers_breached_first_then_least_time_left() -> None:
    listed = {
        "network-faults": [{"fault_id": "f1", "number": "2026-NF-1", "opened_at": "2026-03-02T01:00:00+00:00"},
                           {"fault_id": "f2", "number": "2026-NF-2", "opened_at": "2026-03-02T00:00:00+00:00"}],
        "mail": [{"mail_id": "m1", "number": "2026-ML-1", "opened_at": "2026-03-01T00:00:00+00:00"}],
        "forum-posts": [{"post_id": "p1", "number": "2026-FP-1", "opened_at": "2026-03-02T02:00:00+00:00"}],
    }
    late = timer("f1", "CS-backbone-fix-2h", -600, breached_at="2026-03-02T03:02:00+00:00")
    timers = [late, late,  # on a list twice: once
              timer("f1", "NJ-fault-notify-10m", 300), timer("p1", "CS-forum-4h", 900),
              timer("m1", "TT-email-72h", 120), timer("zz", "TT-repair-22h", -5)]
    rows = board.work_item_rows(listed, timers)
    assert [(r["number"], r["series"], r["breached"], r["at_risk"], r["remaining_seconds"]) for r in rows] == [
        ("2026-NF-1", "network-faults", 1, 1, -600), ("2026-ML-1", "mail", 0, 1, 120),
        ("2026-FP-1", "forum-posts", 0, 1, 900), ("2026-NF-2", "network-faults", 0, 0, None)]
    assert rows[0]["id"] == "f1"
    tickets, items = board.split_timers(timers, ["f1", "m1"])
    assert [t["ticket_id"] for t in items] == ["f1", "f1", "f1", "m1"]
    assert [t["ticket_id"] for t in tickets] == ["p1", "zz"]


def test_who_may_record_an_exemption_a_dispute_and_read_work_items() -> None:
    assert permissions.can(Role.OPS, "exemptions.record") and not permissions.can(Role.OPS, "exemptions.dispute")
    assert permissions.can(Role.AGENT, "exemptions.dispute") and not permissions.can(Role.AGENT, "exemptions.record")
    assert permissions.can(Role.SUPERVISOR, "exemptions.record") and permissions.can(Role.SUPERVISOR,
                                                                                       "exemptions.dispute")
    assert not permissions.can(Role.FINANCE, "exemptions.record") and not permissions.can(Role.FINANCE,
                                                                                            "exemptions.dispute")
    assert permissions.can(Role.TECHNICIAN, "work_items.read") and not permissions.can(Role.FINANCE,
                                                                                        "work_items.read")


def test_a_work_items_timers_at_risk_and_breached_as_sla_monitor_counts_them() -> None:
    now = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)

    def tm(rule: str, state: str, warning: str, deadline: str, **more: object) -> dict:
        return {"rule_id": rule, "state": state, "warning_at": f"2026-03-02T{warning}:00+00:00",
                "deadline": f"2026-03-02T{deadline}:00+00:00", **more}

    timers = [tm("warned", "running", "03:50", "06:00"),  # past its warning instant
              tm("due-soon", "running", "04:30", "05:00"),  # due within the hour
              tm("later", "running", "04:30", "05:01"),  # neither: not at risk yet
              tm("paused", "paused", "03:00", "04:30"),  # paused timers are not at risk
              tm("late", "breached", "01:00", "02:00"),
              tm("retracted", "breached", "01:00", "02:00", retracted=True),
              tm("met", "met", "01:00", "02:00")]
    at_risk, breached = board.item_timers(timers, now)
    assert [t["rule_id"] for t in at_risk] == ["warned", "due-soon"]
    assert [t["rule_id"] for t in breached] == ["late"]
