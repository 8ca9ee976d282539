"""Ofcom automatic compensation (UK, issue 11): delayed repair, delayed provision, missed appointments (pure).

Days are calendar days in the scheme's zone. Each day of delay is paid at the amount in force on that day; days the
customer caused or chose, and days of a scheme-wide suspension, do not count. No cap."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from services.compensation.domain.claims import DUE, EXEMPT, MET, OPEN, Claim, money
from services.compensation.domain.facts import TicketFacts
from shared.policy.compensation import OfcomScheme

DAY = timedelta(days=1)


@cache
def _bank_holidays(country: str, subdiv: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv)


@dataclass(frozen=True)
class WorkingDays:
    """Monday to Friday except bank holidays (England and Wales by default)."""

    country: str = "GB"
    subdiv: str | None = "ENG"

    def working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(self.country, self.subdiv)

    def nth_after(self, day: date, n: int) -> date:
        """The nth working day after `day` (the day itself does not count, RULEBOOK §9.1)."""
        while n:
            day += DAY
            n -= self.working(day)
        return day


def repair_deadline(scheme: OfcomScheme, reported: datetime) -> datetime:
    """24:00 local of the last of the full working days after the report day."""
    zone = ZoneInfo(scheme.zone)
    cal = WorkingDays(scheme.bank_holidays.country, scheme.bank_holidays.subdiv)
    last = cal.nth_after(reported.astimezone(zone).date(), scheme.repair.working_days)
    return datetime.combine(last + DAY, time(0), tzinfo=zone)


def excluded_days(facts: TicketFacts, zone: ZoneInfo) -> set[date]:
    """Days the customer caused (a customer pause, from its day to the day before it ended) or chose (a rebooking
    the customer asked for, from the old date to the day before the new one)."""
    out: set[date] = set()
    for start, end in facts.pauses:
        if end is not None:
            out |= set(_days(start.astimezone(zone).date(), end.astimezone(zone).date()))
    for a in facts.appointments:
        if a.kind == "rebooked" and a.cause == "customer" and a.previous_start is not None:
            out |= set(_days(a.previous_start.astimezone(zone).date(), a.window_start.astimezone(zone).date()))
    return out


def _days(first: date, stop: date) -> Iterable[date]:
    """first .. stop - 1."""
    day = first
    while day < stop:
        yield day
        day += DAY


def priced_days(scheme: OfcomScheme, days: Iterable[date], field: str, excluded: set[date]) -> tuple[int, int, str]:
    """(days counted, amount pence, arithmetic): each day at the rate in force that day."""
    runs: list[list[object]] = []  # [rate, count, from]
    skipped_customer = skipped_suspended = 0
    for day in days:
        if day in excluded:
            skipped_customer += 1
            continue
        if scheme.suspended_on(day):
            skipped_suspended += 1
            continue
        table = scheme.amounts_on(day)
        rate = getattr(table, field) if table else 0
        if runs and runs[-1][0] == rate and runs[-1][2] == (table.from_ if table else None):
            runs[-1][1] += 1  # type: ignore[operator]
        else:
            runs.append([rate, 1, table.from_ if table else None])
    total = sum(r * n for r, n, _ in runs)  # type: ignore[misc]
    counted = sum(n for _, n, _ in runs)  # type: ignore[misc]
    parts = [f"{n} day(s) × {money(r, 'pence')} (table from {f})" for r, n, f in runs]  # type: ignore[str-format]
    words = " + ".join(parts) + f" = {money(total, 'pence')}" if parts else "no day counts"
    if skipped_customer:
        words += f"; {skipped_customer} day(s) caused or chosen by the customer not counted"
    if skipped_suspended:
        words += f"; {skipped_suspended} day(s) in a scheme suspension not counted"
    return counted, total, words


def claims(scheme_id: str, scheme: OfcomScheme, facts: TicketFacts, now: datetime,
           completion: tuple[datetime, str] | None) -> list[Claim]:
    """Repair, provision and appointment claims of one ticket under the Ofcom scheme."""
    if facts.product not in scheme.products or facts.entered_at is None:
        return []
    zone = ZoneInfo(scheme.zone)
    excluded = excluded_days(facts, zone)
    elig = {**facts.eligibility_facts(), "why": f"product {facts.product} is covered"}
    out: list[Claim] = []
    if facts.kind in scheme.repair.kinds:
        deadline = repair_deadline(scheme, facts.entered_at)
        last = (completion[0] if completion else now).astimezone(zone).date()
        days = _days(deadline.date(), last + DAY) if (completion[0] if completion else now) > deadline else ()
        out.append(_claim(scheme_id, scheme, "repair", scheme.repair.clause, facts, deadline, completion, now,
                          days, "repair", excluded, elig,
                          f"not repaired within {scheme.repair.working_days} full working days after the report"))
    first_booked = next((a for a in facts.appointments if a.kind == "booked"), None)
    if facts.kind in scheme.provision.kinds and first_booked is not None:
        start_day = first_booked.window_start.astimezone(zone).date()
        deadline = datetime.combine(start_day + DAY, time(0), tzinfo=zone)
        end_day = (completion[0] if completion else now).astimezone(zone).date()
        out.append(_claim(scheme_id, scheme, "provision", scheme.provision.clause, facts, deadline, completion, now,
                          _days(start_day, end_day), "provision", excluded, elig,
                          f"service not started on the agreed date {start_day} (the missed date counts)"))
    out += appointment_claims(scheme_id, scheme, facts, elig)
    return out


def _claim(scheme_id: str, scheme: OfcomScheme, promise: str, clause: str, facts: TicketFacts, deadline: datetime,
           completion: tuple[datetime, str] | None, now: datetime, days: Iterable[date], field: str,
           excluded: set[date], elig: dict[str, object], what: str) -> Claim:
    counted, amount, words = priced_days(scheme, list(days), field, excluded)
    basis = completion[1] if completion else "still open: accruing until completion"
    if counted == 0:
        status = MET if completion else OPEN
    else:
        status = DUE if completion else OPEN
        words = f"{what}: {words}" + ("" if completion else f" (so far, as of {now.isoformat()})")
    return Claim(scheme=scheme_id, promise=promise, clause=clause, currency=scheme.currency, unit="pence",
                 status=status, eligibility=elig, start=facts.entered_at, deadline=deadline,
                 completion=completion[0] if completion else None, completion_basis=basis, days_late=counted,
                 amount=amount, arithmetic=words)


def appointment_claims(scheme_id: str, scheme: OfcomScheme, facts: TicketFacts,
                       elig: dict[str, object]) -> list[Claim]:
    """One claim per missed appointment: a staff no-show, or a staff cancellation with less than the notice."""
    zone = ZoneInfo(scheme.zone)
    out = []
    for a in facts.appointments:
        if a.kind == "missed" and a.cause == "staff":
            missed, why = a.window_start, "the engineer did not come (no-show)"
        elif a.kind == "rebooked" and a.cause == "staff" and a.previous_start is not None:
            notice = a.previous_start - a.at
            if notice >= scheme.appointment.notice:
                continue
            missed, why = a.previous_start, f"cancelled with {_hm(notice)} notice (< {_hm(scheme.appointment.notice)})"
        else:
            continue
        day = missed.astimezone(zone).date()
        key = f"appointment:{missed.astimezone(zone).strftime('%Y-%m-%dT%H:%M')}"
        table, suspension = scheme.amounts_on(day), scheme.suspended_on(day)
        amount = table.appointment if table and not suspension else 0
        claim = Claim(scheme=scheme_id, promise=key, clause=scheme.appointment.clause, currency=scheme.currency,
                      unit="pence", status=DUE, eligibility=elig, start=a.at, deadline=missed, completion=a.at,
                      completion_basis="the appointment was missed or cancelled late", days_late=0, amount=amount,
                      arithmetic=f"missed appointment on {day}: {why}: 1 × {money(amount, 'pence')}"
                      + (f" (table from {table.from_})" if table else ""))
        if suspension:
            claim = replace(claim, status=EXEMPT, arithmetic=f"missed appointment on {day}: scheme suspended "
                            f"{suspension.from_}–{suspension.to} ({suspension.reason}): nothing due",
                            exemption={"code": "suspension", "automatic": True, "note": suspension.reason})
        out.append(claim)
    return out


def _hm(td: timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
