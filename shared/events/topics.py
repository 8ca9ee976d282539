"""Kafka topic names. Every ticket event is keyed by ticket id, so one ticket's events stay in order."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Topics:
    tickets: str = "gongdan.tickets"  # lifecycle: intake and dispatch
    sla: str = "gongdan.sla"  # sla_monitor: warnings, breaches, met
    penalties: str = "gongdan.penalties"
    compensation: str = "gongdan.compensation"
    directory: str = "gongdan.directory"  # dispatch: departments, people, districts (keyed by entry)
    dead_letter: str = "gongdan.dead-letter"
    calls: str = "gongdan.calls"  # intake: calls the IVR/ACD reports as handled (keyed by call), for penalty

    def all(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


TOPICS = Topics()
PARTITIONS = 6
