"""RULEBOOK §9.12 on timers (pure): an exempt ticket keeps its SLA breach as a fact, annotated `exempt`.

Compensation announces each exemption of a ticket (CT-3.2: a reason code; automatic for a rural district that has
not opted in) with the SLA rules of the promise(s) it covers, and its end when a dispute voids it (CT-3.3.1). A
timer is annotated while an exemption stands that covers its family (the families of the exemption's rules; a rule
this policy does not know covers timers of that rule id only) and its breach stands (breached, not retracted): a
timer met in time stays met. The breach itself, its events and its penalties are unchanged here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.sla_monitor.domain.timers import Timer


@dataclass(frozen=True)
class Exemption:
    exemption_id: str
    code: str
    cause: str | None
    promise: str | None
    rule_ids: tuple[str, ...]
    note: str
    automatic: bool
    clause: str
    recorded_at: datetime
    voided_at: datetime | None = None

    def covers(self, timer: Timer, family_of: Callable[[str], str | None]) -> bool:
        families = {family_of(r) or f"rule:{r}" for r in self.rule_ids}
        return timer.family in families or f"rule:{timer.rule_id}" in families


def exempt_annotation(timer: Timer, exemptions: Iterable[Exemption],
                      family_of: Callable[[str], str | None]) -> dict[str, Any] | None:
    """`exempt` of a timer's view: the first standing exemption covering its standing breach, else None."""
    if timer.breached_at is None or timer.retracted_at is not None:
        return None
    for e in sorted(exemptions, key=lambda x: (x.recorded_at, x.exemption_id)):
        if e.voided_at is None and e.covers(timer, family_of):
            return {"exemption_id": e.exemption_id, "code": e.code, "cause": e.cause, "promise": e.promise,
                    "automatic": e.automatic, "note": e.note, "clause": e.clause,
                    "recorded_at": e.recorded_at.isoformat(), "outcome": "late, exempt (RULEBOOK §9.12)"}
    return None
