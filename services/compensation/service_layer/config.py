"""The policy this compensation process runs (GONGDAN_POLICY, else policies/default.yaml): its schemes and the CT
promises' cutoff rules, read once per runtime (`uow.config`, `rt.config`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from services.compensation.adapters.notifier import DevNotifier, Notifier, notifier_from
from services.compensation.domain.ct import Cutoff
from shared.policy import Policy
from shared.policy.compensation import CompensationPolicy, CtScheme
from shared.policy.compensation_loader import ct_cutoff
from shared.policy.deployment import load_deployment_policy, policy_path
from shared.settings import Settings


@dataclass(frozen=True)
class CompensationConfig:
    path: Path
    policy: Policy
    cutoffs: dict[str, Cutoff]
    notifier: Notifier = field(default_factory=DevNotifier)  # CT-4.6: the SMS gateway, or the dev table

    @property
    def schemes(self) -> CompensationPolicy:
        return self.policy.compensation

    @property
    def flag_backdated_after(self) -> timedelta:
        return self.policy.field_time.flag_backdated_after


def cutoffs_of(policy: Policy) -> dict[str, Cutoff]:
    """The cutoff rule of every timer a CT promise names."""
    out = {}
    for scheme in policy.compensation.schemes.values():
        if isinstance(scheme, CtScheme):
            for promise in (scheme.install, scheme.repair):
                if promise is not None:
                    before, after_hours, _ = ct_cutoff(policy.timers, promise.timer)
                    out[promise.timer] = Cutoff.parse(before, after_hours)
    return out


def load_config(settings: Settings) -> CompensationConfig:
    """Load and validate the policy file; a bad file raises PolicyError naming the file and key path."""
    policy = load_deployment_policy(settings)
    return CompensationConfig(path=policy_path(settings), policy=policy, cutoffs=cutoffs_of(policy),
                              notifier=notifier_from(settings))
