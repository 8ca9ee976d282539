"""KPI scorecards (RULEBOOK §5.3, §9.11): which tickets count, and the arithmetic of each figure. Pure.

Each measure turns what penalty has seen into cases (one per ticket round, callback, dispatch or customer), each
ok or not, charged to a team; a figure is ok cases / cases per team, with its target and points. Rates are exact
fractions; points are pro-rated and rounded half up to 0.01 (97.5% on time against 99% at −2 a point: −3.00).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.penalty.domain.amounts import local_month
from services.penalty.domain.facts import TicketFacts, apply, fold
from shared.policy.kpis import DeductScoring, Kpi, ProportionalScoring
from shared.policy.penalties import CUSTOMER_SERVICE

CENT = Decimal("0.01")
History = list[tuple[str, str, datetime, dict[str, Any]]]  # (type, event id, occurred_at, payload), field order
VIP_SEGMENTS = ("vip", "group")
NO_CALLBACK = ("first-contact-resolution", "kind-without-callback")


@dataclass(frozen=True)
class Case:
    team: str | None
    ticket_id: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    rate: Decimal | None  # exact percent
    points: Decimal | None
    text: str


def cents(value: Decimal) -> Decimal:
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return q if q != 0 else Decimal("0.00")  # never −0.00


def pct(value: Decimal) -> str:
    return f"{cents(value)}%"


def score(kpi: Kpi, numerator: int, denominator: int) -> Score:
    """The rate and its points under the KPI's scoring, with the arithmetic in words."""
    if denominator == 0:
        return Score(None, None, "no cases this month")
    rate = Decimal(numerator) * 100 / Decimal(denominator)
    head = f"{numerator}/{denominator} = {pct(rate)} (target {'≥' if kpi.direction == 'at-least' else '≤'}" \
           f"{cents(kpi.target_percent)}%)"
    s = kpi.scoring
    if s is None:
        return Score(rate, None, f"{head}; no points in the policy")
    if isinstance(s, DeductScoring):
        gap = kpi.target_percent - rate if kpi.direction == "at-least" else rate - kpi.target_percent
        if gap <= 0:
            return Score(rate, Decimal("0.00"), f"{head}; target met: 0.00")
        points = cents(-gap * s.points_per_percent)
        return Score(rate, points, f"{head}; {cents(gap)} points short × {s.points_per_percent} = {points}")
    assert isinstance(s, ProportionalScoring)
    if s.zero_below_percent is not None and rate < s.zero_below_percent:
        return Score(rate, Decimal("0.00"), f"{head}; below {cents(s.zero_below_percent)}%: 0.00")
    if rate >= kpi.target_percent:
        return Score(rate, cents(s.full_points), f"{head}; target met: {cents(s.full_points)}")
    points = cents(s.full_points * rate / kpi.target_percent)
    return Score(rate, points, f"{head}; {s.full_points} × {pct(rate)} / {cents(kpi.target_percent)}% = {points}")


def figures(kpi: Kpi, cases: Iterable[Case], clause_fen: int | None = None) -> list[dict[str, Any]]:
    """One figure per team: numerator, denominator, target, points and the tickets behind it."""
    by_team: dict[str | None, list[Case]] = defaultdict(list)
    for c in cases:
        by_team[c.team].append(c)
    out = []
    for team in sorted(by_team, key=lambda t: t or ""):
        group = sorted(by_team[team], key=lambda c: (c.ticket_id, str(c.detail.get("round", ""))))
        num = sum(1 for c in group if c.ok)
        sc = score(kpi, num, len(group))
        fig = {"kpi": kpi.kpi, "title": kpi.title, "citation": kpi.citation, "department": team,
               "numerator": num, "denominator": len(group), "rate_percent": None if sc.rate is None else str(cents(sc.rate)),
               "target_percent": str(cents(kpi.target_percent)), "direction": kpi.direction,
               "points": None if sc.points is None else str(sc.points), "arithmetic": sc.text,
               "tickets": [{"ticket_id": c.ticket_id, "ok": c.ok, **c.detail} for c in group]}
        if kpi.clause and clause_fen is not None:  # CS-21.5: 50 yuan per late ticket to the person
            per_person: dict[str | None, int] = defaultdict(int)
            for c in group:
                if not c.ok:
                    per_person[c.detail.get("person")] += clause_fen
            fig["money"] = {"clause": kpi.clause, "fen_per_case": clause_fen,
                            "by_person": [{"person": p, "fen": f} for p, f in sorted(per_person.items(),
                                                                                       key=lambda x: x[0] or "")],
                            "total_fen": sum(per_person.values()),
                            "note": "charged in the ledger by the clause, one entry per breach"}
        out.append(fig)
    return out


def _team(kpi: Kpi, department: str | None) -> str | None:
    return CUSTOMER_SERVICE if kpi.team == "customer-service" else department


def timer_cases(kpi: Kpi, timers: Iterable[Mapping[str, Any]], month: str, tz: str) -> list[Case]:
    """on-time / response: one case per ticket round whose timer (of the KPI's rules) has its deadline in the
    month; met on time, late when breached (a retracted breach is met). Timers not yet decided do not count."""
    out = []
    for t in timers:
        if t["rule_id"] not in kpi.rules or local_month(t["deadline"], tz) != month:
            continue
        out.append(Case(_team(kpi, t["department"]), str(t["ticket_id"]), t["outcome"] == "met",
                        {"round": t["round"], "rule_id": t["rule_id"], "person": t["person"],
                         "deadline": t["deadline"].isoformat(),
                         "actual": t["actual"].isoformat() if t["actual"] else None,
                         "event_ids": list(t["event_ids"])}))
    return out


def _walk(history: History) -> Iterable[tuple[TicketFacts, str, str, datetime, dict[str, Any]]]:
    """Each event with the facts of the ticket as they were just before it."""
    facts = TicketFacts()
    for name, eid, at, p in history:
        yield facts, name, eid, at, p
        facts = apply(facts, name, eid, at, p)


def satisfaction_cases(kpi: Kpi, histories: Mapping[str, History], month: str, tz: str) -> list[Case]:
    out = []
    for tid, history in histories.items():
        for facts, name, eid, at, p in _walk(history):
            if name != "CallbackDone" or not p.get("reached") or local_month(at, tz) != month:
                continue
            satisfied, score_ = p.get("satisfied"), p.get("satisfaction_score")
            if satisfied is None and score_ is not None and kpi.satisfied_from_score is not None:
                satisfied = score_ >= kpi.satisfied_from_score
            if satisfied is None:
                continue  # not asked: neither satisfied nor not
            out.append(Case(_team(kpi, facts.department), tid, bool(satisfied),
                            {"round": p.get("round"), "event_id": eid, "satisfied": p.get("satisfied"),
                             "satisfaction_score": score_, "agent": p.get("actor")}))
    return out


def callback_cases(kpi: Kpi, histories: Mapping[str, History], month: str, tz: str) -> list[Case]:
    """Each resolution in the month needs a callback; effective when the customer was reached and every required
    question asked. Archived with a no-callback exemption (first-contact resolution, kind without callback): none."""
    out = []
    for tid, history in histories.items():
        resolved = [(f, eid, at, p) for f, n, eid, at, p in _walk(history) if n == "Resolved"]
        exempt = any(n == "TicketArchived" and p.get("exemption") in NO_CALLBACK for n, _, _, p in history)
        if exempt:
            continue
        for facts, eid, at, p in resolved:
            if local_month(at, tz) != month:
                continue
            rnd = p.get("round")
            calls = [(ceid, cp) for n, ceid, cat, cp in history if n == "CallbackDone" and cp.get("round") == rnd
                     and cat >= at]
            good = [ceid for ceid, cp in calls if cp.get("reached") and not cp.get("missing")]
            out.append(Case(_team(kpi, p.get("department") or facts.department), tid, bool(good),
                            {"round": rnd, "resolved_event_id": eid,
                             "callback_event_ids": [c for c, _ in calls]}))
    return out


def dispatch_cases(kpi: Kpi, histories: Mapping[str, History], month: str, tz: str) -> list[Case]:
    """Each dispatch (first or re-) in the month; wrong when the next redispatch says wrong_dispatch (TT-8.10)."""
    out = []
    for tid, history in histories.items():
        acts = [(eid, at, p, n) for n, eid, at, p in history if n in ("TicketDispatched", "TicketRedispatched")]
        for i, (eid, at, p, _) in enumerate(acts):
            if local_month(at, tz) != month:
                continue
            nxt = acts[i + 1] if i + 1 < len(acts) else None
            wrong = bool(nxt and nxt[3] == "TicketRedispatched" and nxt[2].get("wrong_dispatch"))
            out.append(Case(_team(kpi, p.get("department")), tid, not wrong,
                            {"event_id": eid, "department": p.get("department"), "dispatcher": p.get("actor"),
                             "wrong_dispatch_event_id": nxt[0] if wrong else None}))
    return out


def first_time_fix_cases(kpi: Kpi, histories: Mapping[str, History], creations: Iterable[Mapping[str, Any]],
                         month: str, tz: str) -> list[Case]:
    """The first resolution of each ticket in the month (of the KPI's products) is fixed first time unless within
    window_days the ticket was reopened, a repeat report was linked to it, or the same account reported another
    fault (a new fault ticket)."""
    window = timedelta(days=kpi.window_days or 0)
    by_account: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for c in creations:
        if c.get("account"):
            by_account[c["account"]].append(c)
    out = []
    for tid, history in histories.items():
        first = next(((f, eid, at, p) for f, n, eid, at, p in _walk(history) if n == "Resolved"), None)
        if first is None or local_month(first[2], tz) != month:
            continue
        facts, eid, at, p = first
        created = next((cp for n, _, _, cp in history if n == "TicketCreated"), {})
        product = facts.product or created.get("product")
        if kpi.products and product not in kpi.products:
            continue
        end = at + window
        repeats = [(n, reid) for n, reid, rat, _ in history
                   if n in ("TicketReopened", "DuplicateReportLinked") and at <= rat <= end]
        account = (created.get("customer") or {}).get("account")
        repeats += [("TicketCreated", str(c["ticket_id"])) for c in by_account.get(account or "", ())
                    if str(c["ticket_id"]) != tid and at <= c["at"] <= end and c.get("kind") == "fault"]
        out.append(Case(_team(kpi, p.get("department") or facts.department), tid, not repeats,
                        {"resolved_event_id": eid, "resolved_at": at.isoformat(), "window_ends": end.isoformat(),
                         "product": product, "repeats": [{"type": n, "id": r} for n, r in repeats]}))
    return out


def churn_cases(kpi: Kpi, histories: Mapping[str, History], month: str, tz: str) -> list[Case]:
    """VIP/group customers (by account, else ticket) with a ticket event in the month; the case counts in the
    numerator (`ok`) when the customer left (CustomerChurned in the month): an at-most KPI."""
    customers: dict[str, Case] = {}
    for tid, history in histories.items():
        created = next((cp for n, _, _, cp in history if n == "TicketCreated"), {})
        final = fold(history)
        if final.segment not in VIP_SEGMENTS:
            continue
        in_month = [(n, eid) for n, eid, at, _ in history if local_month(at, tz) == month]
        if not in_month:
            continue
        churned = [eid for n, eid in in_month if n == "CustomerChurned"]
        key = (created.get("customer") or {}).get("account") or tid
        if key in customers and customers[key].ok:
            continue  # already counted as left
        customers[key] = Case(_team(kpi, final.department), tid, bool(churned),
                              {"account": key if key != tid else None, "segment": final.segment,
                               "churned": bool(churned), "churn_event_ids": churned})
    return list(customers.values())


def cases_for(kpi: Kpi, month: str, tz: str, timers: list[Mapping[str, Any]], histories: Mapping[str, History],
              creations: list[Mapping[str, Any]]) -> list[Case]:
    if kpi.measure in ("on-time", "response"):
        return timer_cases(kpi, timers, month, tz)
    if kpi.measure == "satisfaction":
        return satisfaction_cases(kpi, histories, month, tz)
    if kpi.measure == "effective-callback":
        return callback_cases(kpi, histories, month, tz)
    if kpi.measure == "dispatch-accuracy":
        return dispatch_cases(kpi, histories, month, tz)
    if kpi.measure == "first-time-fix":
        return first_time_fix_cases(kpi, histories, creations, month, tz)
    return churn_cases(kpi, histories, month, tz)
