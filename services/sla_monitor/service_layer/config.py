"""The policy this sla_monitor process runs (GONGDAN_POLICY, else policies/default.yaml) and its timer settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from services.sla_monitor.domain.calendar import WorkingCalendar, policy_calendars
from services.sla_monitor.domain.timers import runnable
from shared.policy import Policy, TimerRule
from shared.policy.deployment import DEFAULT_POLICY as DEFAULT_POLICY  # re-exported for this module's callers
from shared.policy.deployment import load_deployment_policy, policy_path
from shared.settings import Settings


@dataclass(frozen=True)
class SlaConfig:
    """Effective policy, its calendars and the scanner's knobs."""

    path: Path
    policy: Policy
    calendars: dict[str, WorkingCalendar]
    grace: timedelta
    scan_every: float
    scan_batch: int

    @property
    def rules(self) -> tuple[TimerRule, ...]:
        """Rules a running timer can serve: all but ahead-of notices, which incident events settle at once."""
        return tuple(r for r in self.policy.timers if runnable(r))

    def rule(self, rule_id: str) -> TimerRule:
        """The rule with this id (KeyError when the policy no longer has it)."""
        return self.policy.timer(rule_id)


def load_config(settings: Settings) -> SlaConfig:
    """Load and validate the policy file; a bad file raises PolicyError naming the file and key path."""
    policy = load_deployment_policy(settings)
    return SlaConfig(path=policy_path(settings), policy=policy, calendars=policy_calendars(policy),
                     grace=settings.gongdan_sla_breach_grace, scan_every=settings.gongdan_sla_scan_every,
                     scan_batch=settings.gongdan_sla_scan_batch)


class ConfigHolder:
    """Set when a runtime starts (before its consumer handles anything); read by handlers and the API."""

    def __init__(self) -> None:
        self._config: SlaConfig | None = None

    def set(self, config: SlaConfig) -> None:
        self._config = config

    def get(self) -> SlaConfig:
        if self._config is None:
            raise RuntimeError("sla_monitor policy not loaded: the runtime was not started")
        return self._config


CONFIG = ConfigHolder()
