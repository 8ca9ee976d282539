"""Policy packs: the operator-editable SLA timer rules of RULEBOOK §4."""

from shared.policy.loader import PACKS_DIR, SHIPPED_PACKS, PolicyError, load_pack, load_policy
from shared.policy.schema import CalendarSpec, Condition, Policy, TimerRule

__all__ = [
    "PACKS_DIR",
    "SHIPPED_PACKS",
    "CalendarSpec",
    "Condition",
    "Policy",
    "PolicyError",
    "TimerRule",
    "load_pack",
    "load_policy",
]
