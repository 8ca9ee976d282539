"""CT 当日装、当日修、慢必赔 (RULEBOOK §6): eligibility, deadlines from the pack's cutoff timers, amounts (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.compensation.domain.claims import DUE, MET, OPEN, Claim, Exemption, money
from services.compensation.domain.facts import TicketFacts
from shared.policy.compensation import CtScheme


@dataclass(frozen=True)
class Cutoff:
    """A cutoff timer rule (RULEBOOK §4 type 4): strictly before `before` → 24:00 that day; else + after_hours."""

    before: time
    after_hours: int | None

    @classmethod
    def parse(cls, before: str, after_hours: int | None) -> Cutoff:
        hh, mm = (int(x) for x in before.split(":"))
        return cls(time(hh % 24, mm), after_hours)

    def deadline(self, start: datetime, zone: ZoneInfo) -> datetime | None:
        """The deadline, or None when the promise does not apply (started at/after the cutoff, no after branch).
        "Before 16:00" is strict: 16:00:00 takes the after branch (RULEBOOK §9.1)."""
        local = start.astimezone(zone)
        if local.time() < self.before:
            midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
            return midnight  # "end of day" is 24:00 local (§9.1)
        if self.after_hours is None:
            return None
        return start + timedelta(hours=self.after_hours)  # natural hours (CT-2.4.2)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    why: str
    rural_exempt: bool = False  # §9.12: in an opt-in area type whose district has not opted in


def eligibility(scheme: CtScheme, facts: TicketFacts, district_opted_in: bool) -> Eligibility:
    """CT-2.2 products and segments, CT-2.5 areas (rural: exempt unless its district opted in, §9.12)."""
    rules = scheme.eligibility
    if facts.product not in rules.products:
        return Eligibility(False, f"product {facts.product or 'unknown'} is not covered (CT-2.2: "
                                  f"{', '.join(rules.products)})")
    if facts.segment in rules.excluded_segments:
        return Eligibility(False, f"segment {facts.segment} is excluded (CT-2.2)")
    if facts.area_type in rules.area_types:
        return Eligibility(True, f"{facts.area_type}: covered in every district (CT-2.5)")
    if facts.area_type in rules.opt_in_area_types:
        opted = district_opted_in or (facts.district is not None and facts.district in rules.opt_in_districts)
        if opted:
            return Eligibility(True, f"{facts.area_type}: district {facts.district} opted in (CT-2.5)")
        return Eligibility(True, f"{facts.area_type}: district {facts.district or 'unknown'} has not opted in "
                                 "(CT-3.2, RULEBOOK §9.12)", rural_exempt=True)
    return Eligibility(False, f"area type {facts.area_type or 'unknown'}: the promise cannot be established (CT-2.5)")


def rural_exemption(facts: TicketFacts) -> Exemption:
    return Exemption(exemption_id="auto-rural", code="rural", automatic=True,
                     note=f"district {facts.district or 'unknown'}: rural area not opted in to the same-day promise")


def claims(scheme_id: str, scheme: CtScheme, cutoffs: dict[str, Cutoff], facts: TicketFacts, now: datetime,
           counted_completion: tuple[datetime, str] | None, elig: Eligibility) -> list[Claim]:
    """The CT promises of this ticket (install and/or repair), each priced at its completion, or at `now` while
    the ticket is open (accruing)."""
    if not elig.eligible or facts.entered_at is None:
        return []
    zone = ZoneInfo(scheme.zone)
    out = []
    if scheme.install and facts.kind == "install" and facts.same_day == "requested":
        deadline = cutoffs[scheme.install.timer].deadline(facts.entered_at, zone)
        if deadline is not None:  # at or after 16:00 the install is due by its appointment: not CT money (§9.12)
            out.append(_priced(scheme_id, scheme, "install", facts, deadline, now, counted_completion, elig))
    if scheme.repair and facts.kind == "fault" and facts.same_day != "declined":
        deadline = cutoffs[scheme.repair.timer].deadline(facts.entered_at, zone)
        if deadline is not None:
            out.append(_priced(scheme_id, scheme, "repair", facts, deadline, now, counted_completion, elig))
    return out


def repair_amount(scheme: CtScheme, late: timedelta) -> tuple[int, int, str]:
    """(started days late, amount fen, arithmetic): ceil(late / 24 h) × per day, capped (CT-3.1, RULEBOOK §6)."""
    assert scheme.repair is not None
    r = scheme.repair
    days = -((-late) // r.day) if late > timedelta(0) else 0
    raw = days * r.fen_per_day
    amount = min(raw, r.cap_fen) if r.cap_fen is not None else raw
    words = f"{_late(late)} late = {days} started day(s) × {money(r.fen_per_day, 'fen')} = {money(raw, 'fen')}"
    if amount != raw:
        words += f", capped at {money(amount, 'fen')} ({r.clause})"
    return days, amount, words


def _priced(scheme_id: str, scheme: CtScheme, promise: str, facts: TicketFacts, deadline: datetime, now: datetime,
            completion: tuple[datetime, str] | None, elig: Eligibility) -> Claim:
    rules = scheme.install if promise == "install" else scheme.repair
    assert rules is not None and facts.entered_at is not None
    at, basis = completion if completion else (now, "still open: accruing until completion (RULEBOOK §6 Decision)")
    late = at - deadline
    eligibility = {**facts.eligibility_facts(), "why": elig.why}
    base = Claim(scheme=scheme_id, promise=promise, clause=rules.clause, currency=scheme.currency, unit="fen",
                 status=OPEN, eligibility=eligibility, start=facts.entered_at, deadline=deadline,
                 completion=completion[0] if completion else None, completion_basis=basis)
    if late <= timedelta(0):  # inclusive deadline (§9.1)
        status = MET if completion else OPEN
        return replace(base, status=status, arithmetic=f"done {_late(-late)} before the deadline: nothing due"
                        if completion else "deadline not yet passed")
    if promise == "install":
        assert scheme.install is not None
        days, amount = -((-late) // timedelta(days=1)), scheme.install.fen
        words = f"same-day install missed by {_late(late)}: {money(amount, 'fen')} once ({rules.clause})"
    else:
        days, amount, words = repair_amount(scheme, late)
    if not completion:
        words = f"so far (as of {now.isoformat()}): {words}"
    return replace(base, status=DUE if completion else OPEN, days_late=days, amount=amount, arithmetic=words)


def _late(td: timedelta) -> str:
    secs = int(td.total_seconds())
    d, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    parts = [f"{d} d" if d else "", f"{h} h" if h else "", f"{m} min" if m else "", f"{s} s" if s else ""]
    return " ".join(p for p in parts if p) or "0 s"
