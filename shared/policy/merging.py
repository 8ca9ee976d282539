"""What every part of policy loading shares: the error naming file and key, the merge of one file over another,
and where a validation error points in the raw YAML. Leaf module: the loaders import it, it imports none of them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError


class PolicyError(ValueError):
    """A policy file is invalid; the message names the file, the dotted key path and why."""

    def __init__(self, file: str | Path, key: str, reason: str) -> None:
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{self.file}: {key or '<top>'}: {reason}")


_MISSING = object()


@dataclass
class Entry:
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


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Return base with over merged in: mappings merge, everything else replaces."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def event_vocabulary() -> frozenset[str]:
    """Every registered event type: what a timer may start or stop on."""
    from shared.events import REGISTRY  # the package registers every event type

    return frozenset(REGISTRY.names())


def blamed(exc: ValidationError, entry: Entry) -> PolicyError:
    loc = dotted(exc.errors()[0], entry.data)
    path, prefix = entry.blame(loc)
    return PolicyError(path, f"{prefix}.{loc}" if loc else prefix, exc.errors()[0]["msg"])


def from_validation(exc: ValidationError, path: Path, prefix: str, raw: Any) -> PolicyError:
    loc = dotted(exc.errors()[0], raw)
    key = f"{prefix}.{loc}" if prefix and loc else prefix or loc
    return PolicyError(path, key, exc.errors()[0]["msg"])


def dotted(error: Any, raw: Any) -> str:
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
