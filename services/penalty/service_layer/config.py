"""The policy this penalty process assesses under (GONGDAN_POLICY, else policies/default.yaml) and its time zone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.policy import Policy
from shared.policy.deployment import load_deployment_policy, policy_path
from shared.policy.penalties import PenaltyPolicy
from shared.settings import Settings


@dataclass(frozen=True)
class PenaltyConfig:
    path: Path
    policy: Policy
    tz: str  # GONGDAN_TZ: assessment months and tier years are local (RULEBOOK §9.7, §9.15)

    @property
    def penalties(self) -> PenaltyPolicy:
        return self.policy.penalties

    def family_of(self, rule_id: str) -> str:
        """The family of a timer rule (sla_monitor runs one timer per family and round); a rule this policy does
        not know is a family of its own."""
        rule = next((r for r in self.policy.timers if r.rule_id == rule_id), None)
        return rule.family_id if rule is not None else rule_id


def load_config(settings: Settings) -> PenaltyConfig:
    """Load and validate the policy file; a bad file raises PolicyError naming the file and key path."""
    return PenaltyConfig(path=policy_path(settings), policy=load_deployment_policy(settings), tz=settings.gongdan_tz)
