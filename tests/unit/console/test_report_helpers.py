"""Console reports and scorecards (issue 12): the same-day figures per district, totals per currency, the published
penalty list as rows, default periods, percentages, and the trend series the chart draws."""

from __future__ import annotations

from datetime import date

from services.console.domain import permissions, reports
from shared.identity import Role


def test_same_day_figures_are_summed_per_district_with_a_rate_and_a_total() -> None:
    rows = [{"day": "2026-03-01", "district": "jianghan", "promise": "repair", "on_time": 3, "late": 1,
             "late_exempt": 1, "open": 0, "rate": 0.75},
            {"day": "2026-03-02", "district": "jianghan", "promise": "repair", "on_time": 1, "late": 0,
             "late_exempt": 0, "open": 2, "rate": 1.0},
            {"day": "2026-03-02", "district": None, "promise": "install", "on_time": 0, "late": 0,
             "late_exempt": 1, "open": 0, "rate": None}]
    out = reports.same_day_by_district(rows)
    assert out[0] == {"district": "jianghan", "promise": "repair", "on_time": 4, "late": 1, "late_exempt": 1,
                      "open": 2, "rate": 0.8}
    assert out[1]["district"] == "unknown" and out[1]["rate"] is None  # only late-exempt: outside the rate
    assert out[-1] == {"district": None, "promise": None, "on_time": 4, "late": 1, "late_exempt": 2, "open": 2,
                       "rate": 0.8}
    assert reports.same_day_by_district([])[-1]["rate"] is None


def test_percentages() -> None:
    assert reports.percent(0.8) == "80.00%" and reports.percent(0.95125) == "95.13%"
    assert reports.percent("97.5", fraction=False) == "97.50%" and reports.percent(None) == ""
    assert reports.percent("n/a") == "n/a"


def test_totals_per_currency_only_of_the_matching_rows() -> None:
    rows = [{"amount": 2000, "currency": "CNY", "status": "due"}, {"amount": 1000, "currency": "CNY", "status": "due"},
            {"amount": 500, "currency": "CNY", "status": "exempt"}, {"amount": 750, "currency": "GBP", "status": "due"}]
    assert reports.totals_by_currency(rows, {"status": "due"}) == {"CNY": 3000, "GBP": 750}
    assert reports.totals_by_currency(rows) == {"CNY": 3500, "GBP": 750}
    assert reports.totals_by_currency([]) == {}


def test_published_penalty_list_as_rows() -> None:
    body = {"columns": ["entry_id", "clause", "amount_fen"], "rows": [["e1", "TT-1", 5000], ["e2", "TT-2", 100]]}
    assert reports.published_rows(body) == [{"entry_id": "e1", "clause": "TT-1", "amount_fen": 5000},
                                            {"entry_id": "e2", "clause": "TT-2", "amount_fen": 100}]
    assert reports.payer_name({"payer_kind": "department", "payer_id": "jianghan-maint"}) == "jianghan-maint"
    assert reports.payer_name({"payer_kind": "platform", "payer_id": None}) == "platform"


def test_default_periods_and_months() -> None:
    today = date(2026, 3, 5)
    assert reports.period(None, None, today) == (date(2026, 2, 27), date(2026, 3, 5))
    assert reports.period("2026-03-04", "2026-03-01", today) == (date(2026, 3, 1), date(2026, 3, 4))
    assert reports.period("bad", "2026-03-02", today) == (date(2026, 2, 24), date(2026, 3, 2))
    assert reports.month_of("2026-01", today) == "2026-01" and reports.month_of("2026-13", today) == "2026-03"
    assert reports.month_of(None, today) == "2026-03"
    assert reports.months_back("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]
    assert reports.months_back("2026-02", 0) == ["2026-02"]


def _body(month: str, figures: dict[str | None, list[dict]]) -> dict:
    kpis = [{"kpi": "on-time", "title": "on-time rate", "measure": "on-time", "target_percent": "99"},
            {"kpi": "sat", "title": "satisfaction", "measure": "satisfaction", "target_percent": "98"},
            {"kpi": "churn", "title": "churn", "measure": "vip-churn", "target_percent": "2"}]
    return {"month": month, "kpis": kpis, "departments": [{"department": d, "figures": f} for d, f in figures.items()]}


def test_trend_gives_one_series_per_charted_kpi_over_the_months() -> None:
    fig = (lambda kpi, num, den: {"kpi": kpi, "numerator": num, "denominator": den})
    bodies = [_body("2026-01", {"a": [fig("on-time", 9, 10)], "b": [fig("on-time", 1, 2)]}),
              _body("2026-02", {"a": []}),
              _body("2026-03", {"a": [fig("on-time", 3, 4), fig("churn", 1, 10)], None: [fig("sat", 49, 50)]})]
    chart = reports.trend(bodies, "a")
    assert chart["months"] == ["2026-01", "2026-02", "2026-03"]
    assert [s["kpi"] for s in chart["series"]] == ["on-time"]  # churn is not charted, satisfaction not a's
    assert chart["series"][0]["values"] == [90.0, None, 75.0] and chart["series"][0]["target"] == 99.0
    everyone = reports.trend(bodies, None)
    assert [s["kpi"] for s in everyone["series"]] == ["on-time", "sat"]
    assert everyone["series"][0]["values"] == [round(100 * 10 / 12, 2), None, 75.0]
    assert reports.departments_of(bodies) == ["a", "b"]
    assert [f["department"] for f in reports.figures_of(bodies[2], None)] == ["a", "a", None]


def test_reports_are_finance_and_ops_scorecards_penalty_readers() -> None:
    assert permissions.can(Role.FINANCE, "reports.read") and permissions.can(Role.OPS, "reports.read")
    assert not permissions.can(Role.AGENT, "reports.read") and not permissions.can(Role.SUPERVISOR, "reports.read")
    assert permissions.can(Role.GM, "scorecards.read") and not permissions.can(Role.AGENT, "scorecards.read")
