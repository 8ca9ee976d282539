"""Customer compensation schemes as policy (issue 11): CT 慢必赔 (RULEBOOK §6) and the UK Ofcom automatic scheme.

A policy file lists them under `compensation:` beside its timers; files of an include tree merge scheme by scheme
(mappings merge, the last file wins, like `field_time`), and `disable` drops a scheme:

    compensation:
      schemes:
        CT-sameday:
          type: ct-sameday
          repair: {clause: CT-3.1-repair, timer: CT-sameday-repair, fen_per_day: 1000, cap_fen: 10000}
          ...
      disable: [OF-acs]

Money is in the scheme's minor unit: fen (CNY) for CT, pence (GBP) for Ofcom. Never floats.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shared.policy.durations import parse_duration


class Strict(BaseModel):
    """Immutable, unknown keys rejected (like shared.policy.schema.Strict, which imports this module)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> timedelta:

    return parse_duration(value)


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


def _as_tuple(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Names = Annotated[tuple[str, ...], BeforeValidator(_as_tuple)]
Zone = Annotated[str, AfterValidator(_zone)]
ExemptionCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=40)]
CLAUSE_PATTERN = r"^[A-Za-z]{2,4}-[A-Za-z0-9.-]+$"


class Payment(Strict):
    """CT-3.4 / CT-4.6: paid within `within` of the completion; `at_risk_before` the due time it is flagged."""

    clause: str = Field(min_length=1)
    within: Duration
    at_risk_before: Duration = timedelta(days=2)


class Notice(Strict):
    """CT-4.6: what the customer is told (SMS or voice). Placeholders: {number} {amount} {reason} {clause}."""

    language: Literal["zh", "en"]
    template: str = Field(min_length=1, max_length=500)


class Exemptions(Strict):
    """CT-3.2 reason codes (each needs an evidence note, RULEBOOK §9.12) and codes that never exempt (CT-4.8)."""

    reasons: dict[ExemptionCode, str] = Field(min_length=1)
    force_majeure: Names = ()
    not_exempt: dict[ExemptionCode, str] = {}
    dispute_clause: str = "CT-3.3.1"

    @model_validator(mode="after")
    def _disjoint(self) -> Exemptions:
        both = sorted(set(self.reasons) & set(self.not_exempt))
        if both:
            raise ValueError(f"codes both exempt and not exempt: {', '.join(both)}")
        return self


class CtEligibility(Strict):
    """CT-2.2 products and excluded segments; CT-2.5 areas always covered, areas covered only by district opt-in."""

    products: Names = Field(min_length=1)
    excluded_segments: Names = ()
    area_types: Names = Field(min_length=1)
    opt_in_area_types: Names = ("rural",)
    #: Districts whose rural area opted in (CT-2.5). The directory's `ct_same_day_opt_in` adds to this list.
    opt_in_districts: Names = ()


class CtInstall(Strict):
    """CT-3.1: same-day install not done that day → a fixed amount, once."""

    clause: str = Field(pattern=CLAUSE_PATTERN)
    timer: str = Field(description="The pack's timer rule whose deadline the promise is (cutoff type)")
    fen: int = Field(ge=0)


class CtRepair(Strict):
    """CT-3.1: same-day repair late → per started day late (ceil(lateness / day), RULEBOOK §6), capped."""

    clause: str = Field(pattern=CLAUSE_PATTERN)
    timer: str
    fen_per_day: int = Field(ge=0)
    day: Duration = timedelta(hours=24)
    cap_fen: int | None = Field(default=None, ge=0)


class CtScheme(Strict):
    """当日装、当日修、慢必赔 (RULEBOOK §6)."""

    type: Literal["ct-sameday"]
    title: str = ""
    source: str = Field(min_length=1)
    zone: Zone = "Asia/Shanghai"
    currency: Literal["CNY"] = "CNY"
    eligibility: CtEligibility
    install: CtInstall | None = None
    repair: CtRepair | None = None
    exemptions: Exemptions
    payment: Payment
    notice: Notice
    #: RULEBOOK §9.13: a completion recorded this long after its field time counts when it reached the system,
    #: unless a supervisor confirmed the field time. None: the policy's field_time.flag_backdated_after.
    backdated_after: Duration | None = None

    @property
    def unit(self) -> str:
        return "fen"


class DatedAmounts(Strict):
    """Amounts (pence) in force from a date on (Ofcom changes them every 1 April)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date = Field(alias="from")
    repair: int = Field(ge=0, description="per calendar day of delayed repair")
    provision: int = Field(ge=0, description="per calendar day of delayed provision")
    appointment: int = Field(ge=0, description="per missed appointment")


class Suspension(Strict):
    """A scheme-wide suspension (force majeure), both dates included: no day of delay accrues in it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Suspension:
        if self.to < self.from_:
            raise ValueError("a suspension must end on or after the day it starts")
        return self


class BankHolidays(Strict):
    """Non-working days from the `holidays` library: country and subdivision (GB / ENG: England and Wales)."""

    country: str = Field(default="GB", pattern=r"^[A-Z]{2}$")
    subdiv: str | None = "ENG"


class OfcomRepair(Strict):
    clause: str = Field(pattern=CLAUSE_PATTERN)
    kinds: Names = ("fault",)
    working_days: int = Field(default=2, ge=1)


class OfcomProvision(Strict):
    clause: str = Field(pattern=CLAUSE_PATTERN)
    kinds: Names = ("install",)


class OfcomAppointment(Strict):
    clause: str = Field(pattern=CLAUSE_PATTERN)
    notice: Duration = timedelta(hours=24)


class OfcomScheme(Strict):
    """Ofcom automatic compensation (UK): delayed repair, delayed provision, missed appointments."""

    type: Literal["ofcom-acs"]
    title: str = ""
    source: str = Field(min_length=1)
    zone: Zone = "Europe/London"
    currency: Literal["GBP"] = "GBP"
    products: Names = Field(min_length=1)
    bank_holidays: BankHolidays = BankHolidays()
    repair: OfcomRepair
    provision: OfcomProvision
    appointment: OfcomAppointment
    amounts: tuple[DatedAmounts, ...] = Field(min_length=1)
    suspensions: tuple[Suspension, ...] = ()
    exemptions: Exemptions
    payment: Payment
    notice: Notice

    @property
    def unit(self) -> str:
        return "pence"

    @model_validator(mode="after")
    def _dated(self) -> OfcomScheme:
        starts = [a.from_ for a in self.amounts]
        if starts != sorted(set(starts)):
            raise ValueError("amounts must be in date order, one table per date")
        return self

    def amounts_on(self, day: date) -> DatedAmounts | None:
        """The table in force on `day` (None before the first one)."""
        return next((a for a in reversed(self.amounts) if a.from_ <= day), None)

    def suspended_on(self, day: date) -> Suspension | None:
        return next((s for s in self.suspensions if s.from_ <= day <= s.to), None)


Scheme = Annotated[CtScheme | OfcomScheme, Field(discriminator="type")]


class CompensationPolicy(Strict):
    """The effective schemes, by id."""

    schemes: dict[str, Scheme] = {}

    def of_type(self, kind: str) -> list[tuple[str, CtScheme | OfcomScheme]]:
        return [(sid, s) for sid, s in self.schemes.items() if s.type == kind]


class CompensationHead(Strict):
    """The `compensation:` key of one file; schemes are validated after merging."""

    schemes: dict[Annotated[str, Field(pattern=r"^[A-Z]{2,4}-[A-Za-z0-9-]+$")], dict[str, Any]] = {}
    disable: Names = ()


COMPENSATION_HEADERS = ("scheme", "promise / clause", "rule", "amount")


def _minor(amount: int, unit: str) -> str:
    return f"{amount:,} {unit}"


def scheme_rows(policy: CompensationPolicy) -> list[tuple[str, ...]]:
    """One row per promise of every scheme, for `gongdan policy explain`."""
    rows: list[tuple[str, ...]] = []
    for sid, s in policy.schemes.items():
        if isinstance(s, CtScheme):
            e = s.eligibility
            rows.append((sid, "eligibility", (f"products {', '.join(e.products)}; not {', '.join(e.excluded_segments)}; "
                         f"{', '.join(e.area_types)} always; {', '.join(e.opt_in_area_types)} by district opt-in"),
                         "-"))
            if s.install:
                rows.append((sid, f"install / {s.install.clause}", f"timer {s.install.timer} missed",
                             f"{_minor(s.install.fen, 'fen')} once"))
            if s.repair:
                cap = f", cap {_minor(s.repair.cap_fen, 'fen')}" if s.repair.cap_fen is not None else ", no cap"
                rows.append((sid, f"repair / {s.repair.clause}", (f"timer {s.repair.timer} late: per started "
                             f"{int(s.repair.day.total_seconds() // 3600)} h"), (f"{_minor(s.repair.fen_per_day, 'fen')}"
                             f" per day{cap}")))
        else:
            for a in s.amounts:
                rows.append((sid, f"amounts from {a.from_}", (f"repair {s.repair.clause} / provision "
                             f"{s.provision.clause} / appointment {s.appointment.clause}"),
                             (f"{_minor(a.repair, 'pence')}/day, {_minor(a.provision, 'pence')}/day, "
                             f"{_minor(a.appointment, 'pence')} each")))
            rows.append((sid, "rules", (f"repair after {s.repair.working_days} full working days "
                         f"({s.bank_holidays.country}-{s.bank_holidays.subdiv} bank holidays); provision from the "
                         f"missed start date; appointment cancelled < {int(s.appointment.notice.total_seconds() // 3600)}"
                         " h ahead or no-show"), "no cap"))
            for p in s.suspensions:
                rows.append((sid, "suspended", f"{p.from_} – {p.to}: {p.reason}", "nothing accrues"))
        rows.append((sid, "exemptions", ", ".join(s.exemptions.reasons) + (
            f" (force majeure: {', '.join(s.exemptions.force_majeure)})" if s.exemptions.force_majeure else "")
            + (f"; never: {', '.join(s.exemptions.not_exempt)}" if s.exemptions.not_exempt else ""), "-"))
        rows.append((sid, f"payment / {s.payment.clause}", f"within {s.payment.within.days} days of completion",
                     f"{s.currency} in {s.unit}"))
    return rows
