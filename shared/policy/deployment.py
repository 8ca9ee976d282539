"""The deployment's policy file (GONGDAN_POLICY, else policies/default.yaml), for every service reading it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

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


def deployment_policy(settings: Settings) -> Policy:
    """The policy file, loaded once per process and path (intake and dispatch read it on each request)."""
    return _cached(policy_path(settings).resolve())


@lru_cache(maxsize=8)
def _cached(path: Path) -> Policy:
    return load_policy(path)


async def require_deployment_policy(runtime: Any) -> None:
    """`ServiceSpec.on_start` for services that read the policy: a bad file stops start with its key path."""
    deployment_policy(runtime.settings)
