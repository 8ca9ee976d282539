"""Penalty clauses (考核, RULEBOOK §5, §9.2–9.7) as policy: what triggers each, its amount model and who pays.

A policy file lists them under `penalties:` beside its timers:

    penalties:
      clauses:
        - clause: TT-9.12
          title: responsible delay on repair or install
          citation: TT-9.12 (RULEBOOK §5.1, §9.2)
          trigger: {breach: [TT-repair-22h]}
          amount: {type: per_unit, unit: hour, fen: 800}
          payer: responsible-department
      groups:
        TT-9bis: {title: escalation complaints, repeat_multiplier: 2, repeat_citation: TT-9bis.13}
      refund_percent: 120
      overrides: {TT-9.12: {amount: {fen: 1000}}}   # an operator's own file changes an amount or a payer
      disable: [TT-8.12]

A clause without `amount` assesses nothing (GX, RULEBOOK §5.4) until an operator file gives it one.
Money is integer fen.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.policy.kpis import Kpi  # KPI scorecards beside the clauses (RULEBOOK §5.3, §9.11)

PayerRoute = Literal[
    "responsible-department",  # the department the ticket was dispatched to, naming the technician/handler (§9.3)
    "customer-service",  # the customer-service platform, naming the agent (TT-8.9–8.14, §9.3)
    "department-head",  # the head of the responsible department (TT-8.5)
    "publishing-department",  # who publishes an outage or service notice (TT-8.6, NJ-4.3.2c)
    "escalation-department",  # the complaint's responsible department, else the dispatched one (TT-9bis, §9.3)
    "person",  # the responsible person alone (CS-21.5: 50 per late ticket to the person)
    "person-and-leader",  # the person and their direct leader, the amount each (CS "norm not followed")
]
CUSTOMER_SERVICE = "customer-service"  # the customer-service platform's department id (RULEBOOK §9.3)


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Names = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
Scalar = str | int | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FixedAmount(_Strict):
    """The same amount every time."""

    type: Literal["fixed"]
    fen: int = Field(ge=0)


class PerUnitAmount(_Strict):
    """Per started hour or day late, customer-paused time subtracted first (RULEBOOK §9.2)."""

    type: Literal["per_unit"]
    unit: Literal["hour", "day"]
    fen: int = Field(ge=0)


class TieredAmount(_Strict):
    """The nth case of the payer department in a local calendar year pays the nth amount; the last repeats
    ("first 1,000, each further 2,000" = [100000, 200000]; RULEBOOK §9.7)."""

    type: Literal["tiered"]
    fen: tuple[int, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _non_negative(self) -> TieredAmount:
        if any(f < 0 for f in self.fen):
            raise ValueError("tier amounts must not be negative")
        return self


class RangeAmount(_Strict):
    """Manual clauses whose amount the review board sets within a range (CS attitude complaint 50–200)."""

    type: Literal["range"]
    min_fen: int = Field(ge=0)
    max_fen: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> RangeAmount:
        if self.max_fen < self.min_fen:
            raise ValueError("max_fen must not be below min_fen")
        return self


Amount = Annotated[FixedAmount | PerUnitAmount | TieredAmount | RangeAmount, Field(discriminator="type")]


class TicketCondition(_Strict):
    """Ticket attributes at the time of the cause (any of each list)."""

    kind: Names = ()
    segment: Names = ()


class Trigger(_Strict):
    """Exactly one of: a breach of timer rules, an act-level event, or manual (ops) only."""

    breach: Names = ()
    event: str | None = None
    when: dict[str, Scalar | tuple[Scalar, ...]] = {}
    items: str | None = Field(None, description="Payload field listing the missing items; the act is fined once "
                                                "when it is not empty (RULEBOOK §9.6)")
    ticket: TicketCondition = TicketCondition()
    unless_before_deadline: str | None = Field(
        None, description="No fine when this event was recorded on the ticket by the deadline (TT-9.3)")
    manual: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        kinds = [bool(self.breach), self.event is not None, self.manual]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of breach, event or manual")
        if self.unless_before_deadline and not self.breach:
            raise ValueError("unless_before_deadline applies to breach triggers only")
        return self

    @property
    def kind(self) -> str:
        return "breach" if self.breach else "event" if self.event else "manual"

    def describe(self) -> str:
        if self.breach:
            text = f"breach of {', '.join(self.breach)}"
            return text + (f" without {self.unless_before_deadline} by the deadline"
                           if self.unless_before_deadline else "")
        if self.event:
            conds = [f"{k}={'|'.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in self.when.items()]
            conds += [f"ticket {k}={'|'.join(getattr(self.ticket, k))}" for k in ("kind", "segment")
                      if getattr(self.ticket, k)]
            if self.items:
                conds.append(f"{self.items} not empty")
            return f"{self.event}" + (f" ({', '.join(conds)})" if conds else "")
        return "manual (ops)"


class Clause(_Strict):
    """One penalty clause of a pack."""

    clause: str = Field(pattern=r"^[A-Z]{2}-[A-Za-z0-9.-]+$")
    title: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    trigger: Trigger
    amount: Amount | None = None
    payer: PayerRoute = "responsible-department"
    group: str | None = Field(None, description="One item per cause: the highest applicable clause of the group "
                                                "(RULEBOOK §9.7)")
    double_if_churned: bool = Field(False, description="Doubled when the customer left because of the complaint")
    notes: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Clause:
        if isinstance(self.amount, RangeAmount) and not self.trigger.manual:
            raise ValueError("a range amount is set by hand: only manual clauses may have one")
        if isinstance(self.amount, PerUnitAmount) and not self.trigger.breach:
            raise ValueError("per_unit amounts need a breach trigger (the lateness comes from the breach)")
        return self


class Group(_Strict):
    """Clauses that compete for one cause: the highest wins; a repeat on the same ticket multiplies it."""

    title: str = ""
    repeat_multiplier: int = Field(1, ge=1, description="A further cause on the same original ticket (nth ≥ 2) "
                                                         "multiplies the amount after the tier")
    repeat_citation: str = ""


class PenaltyPolicy(_Strict):
    """Effective penalty clauses after includes and overrides."""

    clauses: tuple[Clause, ...] = ()
    groups: dict[str, Group] = {}
    refund_percent: int = Field(120, ge=0, description="NJ-4.3.6: an approved appeal refunds this share")
    kpis: tuple[Kpi, ...] = ()  # scorecard figures (shared/policy/kpis.py)

    def clause(self, clause_id: str) -> Clause:
        """The clause with this id (KeyError if absent)."""
        for c in self.clauses:
            if c.clause == clause_id:
                return c
        raise KeyError(clause_id)

    def on_breach(self, rule_id: str) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if rule_id in c.trigger.breach)

    def on_event(self, event_type: str) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.trigger.event == event_type)

    def group(self, name: str) -> Group:
        return self.groups.get(name) or Group()


class PenaltiesHead(_Strict):
    """The `penalties:` key of one file; clauses are validated after merging."""

    clauses: tuple[dict[str, Any], ...] = ()
    groups: dict[str, dict[str, Any]] = {}
    refund_percent: int | None = None
    overrides: dict[str, dict[str, Any]] = {}
    disable: Names = ()
    kpis: dict[str, dict[str, Any] | None] = {}  # by id, merged key by key; null drops one (shared/policy/kpis.py)


def describe_amount(amount: Amount | None) -> str:
    """Amount model as text, in yuan and fen."""
    if amount is None:
        return "no amount (assesses nothing)"
    if isinstance(amount, FixedAmount):
        return fen_text(amount.fen)
    if isinstance(amount, PerUnitAmount):
        return f"{fen_text(amount.fen)} per started {amount.unit}"
    if isinstance(amount, TieredAmount):
        ordinals = ("first", "second", "third", "fourth")
        parts = [f"{ordinals[i] if i < len(ordinals) else f'#{i + 1}'} {fen_text(f)}" for i, f in enumerate(amount.fen)]
        if len(amount.fen) > 1:
            parts[-1] = f"each further {fen_text(amount.fen[-1])}"
        return ", ".join(parts) + " (per department per year)"
    return f"{fen_text(amount.min_fen)}–{fen_text(amount.max_fen)} set by the review board"


def fen_text(fen: int) -> str:
    """'2,400 fen' style."""
    return f"{fen:,} fen"


PENALTY_HEADERS = ("clause", "title", "trigger", "amount", "payer", "citation")


def clause_rows(policy: PenaltyPolicy) -> list[tuple[str, ...]]:
    """One row per clause for `gongdan policy explain`."""
    rows = []
    for c in policy.clauses:
        amount = describe_amount(c.amount)
        if c.double_if_churned:
            amount += ", doubled if the customer left"
        if c.group and policy.group(c.group).repeat_multiplier > 1:
            amount += f", ×{policy.group(c.group).repeat_multiplier} for a repeat complaint"
        clause_id = f"{c.clause} [{c.group}]" if c.group else c.clause
        rows.append((clause_id, c.title, c.trigger.describe(), amount, c.payer, c.citation))
    return rows
