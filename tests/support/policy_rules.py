"""Run pack rules the test stack's default policy does not include (e.g. CS-25, NJ-4.3.2e) in its SLA monitor.

The in-process sla_monitor reads its policy from `runtime.config` (handlers through each unit of work, the API on
each request), so a test can add rules for a while and put the policy back afterwards. Added rules must not match
the tickets other tests create (the stack is shared): pick rules by the kinds only the test produces.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from shared.policy.loader import load_pack
from tests.support.stack import Stack


@contextmanager
def pack_rules(stack: Stack, pack: str, *rule_ids: str) -> Iterator[tuple[str, ...]]:
    """The sla_monitor also runs these rules of `pack` (all of its rules when none are named) until exit."""
    runtime = stack.runtime("sla_monitor")
    before = runtime.config
    running = {r.rule_id for r in before.policy.timers}
    wanted = [r for r in load_pack(pack).timers if (not rule_ids or r.rule_id in rule_ids)
              and r.rule_id not in running]
    missing = set(rule_ids) - {r.rule_id for r in load_pack(pack).timers}
    if missing:
        raise KeyError(f"{pack} has no rules {sorted(missing)}")
    policy = before.policy.model_copy(update={"timers": (*before.policy.timers, *wanted)})
    runtime.config = replace(before, policy=policy)
    try:
        yield tuple(r.rule_id for r in wanted)
    finally:
        runtime.config = before
