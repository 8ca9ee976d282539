"""Issue 8: a timer may only start or stop on an event type Gongdan produces; a typo fails the policy check."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.policy.deployment import DEFAULT_POLICY
from shared.policy.loader import SHIPPED_PACKS, PolicyError, event_vocabulary, load_pack, load_policy


@pytest.mark.parametrize("pack", SHIPPED_PACKS)
def test_every_shipped_pack_names_only_real_events(pack: str) -> None:
    for rule in load_pack(pack).timers:
        assert set(rule.start) | set(rule.stop) <= event_vocabulary(), rule.rule_id


def test_the_default_policy_passes() -> None:
    assert load_policy(DEFAULT_POLICY).timers


@pytest.mark.parametrize(("key", "name"), [("start", "TicketDispatchd"), ("stop", "DepartmentReplied")])
def test_an_unknown_event_name_is_refused_naming_rule_key_and_name(tmp_path: Path, key: str, name: str) -> None:
    policy = tmp_path / "mine.yaml"
    policy.write_text(
        "pack: mine\ninclude: [tietong-jianghan]\ntimers:\n"
        "  - rule_id: TT-own-1h\n    source: own\n    applies_to: {kind: [fault]}\n"
        f"    start: {name if key == 'start' else 'TicketDispatched'}\n"
        f"    stop: {name if key == 'stop' else 'Resolved'}\n"
        "    deadline: {type: elapsed, duration: 1h}\n")
    with pytest.raises(PolicyError) as refused:
        load_policy(policy)
    assert refused.value.key == f"timers[0].{key}[0]"
    assert "TT-own-1h" in refused.value.reason and repr(name) in refused.value.reason


def test_the_internal_promise_deadline_is_not_for_policy_files(tmp_path: Path) -> None:
    policy = tmp_path / "mine.yaml"
    policy.write_text(
        "pack: mine\ntimers:\n  - rule_id: TT-own-2h\n    source: own\n    start: TicketDispatched\n"
        "    stop: Resolved\n    deadline: {type: promised}\n")
    with pytest.raises(PolicyError, match="internal timer"):
        load_policy(policy)
