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
from shared.policy.schema import CalendarSpec, FieldTimePolicy, Policy, PolicyFileHead, TimerRule

PACKS_DIR = Path(__file__).resolve().parents[2] / "policies"
SHIPPED_PACKS = (
    "tietong-jianghan",
    "nanjing-catv",
    "catv-service-norms",
    "gx-power-966022",
    "telecom-lyg-sameday",
)


class PolicyError(ValueError):
    """A policy file is invalid; the message names the file, the dotted key path and why."""

    def __init__(self, file: str | Path, key: str, reason: str) -> None:
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{self.file}: {key or '<top>'}: {reason}")


_MISSING = object()


@dataclass
class _Entry:
    """A calendar or timer being merged, remembering which file set which keys."""

    data: dict[str, Any]
    origins: list[tuple[Path, str, dict[str, Any]]] = field(default_factory=list)

    def blame_key(self, keys: tuple[str, ...]) -> tuple[Path, str] | None:
        """File and key prefix of the last contribution holding exactly this nested key, if any."""
        for path, prefix, fragment in reversed(self.origins):
            node: Any = fragment
            for key in keys:
                node = node.get(key) if isinstance(node, dict) and key in node else _MISSING
            if node is not _MISSING:
                return path, prefix
        return None

    def blame(self, loc: str) -> tuple[Path, str]:
        """File and key prefix of the last contribution that set the first key of loc."""
        head = loc.split(".")[0].split("[")[0]
        for path, prefix, fragment in reversed(self.origins):
            if head in fragment:
                return path, prefix
        return self.origins[0][0], self.origins[0][1]


def pack_path(pack_id: str) -> Path:
    """Path of a shipped pack by its id."""
    return PACKS_DIR / f"{pack_id}.yaml"


def load_pack(pack_id: str) -> Policy:
    """Load one shipped pack by id."""
    return load_policy(pack_path(pack_id))


def load_policy(path: str | Path) -> Policy:
    """Load, merge and validate a policy file; raise PolicyError on any problem."""
    path = Path(path)
    calendars: dict[str, _Entry] = {}
    timers: dict[str, _Entry] = {}
    field_time = _Entry({})
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

    calendars: dict[str, _Entry]
    timers: dict[str, _Entry]
    field_time: _Entry
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
        raise _from_validation(exc, path, "", raw) from None
    for i, inc in enumerate(head.include):
        target = pack_path(inc) if "/" not in inc and not inc.endswith(".yaml") else path.parent / inc
        if not target.exists():
            known = ", ".join(SHIPPED_PACKS)
            raise PolicyError(path, f"include[{i}]", f"unknown pack {inc!r} (shipped: {known})")
        _merge_file(target, into, (*stack, resolved))
    for cid, fragment in head.calendars.items():
        entry = calendars.setdefault(cid, _Entry({}))
        entry.data = _deep_merge(entry.data, fragment)
        entry.origins.append((path, f"calendars.{cid}", fragment))
    for i, fragment in enumerate(head.timers):
        rid = fragment.get("rule_id")
        if not isinstance(rid, str):
            raise PolicyError(path, f"timers[{i}].rule_id", "every timer needs a rule_id string")
        if rid in timers:
            raise PolicyError(
                path, f"timers[{i}].rule_id", f"duplicate rule {rid!r}; use overrides to change it"
            )
        timers[rid] = _Entry(copy.deepcopy(fragment), [(path, f"timers[{i}]", fragment)])
    for rid, fragment in head.overrides.items():
        if rid not in timers:
            raise PolicyError(path, f"overrides.{rid}", "overrides a rule that no included pack defines")
        if "rule_id" in fragment:
            raise PolicyError(path, f"overrides.{rid}.rule_id", "a rule id cannot be overridden")
        timers[rid].data = _deep_merge(timers[rid].data, fragment)
        timers[rid].origins.append((path, f"overrides.{rid}", fragment))
    for i, rid in enumerate(head.disable):
        if timers.pop(rid, None) is None:
            raise PolicyError(path, f"disable[{i}]", f"no rule {rid!r} to disable")
    if head.field_time:  # later files override earlier ones role by role (RULEBOOK §1 composition)
        into.field_time.data = _deep_merge(into.field_time.data, head.field_time)
        into.field_time.origins.append((path, "field_time", head.field_time))
    into.penalties.disabled_timers.update(head.disable)  # issue 10: clauses on a disabled timer never fire
    if head.penalties:  # issue 10: penalty clauses merge like timers (shared/policy/penalty_loader.py)
        _penalties.merge_penalties(path, head.penalties, into.penalties)
    if head.compensation:  # issue 11: compensation schemes merge by id (shared/policy/compensation_loader.py)
        _compensation.merge_compensation(path, head.compensation, into.compensation)
    into.files.append(str(path))
    into.packs.append(head.pack)
    return head


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return base with over merged in: mappings merge, everything else replaces."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _validate_calendars(entries: dict[str, _Entry]) -> dict[str, CalendarSpec]:
    out = {"default": CalendarSpec()}
    for cid, entry in entries.items():
        try:
            out[cid] = CalendarSpec.model_validate(entry.data)
        except ValidationError as exc:
            raise _blamed(exc, entry) from None
    return out


def _validate_timers(entries: dict[str, _Entry], calendars: dict[str, _Entry]) -> tuple[TimerRule, ...]:
    rules = []
    for entry in entries.values():
        try:
            rule = TimerRule.model_validate(entry.data)
        except ValidationError as exc:
            raise _blamed(exc, entry) from None
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


def event_vocabulary() -> frozenset[str]:
    """Every registered event type: what a timer may start or stop on."""
    from shared.events import REGISTRY  # the package registers every event type

    return frozenset(REGISTRY.names())


def _check_event_names(rule: TimerRule, entry: _Entry) -> None:
    """A start or stop name no event carries would make a timer that never starts or never stops (issue 8)."""
    known = event_vocabulary()
    for key in ("start", "stop"):
        for i, name in enumerate(getattr(rule, key)):
            if name not in known:
                path, prefix = entry.blame(key)
                raise PolicyError(path, f"{prefix}.{key}[{i}]",
                                  f"rule {rule.rule_id}: {name!r} is not an event type Gongdan produces")


def _validate_field_time(entry: _Entry) -> FieldTimePolicy:
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


def _blamed(exc: ValidationError, entry: _Entry) -> PolicyError:
    loc = _dotted(exc.errors()[0], entry.data)
    path, prefix = entry.blame(loc)
    return PolicyError(path, f"{prefix}.{loc}" if loc else prefix, exc.errors()[0]["msg"])


def _from_validation(exc: ValidationError, path: Path, prefix: str, raw: Any) -> PolicyError:
    loc = _dotted(exc.errors()[0], raw)
    key = f"{prefix}.{loc}" if prefix and loc else prefix or loc
    return PolicyError(path, key, exc.errors()[0]["msg"])


def _dotted(error: Any, raw: Any) -> str:
    """Dotted key path of a pydantic error in the raw data, dropping union tags."""
    parts: list[str] = []
    cur = raw
    for el in error["loc"]:
        if isinstance(cur, dict) and el not in cur and cur.get("type") == el:
            continue  # discriminated-union tag, not a key
        if isinstance(el, int):
            parts.append(f"[{el}]")
            cur = cur[el] if isinstance(cur, (list, tuple)) and el < len(cur) else None
        else:
            parts.append(f".{el}" if parts else str(el))
            cur = cur.get(el) if isinstance(cur, dict) else None
    if error["type"] == "union_tag_invalid":
        parts.append(".type" if parts else "type")
    return "".join(parts)
