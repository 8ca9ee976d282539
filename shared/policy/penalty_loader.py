"""Merge the `penalties:` key across a policy file's includes like timers: clauses by id, `overrides` change an
amount or a payer, `disable` drops a clause; later files win (RULEBOOK §1 composition)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from shared.policy.merging import Entry, PolicyError, blamed, deep_merge, event_vocabulary, from_validation
from shared.policy.penalties import Clause, Group, PenaltiesHead, PenaltyPolicy


@dataclass
class PenaltyMerge:
    """Accumulated clauses (with the file and key each came from), groups and the refund share."""

    clauses: dict[str, Any] = field(default_factory=dict)  # clause id -> loader.Entry
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    group_files: dict[str, Path] = field(default_factory=dict)
    refund_percent: tuple[int, Path] | None = None
    disabled_timers: set[str] = field(default_factory=set)  # an operator disabled the timer: its clauses never fire
    kpis: dict[str, tuple[dict[str, Any], Path]] = field(default_factory=dict)  # KPI id -> (merged data, file)


def merge_penalties(path: Path, raw: dict[str, Any], into: PenaltyMerge) -> None:
    """Merge one file's `penalties:` mapping into `into`; PolicyError names the file and key."""

    try:
        head = PenaltiesHead.model_validate(raw)
    except ValidationError as exc:
        raise from_validation(exc, path, "penalties", raw) from None
    for i, fragment in enumerate(head.clauses):
        cid = fragment.get("clause")
        if not isinstance(cid, str):
            raise PolicyError(path, f"penalties.clauses[{i}].clause", "every clause needs a clause id string")
        if cid in into.clauses:
            raise PolicyError(path, f"penalties.clauses[{i}].clause",
                              f"duplicate clause {cid!r}; use penalties.overrides to change it")
        into.clauses[cid] = Entry(copy.deepcopy(fragment), [(path, f"penalties.clauses[{i}]", fragment)])
    for cid, fragment in head.overrides.items():
        if cid not in into.clauses:
            raise PolicyError(path, f"penalties.overrides.{cid}", "overrides a clause that no included pack defines")
        if "clause" in fragment:
            raise PolicyError(path, f"penalties.overrides.{cid}.clause", "a clause id cannot be overridden")
        entry = into.clauses[cid]
        base = {**entry.data, "amount": None} if _new_amount_type(entry.data, fragment) else entry.data
        entry.data = deep_merge(base, fragment)
        entry.origins.append((path, f"penalties.overrides.{cid}", fragment))
    for i, cid in enumerate(head.disable):
        if into.clauses.pop(cid, None) is None:
            raise PolicyError(path, f"penalties.disable[{i}]", f"no clause {cid!r} to disable")
    for name, fragment in head.groups.items():
        into.groups[name] = deep_merge(into.groups.get(name, {}), fragment)
        into.group_files[name] = path
    if head.refund_percent is not None:
        into.refund_percent = (head.refund_percent, path)
    for kid, fragment in head.kpis.items():  # scorecards (RULEBOOK §5.3): later files change keys or drop one
        if fragment is None:
            into.kpis.pop(kid, None)
        else:
            into.kpis[kid] = (deep_merge(into.kpis.get(kid, ({}, path))[0], fragment), path)


def _new_amount_type(base: dict[str, Any], over: dict[str, Any]) -> bool:
    """An override naming another amount type replaces the amount whole (no stale keys of the old model)."""
    amount, old = over.get("amount"), base.get("amount")
    return isinstance(amount, dict) and "type" in amount and (not isinstance(old, dict) or old.get("type") != amount["type"])


def validate_penalties(merged: PenaltyMerge, timer_ids: set[str]) -> PenaltyPolicy:
    """Validate every merged clause; a breach trigger must name a timer rule of the effective policy."""

    clauses = []
    for entry in merged.clauses.values():
        try:
            clause = Clause.model_validate(entry.data)
        except ValidationError as exc:
            raise blamed(exc, entry) from None
        for i, rule_id in enumerate(clause.trigger.breach):
            if rule_id not in timer_ids and rule_id not in merged.disabled_timers:
                path, prefix = entry.blame("trigger")
                raise PolicyError(path, f"{prefix}.trigger.breach[{i}]",
                                  f"clause {clause.clause}: no timer rule {rule_id!r} in this policy")
        for name in (clause.trigger.event, clause.trigger.unless_before_deadline):
            if name is not None and name not in event_vocabulary():
                path, prefix = entry.blame("trigger")
                raise PolicyError(path, f"{prefix}.trigger", f"clause {clause.clause}: {name!r} is not an event type")
        clauses.append(clause)
    groups = {}
    for name, data in merged.groups.items():
        try:
            groups[name] = Group.model_validate(data)
        except ValidationError as exc:
            raise PolicyError(merged.group_files[name], f"penalties.groups.{name}", exc.errors()[0]["msg"]) from None
    refund = merged.refund_percent[0] if merged.refund_percent else 120
    kpis = _validate_kpis(merged, timer_ids, {c.clause for c in clauses})
    return PenaltyPolicy(clauses=tuple(clauses), groups=groups, refund_percent=refund, kpis=kpis)


def _validate_kpis(merged: PenaltyMerge, timer_ids: set[str], clause_ids: set[str]) -> tuple[Any, ...]:
    """Each KPI validated; its rules must be timers and its clause a clause of the effective policy."""
    from shared.policy.kpis import kpi_from

    out = []
    for kid, (data, path) in merged.kpis.items():
        try:
            kpi = kpi_from(kid, data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            raise PolicyError(path, f"penalties.kpis.{kid}" + (f".{where}" if where else ""), err["msg"]) from None
        for i, rule_id in enumerate(kpi.rules):
            if rule_id not in timer_ids and rule_id not in merged.disabled_timers:
                raise PolicyError(path, f"penalties.kpis.{kid}.rules[{i}]", f"no timer rule {rule_id!r} in this policy")
        if kpi.clause is not None and kpi.clause not in clause_ids:
            raise PolicyError(path, f"penalties.kpis.{kid}.clause", f"no penalty clause {kpi.clause!r} in this policy")
        out.append(kpi)
    return tuple(out)

