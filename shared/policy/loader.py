"""Load a policy YAML file with `include:` of shipped packs and `overrides:` (RULEBOOK §1)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.policy import compensation_loader as _compensation
from shared.policy import penalty_loader as _penalties
from shared.policy.merging import (
    Entry,
    PolicyError,
    blamed,
    deep_merge,
    event_vocabulary,
    from_validation,
)
from shared.policy.schema import CalendarSpec, FieldTimePolicy, Policy, PolicyFileHead, TimerRule

PACKS_DIR = Path(__file__).resolve().parents[2] / "policies"
SHIPPED_PACKS = (
    "tietong-jianghan",
    "nanjing-catv",
    "catv-service-norms",
    "gx-power-966022",
    "telecom-lyg-sameday",
)


def pack_path(pack_id: str) -> Path:
    """Path of a shipped pack by its id."""
    return PACKS_DIR / f"{pack_id}.yaml"


def load_pack(pack_id: str) -> Policy:
    """Load one shipped pack by id."""
    return load_policy(pack_path(pack_id))


def load_policy(path: str | Path) -> Policy:
    """Load, merge and validate a policy file; raise PolicyError on any problem."""
    path = Path(path)
    calendars: dict[str, Entry] = {}
    timers: dict[str, Entry] = {}
    field_time = Entry({})
    files: list[str] = []
    packs: list[str] = []
    merged = _Merged(calendars, timers, field_time, files, packs)
    head = _merge_file(path, merged, stack=())
    return Policy(
        pack=head.pack,
        name=head.name,
        packs=tuple(packs),
        files=tuple(files),
        calendars=_validate_calendars(calendars),
        timers=_validate_timers(timers, calendars),
        field_time=_validate_field_time(field_time),
        penalties=_penalties.validate_penalties(merged.penalties, set(timers)),  # issue 10
        compensation=_compensation.validate_compensation(merged.compensation, timers),  # issue 11
    )


@dataclass
class _Merged:
    """Accumulators that every file of an include tree merges into, in include order."""

    calendars: dict[str, Entry]
    timers: dict[str, Entry]
    field_time: Entry
    files: list[str]
    packs: list[str]
    penalties: _penalties.PenaltyMerge = field(default_factory=lambda: _penalties.PenaltyMerge())
    compensation: _compensation.CompensationMerge = field(default_factory=lambda: _compensation.CompensationMerge())


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(path, "", "file not found") from None
    except yaml.YAMLError as exc:
        raise PolicyError(path, "", f"invalid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise PolicyError(path, "", "a policy file must be a mapping")
    return raw


def _merge_file(path: Path, into: _Merged, stack: tuple[Path, ...]) -> PolicyFileHead:
    """Merge one file (after its includes) into the accumulators."""
    calendars, timers = into.calendars, into.timers
    resolved = path.resolve()
    if resolved in stack:
        raise PolicyError(
            path, "include", "include cycle: " + " -> ".join(str(p) for p in (*stack, resolved))
        )
    raw = _read(path)
    try:
        head = PolicyFileHead.model_validate(raw)
    except ValidationError as exc:
        raise from_validation(exc, path, "", raw) from None
    for i, inc in enumerate(head.include):
        target = pack_path(inc) if "/" not in inc and not inc.endswith(".yaml") else path.parent / inc
        if not target.exists():
            known = ", ".join(SHIPPED_PACKS)
            raise PolicyError(path, f"include[{i}]", f"unknown pack {inc!r} (shipped: {known})")
        _merge_file(target, into, (*stack, resolved))
    for cid, fragment in head.calendars.items():
        entry = calendars.setdefault(cid, Entry({}))
        entry.data = deep_merge(entry.data, fragment)
        entry.origins.append((path, f"calendars.{cid}", fragment))
    for i, fragment in enumerate(head.timers):
        rid = fragment.get("rule_id")
        if not isinstance(rid, str):
            raise PolicyError(path, f"timers[{i}].rule_id", "every timer needs a rule_id string")
        if rid in timers:
            raise PolicyError(
                path, f"timers[{i}].rule_id", f"duplicate rule {rid!r}; use overrides to change it"
            )
        timers[rid] = Entry(copy.deepcopy(fragment), [(path, f"timers[{i}]", fragment)])
    for rid, fragment in head.overrides.items():
        if rid not in timers:
            raise PolicyError(path, f"overrides.{rid}", "overrides a rule that no included pack defines")
        if "rule_id" in fragment:
            raise PolicyError(path, f"overrides.{rid}.rule_id", "a rule id cannot be overridden")
        timers[rid].data = deep_merge(timers[rid].data, fragment)
        timers[rid].origins.append((path, f"overrides.{rid}", fragment))
    for i, rid in enumerate(head.disable):
        if timers.pop(rid, None) is None:
            raise PolicyError(path, f"disable[{i}]", f"no rule {rid!r} to disable")
    if head.field_time:  # later files override earlier ones role by role (RULEBOOK §1 composition)
        into.field_time.data = deep_merge(into.field_time.data, head.field_time)
        into.field_time.origins.append((path, "field_time", head.field_time))
    into.penalties.disabled_timers.update(head.disable)  # issue 10: clauses on a disabled timer never fire
    if head.penalties:  # issue 10: penalty clauses merge like timers (shared/policy/penalty_loader.py)
        _penalties.merge_penalties(path, head.penalties, into.penalties)
    if head.compensation:  # issue 11: compensation schemes merge by id (shared/policy/compensation_loader.py)
        _compensation.merge_compensation(path, head.compensation, into.compensation)
    into.files.append(str(path))
    into.packs.append(head.pack)
    return head


def _validate_calendars(entries: dict[str, Entry]) -> dict[str, CalendarSpec]:
    out = {"default": CalendarSpec()}
    for cid, entry in entries.items():
        try:
            out[cid] = CalendarSpec.model_validate(entry.data)
        except ValidationError as exc:
            raise blamed(exc, entry) from None
    return out


def _validate_timers(entries: dict[str, Entry], calendars: dict[str, Entry]) -> tuple[TimerRule, ...]:
    rules = []
    for entry in entries.values():
        try:
            rule = TimerRule.model_validate(entry.data)
        except ValidationError as exc:
            raise blamed(exc, entry) from None
        if rule.deadline.type == "promised":
            path, prefix = entry.blame("deadline")
            raise PolicyError(path, f"{prefix}.deadline.type",
                              "'promised' is Gongdan's internal timer of a dispatcher's due date, not a policy rule")
        cal = getattr(rule.deadline, "calendar", None)
        if cal is not None and cal != "default" and cal not in calendars:
            path, prefix = entry.blame("deadline")
            raise PolicyError(path, f"{prefix}.deadline.calendar", f"unknown calendar {cal!r}")
        _check_event_names(rule, entry)
        rules.append(rule)
    return tuple(rules)


def _check_event_names(rule: TimerRule, entry: Entry) -> None:
    """A start or stop name no event carries would make a timer that never starts or never stops (issue 8)."""
    known = event_vocabulary()
    for key in ("start", "stop"):
        for i, name in enumerate(getattr(rule, key)):
            if name not in known:
                path, prefix = entry.blame(key)
                raise PolicyError(path, f"{prefix}.{key}[{i}]",
                                  f"rule {rule.rule_id}: {name!r} is not an event type Gongdan produces")


def _validate_field_time(entry: Entry) -> FieldTimePolicy:
    """Issue 3 field time: per-role backdating limits; an unknown role fails naming its key."""
    try:
        return FieldTimePolicy.model_validate(entry.data)
    except ValidationError as exc:
        error = exc.errors()[0]
        keys = tuple(str(k) for k in error["loc"] if k != "[key]")
        path, prefix = entry.blame_key(keys) or entry.blame(".".join(keys))
        raise PolicyError(path, ".".join((prefix, *keys)), _field_time_reason(error, keys)) from None


def _field_time_reason(error: Any, keys: tuple[str, ...]) -> str:
    if error["type"] == "literal_error" and "[key]" in error["loc"]:
        return f"unknown role {keys[-1]!r}: {error['msg']}"
    return str(error["msg"])

__all__ = ["PACKS_DIR", "SHIPPED_PACKS", "PolicyError", "event_vocabulary", "load_pack", "load_policy"]
