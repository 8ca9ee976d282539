"""Match a ticket's attributes to timer rules; most specific of a family wins (RULEBOOK §9.11)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from functools import cached_property

from services.sla_monitor.domain.calendar import WorkingCalendar
from services.sla_monitor.domain.notices import calendar_id, calendar_named
from shared.policy.schema import Condition, TimerRule, hhmm_minutes

_LISTS = ("kind", "segment", "product", "area", "channel", "priority")


@dataclass(frozen=True)
class TicketAttrs:
    """The attributes of a ticket (or notice, outage, mail) that timer rules match on."""

    kind: str
    segment: str | None = None
    product: str | None = None
    area: str | None = None
    channel: str | None = None
    priority: str | None = None
    linked_incident: bool = False
    flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pause:
    """A closed pause interval with the reason the ticket waited (e.g. customer_not_home)."""

    start: datetime
    end: datetime
    reason: str


def matches(cond: Condition, ticket: TicketAttrs, start_local: time | None = None) -> bool:
    """True if the ticket satisfies every constraint of the condition."""
    for name in _LISTS:
        allowed = getattr(cond, name)
        if allowed and getattr(ticket, name) not in allowed:
            return False
    if cond.linked_incident is not None and cond.linked_incident != ticket.linked_incident:
        return False
    if not set(cond.flags) <= ticket.flags:
        return False
    if cond.start_before is not None or cond.start_from is not None:
        if start_local is None:
            return False
        minute = start_local.hour * 60 + start_local.minute
        strictly_before = (minute, start_local.second, start_local.microsecond) < (
            hhmm_minutes(cond.start_before or "24:00"),
            0,
            0,
        )
        if cond.start_before is not None and not strictly_before:  # §9.1: 16:00:00 is not before
            return False
        if cond.start_from is not None and minute < hhmm_minutes(cond.start_from):
            return False
    if cond.any_of and not any(matches(c, ticket, start_local) for c in cond.any_of):
        return False
    return not any(matches(c, ticket, start_local) for c in cond.none_of)


def specificity(cond: Condition) -> int:
    """How narrow a condition is: one point per constrained attribute and flag (§9.11)."""
    score = sum(1 for name in _LISTS if getattr(cond, name))
    score += (cond.linked_incident is not None) + len(cond.flags)
    score += (cond.start_before is not None) + (cond.start_from is not None)
    score += max((specificity(c) for c in cond.any_of), default=0)
    return score + len(cond.none_of)


class RuleSet(tuple[TimerRule, ...]):
    """Timer rules in declaration order, with the lookups every event needs worked out once (the policy is frozen):
    by id, by start event, and each rule's specificity (issue 13)."""

    @cached_property
    def by_id(self) -> dict[str, TimerRule]:
        return {r.rule_id: r for r in self}

    @cached_property
    def _by_start(self) -> dict[str, tuple[TimerRule, ...]]:
        out: dict[str, list[TimerRule]] = {}
        for rule in self:
            for event in rule.start:
                out.setdefault(event, []).append(rule)
        return {event: tuple(rules) for event, rules in out.items()}

    @cached_property
    def specificity(self) -> dict[str, int]:
        return {r.rule_id: specificity(r.applies_to) for r in self}

    def starting(self, start_event: str | None) -> Iterable[TimerRule]:
        """The rules `start_event` starts (all of them for None)."""
        return self if start_event is None else self._by_start.get(start_event, ())


def rule_set(rules: Iterable[TimerRule]) -> RuleSet:
    return rules if isinstance(rules, RuleSet) else RuleSet(rules)


def select_rules(
    rules: Iterable[TimerRule],
    ticket: TicketAttrs,
    *,
    start_event: str | None = None,
    start: datetime | None = None,
    calendars: Mapping[str, WorkingCalendar] | None = None,
) -> list[TimerRule]:
    """Rules that apply to the ticket, one per family: the most specific, first declared on a tie."""
    best: dict[str, tuple[int, TimerRule]] = {}
    local: dict[str, time | None] = {}  # the start's wall-clock time on each calendar, worked out once
    indexed = rule_set(rules)
    for rule in indexed.starting(start_event):
        name = calendar_id(rule.deadline)
        if name not in local:
            local[name] = _start_local(name, start, calendars)
        if not matches(rule.applies_to, ticket, local[name]):
            continue
        score = indexed.specificity[rule.rule_id]
        held = best.get(rule.family_id)
        if held is None or score > held[0]:
            best[rule.family_id] = (score, rule)
    return [rule for _, rule in best.values()]


def _start_local(
    name: str, start: datetime | None, calendars: Mapping[str, WorkingCalendar] | None
) -> time | None:
    if start is None:
        return None
    return calendar_named(name, calendars or {}).local(start).time()
