"""The deployment's policy file (GONGDAN_POLICY, else policies/default.yaml), for every service reading it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.policy.loader import PACKS_DIR, load_policy
from shared.policy.schema import Policy
from shared.settings import Settings

DEFAULT_POLICY = PACKS_DIR / "default.yaml"


def policy_path(settings: Settings) -> Path:
    """The policy file this process runs."""
    return Path(settings.gongdan_policy or DEFAULT_POLICY)


def load_deployment_policy(settings: Settings) -> Policy:
    """Load and validate the policy file afresh; a bad file raises PolicyError naming file and key path."""
    return load_policy(policy_path(settings))


@dataclass(frozen=True)
class PolicyConfig:
    """What intake and dispatch build once per runtime (ServiceSpec.configure): the deployment's policy."""

    path: Path
    policy: Policy


def load_policy_config(settings: Settings) -> PolicyConfig:
    """`ServiceSpec.configure` for services that read the policy: a bad file stops start with its key path."""
    return PolicyConfig(policy_path(settings), load_deployment_policy(settings))
