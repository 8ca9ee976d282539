"""Outage notices (RULEBOOK §7): which notice rules an incident event settles, and how, decided at once.

An `OutageDeclared` carries both the planned (or actual) outage start and `notice_at`, the moment customer
service was told; an `OutageRestored` carries the restore time and its own `notice_at`. Every act these rules
time is therefore known when the event arrives, so each applicable rule is a one-shot check, not a running
timer: TT-outage-notice-30m (TT-8.6, elapsed from outage start / restore to the notice), GX-planned-outage-7wd
and GX-temp-outage-24h (GX-5.4.4) and NJ-notice-1wd (NJ-4.3.2c) (ahead-of the outage start, §9.1 counting).

Matching attributes of an incident: kind `outage`, area = area type, flags `planned` (declared planned) or
`temporary` (not planned but announced before it starts: temporary maintenance); an unplanned outage noticed
after it began is a fault outage and has neither flag, so no ahead-of rule applies to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.sla_monitor.domain.deadlines import compute_deadline
from services.sla_monitor.domain.notices import Calendars, notice_deadline
from services.sla_monitor.domain.rules import TicketAttrs, select_rules
from shared.policy.schema import AheadOfDeadline, TimerRule

OUTAGE = "outage"
# An incident's timers are its notices: round 1 the outage notice, round 2 the restore notice (TT-8.6).
ROUNDS = {"OutageDeclared": 1, "OutageRestored": 2}


@dataclass(frozen=True)
class NoticeCheck:
    """One rule settled by one incident event; `actual` is when customer service was notified."""

    rule: TimerRule
    round: int
    start: datetime
    deadline: datetime
    actual: datetime
    provisional: bool
    calendar: str

    @property
    def met(self) -> bool:
        """Inclusive boundary (RULEBOOK §9.1)."""
        return self.actual <= self.deadline


def _at(payload: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(str(payload[key]))


def declared_attrs(payload: dict[str, Any]) -> dict[str, Any]:
    """Matchable attributes of a declared outage (JSON payload of OutageDeclared)."""
    if payload["planned"]:
        flags = ["planned"]
    else:
        flags = ["temporary"] if _at(payload, "starts_at") > _at(payload, "notice_at") else []
    attrs: dict[str, Any] = {"kind": OUTAGE, "flags": flags}
    if payload.get("area_type"):
        attrs["area"] = payload["area_type"]
    return attrs


def _check(rule: TimerRule, round_: int, start: datetime, notice: datetime, cals: Calendars) -> NoticeCheck:
    spec = rule.deadline
    if isinstance(spec, AheadOfDeadline):  # the notice must come N before the planned start
        result = notice_deadline(spec, start, cals)
        calendar = "natural" if spec.hours is not None else spec.calendar
        return NoticeCheck(rule, round_, notice, result.latest, notice, result.provisional, calendar)
    done = compute_deadline(spec, start, cals)  # the notice must follow the outage start / restore within N
    calendar = "natural" if spec.type == "elapsed" else getattr(spec, "calendar", "default")
    return NoticeCheck(rule, round_, start, done.deadline, notice, done.provisional, calendar)


def notice_checks(event_type: str, payload: dict[str, Any], attrs: TicketAttrs, rules: Iterable[TimerRule],
                  cals: Calendars) -> list[NoticeCheck]:
    """The checks an OutageDeclared / OutageRestored settles (one per applicable rule family)."""
    round_ = ROUNDS[event_type]
    start = _at(payload, "starts_at" if event_type == "OutageDeclared" else "restored_at")
    notice = _at(payload, "notice_at")
    chosen = select_rules(rules, attrs, start_event=event_type, start=notice, calendars=cals)
    return [_check(rule, round_, start, notice, cals) for rule in chosen]
