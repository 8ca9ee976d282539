"""KPI scorecards (RULEBOOK §5.3, §9.11): which tickets count, and the arithmetic of each figure. Pure.

Each ticket measure turns what penalty has seen into cases (one per ticket round, callback, dispatch or customer),
each ok or not, charged to a team; a figure is ok cases / cases per team, with its target and points. Rates are
exact fractions; points are pro-rated and rounded half up to 0.01 (97.5% on time against 99% at −2 a point: −3.00).

RULEBOOK §9.12: a late timer of the on-time rate whose ticket has a standing CT exemption covering its rule family
(`Exemption`, announced by compensation) is "late, exempt": shown among the figure's tickets with its exemption and
left out of numerator and denominator; voided, it counts again. Other rates keep it (the rulebook exempts it from
the on-time rate only), and so does the ledger: CT-3.2 exemptions are about customer compensation, the breach stays
a fact, and CS-21.5 still fines the late ticket (the review board may cancel it, TT-12).

The network figures come from the NMS's fault reports (`Fault`: NetworkFaultReported and its NetworkFaultFixed), per
responsible department: egress faults a month (a count, scored in steps), the aggregation device fault rate (a
device's k-th failure in the month counts 2^(k-1): 1, 2, 4, 8…) and reliability (1 − downtime / period). Calls per
agent come from CallHandled, counted per agent (`AgentCalls`); the call centre's figure is calls / agents, scored in
steps, and each agent is scored on their own count as an item of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.penalty.domain.amounts import local_month, span_text
from services.penalty.domain.facts import TicketFacts, apply, fold
from shared.policy.kpis import COUNT_MEASURES, DeductScoring, Kpi, ProportionalScoring, StepScoring
from shared.policy.penalties import CUSTOMER_SERVICE

CENT = Decimal("0.01")
History = list[tuple[str, str, datetime, dict[str, Any]]]  # (type, event id, occurred_at, payload), field order
VIP_SEGMENTS = ("vip", "group")
NO_CALLBACK = ("first-contact-resolution", "kind-without-callback")
COUNT_UNITS = {"calls-per-agent": "calls per agent", "egress-faults": "faults a month"}  # the rest: percent


@dataclass(frozen=True)
class Case:
    team: str | None
    ticket_id: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)
    exempt: dict[str, Any] | None = None  # late, exempt (RULEBOOK §9.12): shown, not counted


@dataclass(frozen=True)
class Exemption:
    """A CT-3.2 exemption of a ticket as compensation announced it (CompensationExemptionRecorded), with the rule
    families its SLA rules belong to under the policy; `voided_at` once a dispute voided it (CT-3.3.1)."""

    exemption_id: str
    ticket_id: str
    code: str
    cause: str | None
    promise: str | None
    families: frozenset[str]
    recorded_at: datetime
    voided_at: datetime | None = None

    def covers(self, timer: Mapping[str, Any]) -> bool:
        return self.voided_at is None and timer["family"] in self.families


def late_exempt(timer: Mapping[str, Any], exemptions: Iterable[Exemption]) -> dict[str, Any] | None:
    """RULEBOOK §9.12: a late timer covered by a standing exemption of its ticket is "late, exempt" (the earliest
    recorded such exemption is named); a timer met in time stays met."""
    if timer["outcome"] != "late":
        return None
    for e in sorted(exemptions, key=lambda x: (x.recorded_at, x.exemption_id)):
        if e.covers(timer):
            return {"exemption_id": e.exemption_id, "code": e.code, "cause": e.cause, "promise": e.promise,
                    "clause": "CT-3.2", "recorded_at": e.recorded_at.isoformat(),
                    "outcome": "late, exempt (RULEBOOK §9.12)"}
    return None


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


def plain(value: Decimal) -> str:
    """A decimal as people write it: 2200, 99.9, 0.5 (never 2.2E+3)."""
    return f"{value.normalize():f}"


def qty(value: Decimal | int) -> str:
    """2,150 or 2,150.50: thousands grouped, cents only when there are any."""
    d = Decimal(value)
    return f"{int(d):,}" if d == d.to_integral_value() else f"{cents(d):,}"


def score(kpi: Kpi, numerator: int, denominator: int, exempt: int = 0) -> Score:
    """The rate and its points under the KPI's scoring, with the arithmetic in words; `exempt` late, exempt cases
    were left out of both numerator and denominator (RULEBOOK §9.12) and the words say so."""
    left_out = f"{exempt} late, exempt left out, RULEBOOK §9.12" if exempt else ""
    if denominator == 0:
        return Score(None, None, f"no cases this month ({left_out})" if exempt else "no cases this month")
    rate = Decimal(numerator) * 100 / Decimal(denominator)
    head = f"{numerator}/{denominator} = {pct(rate)} (target {'≥' if kpi.direction == 'at-least' else '≤'}" \
           f"{cents(kpi.target_percent)}%{'; ' + left_out if exempt else ''})"
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


def figure(kpi: Kpi, team: str | None, numerator: int, denominator: int | None, sc: Score,
           items: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    """One figure, the same keys for every KPI. `value`/`target`/`unit` say what is measured in which unit (a rate
    in percent, or a count: calls per agent, faults a month); `rate_percent`/`target_percent` are those of rates."""
    count = kpi.measure in COUNT_MEASURES
    value = None if sc.rate is None else str(cents(sc.rate))
    return {"kpi": kpi.kpi, "title": kpi.title, "citation": kpi.citation, "department": team,
            "numerator": numerator, "denominator": denominator,
            "rate_percent": None if count else value,
            "target_percent": None if count else str(cents(kpi.target_percent)), "direction": kpi.direction,
            "points": None if sc.points is None else str(sc.points), "arithmetic": sc.text, "tickets": items,
            "value": value, "target": plain(kpi.target if count else kpi.target_percent),
            "unit": COUNT_UNITS.get(kpi.measure, "percent"),
            **more}


def figures(kpi: Kpi, cases: Iterable[Case], clause_fen: int | None = None) -> list[dict[str, Any]]:
    """One figure per team: numerator, denominator, target, points and the tickets behind it."""
    by_team: dict[str | None, list[Case]] = defaultdict(list)
    for c in cases:
        by_team[c.team].append(c)
    out = []
    for team in sorted(by_team, key=lambda t: t or ""):
        group = sorted(by_team[team], key=lambda c: (c.ticket_id, str(c.detail.get("round", ""))))
        counted = [c for c in group if c.exempt is None]
        num = sum(1 for c in counted if c.ok)
        sc = score(kpi, num, len(counted), len(group) - len(counted))
        items = [{"ticket_id": c.ticket_id, "ok": c.ok, **c.detail} for c in group]
        if kpi.measure == "on-time":  # RULEBOOK §9.12: which tickets are late, exempt, and how many
            items = [{**item, "exempt": c.exempt} for item, c in zip(items, group, strict=True)]
            fig = figure(kpi, team, num, len(counted), sc, items, exempt=len(group) - len(counted))
        else:
            fig = figure(kpi, team, num, len(counted), sc, items)
        if kpi.clause and clause_fen is not None:  # CS-21.5: 50 yuan per late ticket to the person, exempt too
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


def timer_cases(kpi: Kpi, timers: Iterable[Mapping[str, Any]], month: str, tz: str,
                exemptions: Mapping[str, list[Exemption]] | None = None) -> list[Case]:
    """on-time / response: one case per ticket round whose timer (of the KPI's rules) has its deadline in the
    month; met on time, late when breached (a retracted breach is met). Timers not yet decided do not count. On
    the on-time rate a late timer is exempt while a standing exemption of its ticket covers it (RULEBOOK §9.12;
    `exemptions` by ticket id)."""
    out = []
    for t in timers:
        if t["rule_id"] not in kpi.rules or local_month(t["deadline"], tz) != month:
            continue
        tid = str(t["ticket_id"])
        exempt = late_exempt(t, (exemptions or {}).get(tid, ())) if kpi.measure == "on-time" else None
        out.append(Case(_team(kpi, t["department"]), tid, t["outcome"] == "met",
                        {"round": t["round"], "rule_id": t["rule_id"], "person": t["person"],
                         "deadline": t["deadline"].isoformat(),
                         "actual": t["actual"].isoformat() if t["actual"] else None,
                         "event_ids": list(t["event_ids"])}, exempt))
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
              creations: list[Mapping[str, Any]],
              exemptions: Mapping[str, list[Exemption]] | None = None) -> list[Case]:
    if kpi.measure in ("on-time", "response"):
        return timer_cases(kpi, timers, month, tz, exemptions)
    if kpi.measure == "satisfaction":
        return satisfaction_cases(kpi, histories, month, tz)
    if kpi.measure == "effective-callback":
        return callback_cases(kpi, histories, month, tz)
    if kpi.measure == "dispatch-accuracy":
        return dispatch_cases(kpi, histories, month, tz)
    if kpi.measure == "first-time-fix":
        return first_time_fix_cases(kpi, histories, creations, month, tz)
    return churn_cases(kpi, histories, month, tz)


# -- counts scored in steps: calls per agent-month, egress faults a month ---------------------------------------

def step_score(kpi: Kpi, value: Decimal) -> tuple[Decimal | None, Decimal | None, str]:
    """(points, deduction, words) of a count under its step scoring: full points at the target or better; each band
    takes its points per `per` units past the target, pro-rated to 0.01 (§9.11: 2,150 calls against 2,200 at −1 per
    100 is −0.50); beyond the last band the figure scores zero. No scoring in the policy: (None, None, words)."""
    s, target = kpi.scoring, kpi.target
    assert target is not None
    low = kpi.direction == "at-least"  # calls: fewer is worse; egress faults: more is worse
    sign = "≥" if low else "≤"
    if s is None:
        return None, None, f"target {sign}{qty(target)}; no points in the policy"
    assert isinstance(s, StepScoring)
    full = cents(s.full_points)

    def past(a: Decimal, b: Decimal) -> bool:
        return a < b if low else a > b

    if not past(value, target):
        return full, Decimal("0.00"), f"target {sign}{qty(target)} met: {full}"
    last = s.bands[-1].to
    if past(value, last):
        return Decimal("0.00"), -full, f"{'below' if low else 'above'} {qty(last)}: zero (0.00)"
    total, parts, start = Decimal(0), [], target
    for band in s.bands:
        into = (start - max(value, band.to)) if low else (min(value, band.to) - start)
        if into <= 0:
            break
        taken = into * band.points / band.per
        total += taken
        parts.append(f"{qty(into)} {'short of' if low else 'over'} {qty(start)} × {plain(band.points)}/"
                     f"{plain(band.per)} = -{cents(taken)}")
        start = band.to
    taken = cents(total)  # the deduction is what is pro-rated to 0.01; the points are what it leaves
    points = cents(full - taken)
    return points, cents(-taken), f"{'; '.join(parts)}; {full} - {taken} = {points}"


@dataclass(frozen=True)
class AgentCalls:
    """The calls one agent handled in the month (CallHandled, by the local month the call started)."""

    agent: str
    calls: int
    with_ticket: int = 0  # of them, calls that named a ticket


def calls_figures(kpi: Kpi, agents: Iterable[AgentCalls]) -> list[dict[str, Any]]:
    """The call centre's figure: calls / agents who handled at least one, scored in steps; its items are the agents,
    each scored on their own count (`ok`: at the target)."""
    rows = sorted((a for a in agents if a.calls > 0), key=lambda a: a.agent)
    if not rows:
        return []
    total = sum(a.calls for a in rows)
    value = Decimal(total) / len(rows)
    points, deduction, words = step_score(kpi, value)
    items = []
    for a in rows:
        p, d, w = step_score(kpi, Decimal(a.calls))
        items.append({"agent": a.agent, "calls": a.calls, "with_ticket": a.with_ticket,
                      "ok": not (a.calls < kpi.target if kpi.direction == "at-least" else a.calls > kpi.target),
                      "points": None if p is None else str(p), "deduction": None if d is None else str(d),
                      "arithmetic": w})
    text = f"{qty(total)} calls / {len(rows)} agents = {qty(value)} per agent; {words}"
    return [figure(kpi, CUSTOMER_SERVICE, total, len(rows), Score(value, points, text), items,
                   deduction=None if deduction is None else str(deduction))]


# -- network and system faults ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    """A fault the NMS reported (NetworkFaultReported) and when it was fixed (NetworkFaultFixed; None: open)."""

    fault_id: str
    number: str | None
    layer: str
    department: str | None
    device_id: str | None
    reported_at: datetime
    reported_event_id: str
    fixed_at: datetime | None = None
    fixed_event_id: str | None = None

    def item(self, **more: Any) -> dict[str, Any]:
        """The fault as an item behind a figure (`ticket_id`: its stream id, as everywhere on the platform)."""
        return {"ticket_id": self.fault_id, "fault_id": self.fault_id, "number": self.number, "layer": self.layer,
                "device_id": self.device_id, "reported_at": self.reported_at.isoformat(),
                "fixed_at": self.fixed_at.isoformat() if self.fixed_at else None,
                "event_ids": [e for e in (self.reported_event_id, self.fixed_event_id) if e], **more}


def month_bounds(month: str, tz: str) -> tuple[datetime, datetime]:
    """The local month as [start, end)."""
    year, mon = (int(x) for x in month.split("-"))
    zone = ZoneInfo(tz)
    return datetime(year, mon, 1, tzinfo=zone), datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=zone)


def _of_kpi(kpi: Kpi, faults: Iterable[Fault]) -> list[Fault]:
    layers = {x.value for x in kpi.layers}
    return [f for f in faults if f.layer in layers]


def _reported_in(kpi: Kpi, faults: Iterable[Fault], month: str, tz: str) -> dict[str | None, list[Fault]]:
    """The KPI's faults reported in the local month, per responsible department, in the order they were reported."""
    by_team: dict[str | None, list[Fault]] = defaultdict(list)
    for f in sorted(_of_kpi(kpi, faults), key=lambda f: (f.reported_at, f.fault_id)):
        if local_month(f.reported_at, tz) == month:
            by_team[f.department].append(f)
    return by_team


def _teams(by_team: Mapping[str | None, Any]) -> list[str | None]:
    return sorted(by_team, key=lambda t: t or "")


def egress_figures(kpi: Kpi, faults: Iterable[Fault], month: str, tz: str) -> list[dict[str, Any]]:
    """Faults of the KPI's layers (egress) reported in the month, per department: a count scored in steps (more
    than 3: −5 each, zero above 5)."""
    out = []
    by_team = _reported_in(kpi, faults, month, tz)
    for team in _teams(by_team):
        group = by_team[team]
        points, deduction, words = step_score(kpi, Decimal(len(group)))
        text = f"{len(group)} {'/'.join(x.value for x in kpi.layers)} faults in {month}; {words}"
        out.append(figure(kpi, team, len(group), 1, Score(Decimal(len(group)), points, text),
                          [f.item(ok=True) for f in group], deduction=None if deduction is None else str(deduction)))
    return out


def repeat_weights(faults: list[Fault]) -> list[tuple[Fault, int, int]]:
    """(fault, k, weight) in report order: a device's k-th failure counts 2^(k-1) (1, 2, 4, 8…, RULEBOOK §5.3). A
    fault naming no device is a device of its own (counted 1)."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for f in faults:
        if f.device_id is None:
            out.append((f, 1, 1))
            continue
        seen[f.device_id] += 1
        out.append((f, seen[f.device_id], 2 ** (seen[f.device_id] - 1)))
    return out


def device_figures(kpi: Kpi, faults: Iterable[Fault], month: str, tz: str) -> list[dict[str, Any]]:
    """Failures of the KPI's layers' devices in the month, repeats weighted 1, 2, 4, 8…, over the department's
    managed devices (the policy's `managed_devices`). A department with a count and no failure shows 0%."""
    by_team = _reported_in(kpi, faults, month, tz)
    for team in kpi.managed_devices:
        by_team.setdefault(team, [])
    out = []
    for team in _teams(by_team):
        weighted = repeat_weights(by_team[team])
        numerator = sum(w for _, _, w in weighted)
        items = [f.item(ok=True, repeat=k, counts=w) for f, k, w in weighted]
        managed = kpi.managed_devices.get(team) if team is not None else None
        head = f"failures weighted by repeat (1, 2, 4, 8…): {' + '.join(str(w) for _, _, w in weighted) or '0'}"
        if managed is None:
            text = (f"{head} = {numerator}; no managed-device count for {team or 'faults without a department'} "
                    f"in the policy (penalties.kpis.{kpi.kpi}.managed_devices)")
            out.append(figure(kpi, team, numerator, None, Score(None, None, text), items))
            continue
        sc = score(kpi, numerator, managed)
        out.append(figure(kpi, team, numerator, managed, Score(sc.rate, sc.points, f"{head}; {sc.text}"), items))
    return out


def _union_seconds(spans: list[tuple[datetime, datetime]]) -> int:
    """Seconds covered by the spans, overlaps counted once (the network is down or not)."""
    total, end = 0.0, None
    for a, b in sorted(spans):
        if end is not None and a < end:
            a = end
        if b > a:
            total += (b - a).total_seconds()
            end = b
    return int(total)


def reliability_figures(kpi: Kpi, faults: Iterable[Fault], month: str, tz: str, now: datetime) -> list[dict[str, Any]]:
    """1 − downtime / period per department: downtime is the part of the month (up to now) between each fault's
    report and its fix (still open: up to now or the month's end), overlaps counted once; the period is the policy's
    `period_hours` (backbone: 24 × 365 = 8,760 h) or the hours of the month. Departments with no such fault in the
    month have no figure."""
    start, end = month_bounds(month, tz)
    horizon = min(end, now)
    by_team: dict[str | None, list[tuple[Fault, datetime, datetime]]] = defaultdict(list)
    for f in sorted(_of_kpi(kpi, faults), key=lambda f: (f.reported_at, f.fault_id)):
        a, b = max(f.reported_at, start), min(f.fixed_at or horizon, horizon)
        if b > a:
            by_team[f.department].append((f, a, b))
    period = int(kpi.period_hours * 3600) if kpi.period_hours is not None else int((end - start).total_seconds())
    out = []
    for team in _teams(by_team):
        spans = by_team[team]
        down = _union_seconds([(a, b) for _, a, b in spans])
        sc = score(kpi, period - down, period)
        hours = plain(kpi.period_hours) if kpi.period_hours is not None else qty(Decimal(period) / 3600)
        text = (f"downtime {span_text(down // 60)} ({qty(down)} s) of a {hours} h period: 1 - {qty(down)} / "
                f"{qty(period)} s; {sc.text}")
        items = [f.item(ok=False, open=f.fixed_at is None or f.fixed_at > horizon,
                        downtime_seconds=int((b - a).total_seconds())) for f, a, b in spans]
        out.append(figure(kpi, team, period - down, period, Score(sc.rate, sc.points, text), items,
                          downtime_seconds=down))
    return out


def fault_figures(kpi: Kpi, faults: list[Fault], month: str, tz: str, now: datetime) -> list[dict[str, Any]]:
    if kpi.measure == "egress-faults":
        return egress_figures(kpi, faults, month, tz)
    if kpi.measure == "device-fault-rate":
        return device_figures(kpi, faults, month, tz)
    return reliability_figures(kpi, faults, month, tz, now)
