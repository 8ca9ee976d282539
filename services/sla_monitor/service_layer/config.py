"""The policy this sla_monitor process runs (GONGDAN_POLICY, else policies/default.yaml) and its timer settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from services.sla_monitor.domain.calendar import WorkingCalendar, policy_calendars
from services.sla_monitor.domain.rules import RuleSet
from services.sla_monitor.domain.timers import runnable
from shared.events.vocabulary import PauseReason
from shared.policy import Policy, TimerRule
from shared.policy.deployment import DEFAULT_POLICY as DEFAULT_POLICY  # re-exported for this module's callers
from shared.policy.deployment import load_deployment_policy, policy_path
from shared.policy.schema import PausePolicy, PromisedDeadline
from shared.settings import Settings

#: Issue 8: a due date the dispatcher sets by hand is a timer of its own (warnings, no money: no penalty clause
#: names it) and never moves a policy deadline. Customer-caused waits pause it like the repair timers.
PROMISED_DUE = TimerRule(
    rule_id="GD-promised-due", family="promised-due", title="the due date the dispatcher promised",
    source="Gongdan internal (issue 8): no money", start=("TicketDispatched", "TicketRedispatched"),
    stop=("Resolved",), deadline=PromisedDeadline(type="promised"),
    pause=PausePolicy(reasons=tuple(reason.value for reason in PauseReason)),
)
INTERNAL_RULES: tuple[TimerRule, ...] = (PROMISED_DUE,)


@dataclass(frozen=True)
class SlaConfig:
    """Effective policy, its calendars and the scanner's knobs."""

    path: Path
    policy: Policy
    calendars: dict[str, WorkingCalendar]
    grace: timedelta
    scan_every: float
    scan_batch: int

    @cached_property
    def rules(self) -> RuleSet:
        """Rules a running timer can serve: all but ahead-of notices, which incident events settle at once; and
        Gongdan's own internal timers. Worked out once (the policy is frozen), not for every event."""
        return RuleSet((*(r for r in self.policy.timers if runnable(r)), *INTERNAL_RULES))

    def rule(self, rule_id: str) -> TimerRule:
        """The rule with this id (KeyError when the policy no longer has it)."""
        internal = next((r for r in INTERNAL_RULES if r.rule_id == rule_id), None)
        return internal or self.policy.timer(rule_id)


def load_config(settings: Settings) -> SlaConfig:
    """Load and validate the policy file; a bad file raises PolicyError naming the file and key path."""
    policy = load_deployment_policy(settings)
    return SlaConfig(path=policy_path(settings), policy=policy, calendars=policy_calendars(policy),
                     grace=settings.gongdan_sla_breach_grace, scan_every=settings.gongdan_sla_scan_every,
                     scan_batch=settings.gongdan_sla_scan_batch)
