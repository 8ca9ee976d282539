"""Satisfaction reports (RULEBOOK §8 GX, §5.3 CS call centre): periods, how an answer is judged, which department a
callback counts for, and the figures per department, per kind and in total, with hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.penalty.domain import satisfaction as ds

TZ = "Asia/Shanghai"
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_a_period_is_a_month_a_quarter_or_a_year() -> None:
    assert ds.period_months("2026-03") == ["2026-03"]
    assert ds.period_months("2026-Q2") == ["2026-04", "2026-05", "2026-06"]
    assert ds.period_months("2026") == [f"2026-{m:02d}" for m in range(1, 13)]
    for bad in ("2026-13", "2026-Q5", "26", "2026-3"):
        with pytest.raises(ValueError):
            ds.period_months(bad)


@pytest.mark.parametrize(("answer", "from_score", "expected"), [
    ({"reached": True, "satisfied": True, "satisfaction_score": 1}, 4, True),  # the yes/no answer wins
    ({"reached": True, "satisfied": False, "satisfaction_score": 5}, 4, False),
    ({"reached": True, "satisfaction_score": 4}, 4, True),  # only a score: at least the policy's threshold
    ({"reached": True, "satisfaction_score": 3}, 4, False),
    ({"reached": True, "satisfaction_score": 5}, None, None),  # no threshold in the policy: not counted
    ({"reached": True}, 4, None),  # not asked
    ({"reached": False, "satisfied": True}, 4, None),  # nobody to ask
])
def test_how_an_answer_is_judged(answer: dict[str, Any], from_score: int | None, expected: bool | None) -> None:
    assert ds.judged(answer, from_score) is expected


def ev(name: str, at: datetime, **payload: Any) -> tuple[str, str, datetime, dict[str, Any]]:
    return name, f"{name}-{at.isoformat()}-{payload.get('round', '')}", at, payload


def call(at: datetime, rnd: int = 1, **answer: Any) -> tuple:
    return ev("CallbackDone", at, round=rnd, actor="agent-1", **answer)


H = timedelta(hours=1)
HISTORIES = {
    # D1: satisfied (5), then reopened to D2 and dissatisfied there (2)
    "a": [ev("TicketCreated", AT, number="A", kind="fault"), ev("TicketDispatched", AT, department="D1"),
          call(AT + H, reached=True, satisfied=True, satisfaction_score=5),
          ev("TicketReopened", AT + 2 * H, department="D2"),
          call(AT + 3 * H, 2, reached=True, satisfied=False, satisfaction_score=2)],
    # D1: not reached; then a score of 4 only (satisfied from 4)
    "b": [ev("TicketCreated", AT, number="B", kind="complaint"), ev("TicketDispatched", AT, department="D1"),
          call(AT + H, reached=False), call(AT + 2 * H, reached=True, satisfaction_score=4)],
    # D2 (reclassified to install before the call): satisfied; a call on 1 April 00:30 local is April's
    "c": [ev("TicketCreated", AT, number="C", kind="fault"), ev("TicketDispatched", AT, department="D2"),
          ev("TicketReclassified", AT, after={"kind": "install"}),
          call(AT + H, reached=True, satisfied=True),
          call(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), 2, reached=True, satisfied=False)],
    # never dispatched: reached, satisfied question not asked, score 3
    "d": [ev("TicketCreated", AT, number="D", kind="inquiry"), call(AT + H, reached=True, satisfaction_score=3)],
}


def test_each_callback_counts_for_the_department_and_kind_of_its_ticket_at_the_time() -> None:
    calls = ds.callbacks(HISTORIES, ["2026-03"], TZ, 4)
    assert [(c.number, c.department, c.kind, c.satisfied) for c in calls] == [
        ("A", "D1", "fault", True), ("B", "D1", "complaint", None), ("C", "D2", "install", True),
        ("D", None, "inquiry", False),  # score 3 < 4
        ("B", "D1", "complaint", True), ("A", "D2", "fault", False)]
    assert [c.number for c in ds.callbacks(HISTORIES, ["2026-04"], TZ, 4)] == ["C"]


def test_figures_per_department_per_kind_and_the_call_centres_total() -> None:
    body = ds.report(ds.callbacks(HISTORIES, ["2026-03"], TZ, 4), "2026-03", TZ, 4)
    rows = {r["department"]: r for r in body["rows"]}
    assert list(rows) == [None, "D1", "D2"]
    d1 = rows["D1"]  # A satisfied, B unreached, B scored 4: 2 asked, 2 satisfied
    assert (d1["callbacks"], d1["reached"], d1["asked"], d1["satisfied"], d1["dissatisfied"], d1["rate_percent"]) == (
        3, 2, 2, 2, 0, "100.00")
    assert (d1["scored"], d1["average_score"], d1["scores"]) == (2, "4.50", [0, 0, 0, 1, 1])
    d2 = rows["D2"]  # C satisfied, A dissatisfied: 1 of 2
    assert (d2["asked"], d2["satisfied"], d2["rate_percent"], d2["dissatisfied_tickets"]) == (2, 1, "50.00", ["A"])
    assert (d2["scored"], d2["average_score"]) == (1, "2.00")
    total = body["total"]  # 5 asked, 3 satisfied: 60%; scores 5, 4, 3, 2: 3.50
    assert (total["callbacks"], total["reached"], total["asked"], total["satisfied"], total["rate_percent"]) == (
        6, 5, 5, 3, "60.00")
    assert (total["average_score"], total["scores"], total["dissatisfied_tickets"]) == ("3.50", [0, 1, 1, 1, 1],
                                                                                         ["A", "D"])
    kinds = {r["kind"]: (r["asked"], r["satisfied"]) for r in body["by_kind"]}
    assert kinds == {"complaint": (1, 1), "fault": (2, 1), "inquiry": (1, 0), "install": (1, 1)}


def test_two_of_three_satisfied_rounds_half_up() -> None:
    calls = [ds.Callback(str(n), str(n), str(n), AT, "D", "fault", None, True, n < 2, None) for n in range(3)]
    assert ds.report(calls, "2026-Q1", TZ, None)["total"]["rate_percent"] == "66.67"
    assert ds.report([], "2026", TZ, None)["total"]["rate_percent"] is None
