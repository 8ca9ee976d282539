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

Most figures are rates against `target_percent`. Two are counts against `target` (COUNT_MEASURES): calls per
agent-month and egress faults a month, scored in steps (`type: steps`). The network figures count the faults the
NMS reports (NetworkFaultReported, of the KPI's `layers`) per responsible department.

The managed-device count (the denominator of the aggregation device fault rate) is a KPI parameter per department,
`managed_devices: {network-ops: 420}`, not a field of the directory: it is an input of the assessment the operator
sets with its targets for the period (changed by the same people, in the same file, and frozen with the month's
scorecards when the month is closed), while the directory describes who works where and who pays; no event of the
platform carries a device inventory to derive it from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.events.lifecycle.work_items import FaultLayer


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
    "calls-per-agent",  # calls handled (CallHandled, by the local month they started) / agents who handled one
    "egress-faults",  # faults of the KPI's layers (egress) reported in the month, per responsible department
    "device-fault-rate",  # failures of devices of the KPI's layers, a device's k-th in the month counting 2^(k-1),
    #                       / the department's managed devices (`managed_devices`)
    "reliability",  # 1 - downtime (NetworkFaultReported -> NetworkFaultFixed, in the month) / period_hours
]
COUNT_MEASURES = ("calls-per-agent", "egress-faults")  # a count against `target`, not a rate against target_percent
FAULT_MEASURES = ("egress-faults", "device-fault-rate", "reliability")  # from the NMS's fault reports, by `layers`


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


class Band(_Strict):
    """One step of a StepScoring: from where the previous band ended (the first: the target) to `to`."""

    to: Dec = Field(ge=0, description="Where the band ends")
    points: Dec = Field(gt=0, description="Deducted per `per` units into the band, pro-rated to 0.01 (§9.11)")
    per: Dec = Field(Decimal(1), gt=0)


class StepScoring(_Strict):
    """Count targets: full_points, less each band's points per `per` units past the target, pro-rated to 0.01
    (§9.11); beyond the last band the figure scores zero. Calls per agent-month (≥2,200): bands to 1,800 at 1 per 100
    and to 1,500 at 2 per 100, zero below 1,500; egress faults (≤3): a band to 5 at 5 per fault, zero above 5."""

    type: Literal["steps"]
    full_points: Dec = Field(gt=0)
    bands: tuple[Band, ...] = Field(min_length=1)


Scoring = Annotated[DeductScoring | ProportionalScoring | StepScoring, Field(discriminator="type")]


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
    target_percent: Dec | None = Field(None, ge=0, le=100, description="Rates: the target in percent")
    target: Dec | None = Field(None, ge=0, description="Counts (calls-per-agent, egress-faults): the target number")
    direction: Literal["at-least", "at-most"] = "at-least"
    scoring: Scoring | None = Field(None, description="None: the figure is shown without points")
    clause: str | None = Field(None, description="Ledger clause that charges each failing case (CS-21.5)")
    products: tuple[str, ...] = Field((), description="Only tickets of these products (first-time-fix by product)")
    window_days: int | None = Field(None, ge=1, description="first-time-fix: no reopen or repeat fault within N "
                                                            "days of the resolution")
    satisfied_from_score: int | None = Field(None, ge=1, le=5, description="satisfaction: a 1–5 score at least "
                                                                           "this counts satisfied when the yes/no "
                                                                           "question was not asked")
    layers: tuple[FaultLayer, ...] = Field((), description="Fault measures: the fault layers counted")
    managed_devices: dict[str, int] = Field(default_factory=dict, description="device-fault-rate: managed devices "
                                            "per responsible department (the rate's denominator)")
    period_hours: Dec | None = Field(None, gt=0, description="reliability: 1 - downtime / period_hours (backbone: "
                                                             "24 × 365 = 8,760); none: the hours of the month")

    @model_validator(mode="after")
    def _consistent(self) -> Kpi:
        if self.measure in ("on-time", "response") and not self.rules:
            raise ValueError(f"measure {self.measure} needs rules (the timer rules it counts)")
        self._targets()
        if self.measure in FAULT_MEASURES and not self.layers:
            raise ValueError(f"measure {self.measure} needs layers (the fault layers it counts)")
        if self.measure not in FAULT_MEASURES and self.layers:
            raise ValueError(f"layers apply to the fault measures only ({', '.join(FAULT_MEASURES)})")
        if self.managed_devices and self.measure != "device-fault-rate":
            raise ValueError("managed_devices applies to measure device-fault-rate only")
        if any(n < 1 for n in self.managed_devices.values()):
            raise ValueError("managed_devices: each department manages at least 1 device")
        if self.period_hours is not None and self.measure != "reliability":
            raise ValueError("period_hours applies to measure reliability only")
        if self.measure == "calls-per-agent" and self.team != "customer-service":
            raise ValueError("calls-per-agent is a call-centre figure: team customer-service")
        if self.measure in FAULT_MEASURES and self.team != "responsible-department":
            raise ValueError(f"{self.measure} counts faults per responsible department: team responsible-department")
        if self.measure == "first-time-fix" and self.window_days is None:
            raise ValueError("first-time-fix needs window_days (no reopen or repeat fault within N days)")
        if isinstance(self.scoring, ProportionalScoring) and self.direction == "at-most":
            raise ValueError("proportional scoring applies to at-least targets only")
        return self

    def _targets(self) -> None:
        """A count has a `target` and step scoring (or none); a rate has a `target_percent` and no steps."""
        if self.measure in COUNT_MEASURES:
            if self.target is None or self.target_percent is not None:
                raise ValueError(f"measure {self.measure} is a count: give target (a number), not target_percent")
            if self.scoring is not None and not isinstance(self.scoring, StepScoring):
                raise ValueError(f"measure {self.measure} is a count: scoring type steps")
            if isinstance(self.scoring, StepScoring):
                ends = [self.target, *(b.to for b in self.scoring.bands)]
                away = all(a > b for a, b in zip(ends, ends[1:], strict=False)) if self.direction == "at-least" \
                    else all(a < b for a, b in zip(ends, ends[1:], strict=False))
                if not away:
                    raise ValueError(f"scoring.bands must lead away from the target {self.target} "
                                     f"({'down' if self.direction == 'at-least' else 'up'}), each ending past the last")
        else:
            if self.target_percent is None or self.target is not None:
                raise ValueError(f"measure {self.measure} is a rate: give target_percent, not target")
            if isinstance(self.scoring, StepScoring):
                raise ValueError("step scoring applies to the count measures only "
                                 f"({', '.join(COUNT_MEASURES)})")


def kpi_from(kpi_id: str, data: dict[str, Any]) -> Kpi:
    return Kpi.model_validate({**data, "kpi": kpi_id})


KPI_HEADERS = ("kpi", "title", "measure", "target", "points", "team", "citation")


def kpi_rows(kpis: tuple[Kpi, ...]) -> list[tuple[str, ...]]:
    """One row per KPI for `gongdan policy explain`."""
    rows = []
    for k in kpis:
        sign = '≥' if k.direction == 'at-least' else '≤'
        target = f"{sign}{k.target}" if k.measure in COUNT_MEASURES else f"{sign}{k.target_percent}%"
        if isinstance(k.scoring, DeductScoring):
            points = f"−{k.scoring.points_per_percent} per point short (to 0.01)"
        elif isinstance(k.scoring, StepScoring):
            points = f"{k.scoring.full_points}, " + ", ".join(
                f"−{b.points} per {b.per} to {b.to}" for b in k.scoring.bands) + ", 0 beyond (to 0.01)"
        elif isinstance(k.scoring, ProportionalScoring):
            points = f"{k.scoring.full_points} × actual/target" + (
                f", 0 below {k.scoring.zero_below_percent}%" if k.scoring.zero_below_percent is not None else "")
        else:
            points = "none (figure only)"
        measure = k.measure + (f" of {', '.join(k.rules)}" if k.rules else "") + (
            f" ({', '.join(k.products)})" if k.products else "")
        measure += (f" within {k.window_days} d" if k.window_days else "") + (
            f" on {', '.join(x.value for x in k.layers)}" if k.layers else "")
        rows.append((k.kpi, k.title, measure, target, points, k.team, k.citation))
    return rows
