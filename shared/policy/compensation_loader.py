"""Merge the `compensation:` key across a policy file's includes (issue 11): schemes by id, mappings merge and the
last file wins, `disable` drops a scheme. A CT promise names a timer rule of the effective policy, of cutoff type."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.policy.compensation import CompensationHead, CompensationPolicy, CtScheme, Scheme
from shared.policy.merging import Entry, PolicyError, blamed, deep_merge, from_validation

_SCHEME: TypeAdapter[Any] = TypeAdapter(Scheme)


@dataclass
class CompensationMerge:
    """Accumulated schemes (loader.Entry each, remembering which file set which keys)."""

    schemes: dict[str, Any] = field(default_factory=dict)


def merge_compensation(path: Path, raw: dict[str, Any], into: CompensationMerge) -> None:
    """Merge one file's `compensation:` mapping into `into`; PolicyError names the file and key."""

    try:
        head = CompensationHead.model_validate(raw)
    except ValidationError as exc:
        raise from_validation(exc, path, "compensation", raw) from None
    for sid, fragment in head.schemes.items():
        entry = into.schemes.setdefault(sid, Entry({}))
        entry.data = deep_merge(entry.data, fragment)
        entry.origins.append((path, f"compensation.schemes.{sid}", fragment))
    for i, sid in enumerate(head.disable):
        if into.schemes.pop(sid, None) is None:
            raise PolicyError(path, f"compensation.disable[{i}]", f"no scheme {sid!r} to disable")


def validate_compensation(merged: CompensationMerge, timers: dict[str, Any]) -> CompensationPolicy:
    """Validate every merged scheme; a CT promise's timer must be a cutoff rule of the effective policy."""

    schemes = {}
    for sid, entry in merged.schemes.items():
        try:
            scheme = _SCHEME.validate_python(entry.data)
        except ValidationError as exc:
            raise blamed(exc, entry) from None
        if isinstance(scheme, CtScheme):
            for name in ("install", "repair"):
                promise = getattr(scheme, name)
                if promise is None:
                    continue
                rule = timers.get(promise.timer)
                deadline = rule.data.get("deadline", {}) if rule is not None else {}
                if rule is None or deadline.get("type") != "cutoff":
                    path, prefix = entry.blame(name)
                    why = "no such timer rule" if rule is None else "its deadline is not of type cutoff"
                    raise PolicyError(path, f"{prefix}.{name}.timer", f"scheme {sid}: {promise.timer!r}: {why}")
        schemes[sid] = scheme
    return CompensationPolicy(schemes=schemes)


def ct_cutoff(timers: Any, rule_id: str) -> tuple[str, int | None, str]:
    """(before 'HH:MM', after_hours, calendar) of a CT promise's cutoff timer in a validated Policy's timers."""
    rule = next(r for r in timers if r.rule_id == rule_id)
    return rule.deadline.before, rule.deadline.after_hours, rule.deadline.calendar
