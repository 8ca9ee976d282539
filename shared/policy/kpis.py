"""KPI scorecards (RULEBOOK §5.3, §9.11) as policy, beside the penalty clauses under `penalties: kpis:`.

    penalties:
      kpis:
        CS-on-time:
          title: ticket on-time rate
          citation: "CS-21.5 (RULEBOOK §5.3, §9.11)"
          measure: on-time
          rules: [CS-vip-fault-6h, CS-vip-business-12h, CS-complete-24h]
          target_percent: 99
          scoring: {type: deduct, points_per_percent: 2}
          clause: CS-21.5        # the ledger clause that charges the person per late ticket

A file that includes a pack changes a KPI key by key (`kpis: {CS-on-time: {target_percent: 98}}`) or drops it
(`kpis: {CS-on-time: null}`). Percentages and points are decimals; points are pro-rated to 0.01 (§9.11).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _decimal(value: Any) -> Any:
    """YAML floats (0.5) become exact decimals ('0.5'), never binary fractions."""
    return Decimal(str(value)) if isinstance(value, float | int) and not isinstance(value, bool) else value


Dec = Annotated[Decimal, BeforeValidator(_decimal)]
Measure = Literal[
    "on-time",  # completion timers met / decided, by the month the completion deadline falls in (§9.11)
    "response",  # response timers met / decided (the 30-minute response ratio)
    "satisfaction",  # callbacks that answered satisfied / callbacks that asked
    "effective-callback",  # resolutions with a reached, complete callback / resolutions needing one
    "dispatch-accuracy",  # dispatches not later marked wrong (TicketRedispatched.wrong_dispatch) / dispatches
    "first-time-fix",  # resolutions with no reopen or repeat fault within window_days / resolutions
    "vip-churn",  # VIP/group customers who left / VIP/group customers with a ticket in the month
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeductScoring(_Strict):
    """−points_per_percent for each percentage point short of the target, pro-rated (97.5% vs 99% × 2 = −3.00)."""

    type: Literal["deduct"]
    points_per_percent: Dec = Field(gt=0)


class ProportionalScoring(_Strict):
    """full_points × actual / target, capped at full_points; zero below zero_below_percent (satisfaction ≥98%:
    score = actual/98%, zero below 90%)."""

    type: Literal["proportional"]
    full_points: Dec = Field(gt=0)
    zero_below_percent: Dec | None = None


Scoring = Annotated[DeductScoring | ProportionalScoring, Field(discriminator="type")]


class Kpi(_Strict):
    """One scorecard figure."""

    kpi: str = Field(pattern=r"^[A-Za-z0-9.-]+$")
    title: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    measure: Measure
    rules: tuple[str, ...] = Field((), description="on-time/response: the timer rules whose outcomes count; one "
                                                   "timer per family and round, the most specific (sla_monitor)")
    team: Literal["responsible-department", "customer-service"] = Field(
        "responsible-department", description="Whose figure: the department the ticket was dispatched to, or the "
                                              "customer-service platform (call-centre KPIs)")
    target_percent: Dec = Field(ge=0, le=100)
    direction: Literal["at-least", "at-most"] = "at-least"
    scoring: Scoring | None = Field(None, description="None: the figure is shown without points")
    clause: str | None = Field(None, description="Ledger clause that charges each failing case (CS-21.5)")
    products: tuple[str, ...] = Field((), description="Only tickets of these products (first-time-fix by product)")
    window_days: int | None = Field(None, ge=1, description="first-time-fix: no reopen or repeat fault within N "
                                                            "days of the resolution")
    satisfied_from_score: int | None = Field(None, ge=1, le=5, description="satisfaction: a 1–5 score at least "
                                                                           "this counts satisfied when the yes/no "
                                                                           "question was not asked")

    @model_validator(mode="after")
    def _consistent(self) -> Kpi:
        if self.measure in ("on-time", "response") and not self.rules:
            raise ValueError(f"measure {self.measure} needs rules (the timer rules it counts)")
        if self.measure == "first-time-fix" and self.window_days is None:
            raise ValueError("first-time-fix needs window_days (no reopen or repeat fault within N days)")
        if isinstance(self.scoring, ProportionalScoring) and self.direction == "at-most":
            raise ValueError("proportional scoring applies to at-least targets only")
        return self


def kpi_from(kpi_id: str, data: dict[str, Any]) -> Kpi:
    return Kpi.model_validate({**data, "kpi": kpi_id})


KPI_HEADERS = ("kpi", "title", "measure", "target", "points", "team", "citation")


def kpi_rows(kpis: tuple[Kpi, ...]) -> list[tuple[str, ...]]:
    """One row per KPI for `gongdan policy explain`."""
    rows = []
    for k in kpis:
        target = f"{'≥' if k.direction == 'at-least' else '≤'}{k.target_percent}%"
        if isinstance(k.scoring, DeductScoring):
            points = f"−{k.scoring.points_per_percent} per point short (to 0.01)"
        elif isinstance(k.scoring, ProportionalScoring):
            points = f"{k.scoring.full_points} × actual/target" + (
                f", 0 below {k.scoring.zero_below_percent}%" if k.scoring.zero_below_percent is not None else "")
        else:
            points = "none (figure only)"
        measure = k.measure + (f" of {', '.join(k.rules)}" if k.rules else "") + (
            f" ({', '.join(k.products)})" if k.products else "") + (f" within {k.window_days} d" if k.window_days else "")
        rows.append((k.kpi, k.title, measure, target, points, k.team, k.citation))
    return rows
