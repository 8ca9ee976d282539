"""RULEBOOK §9.13 field time: an act recorded long after it happened keeps its field time but is flagged."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def backdating(occurred_at: datetime, recorded_at: datetime, threshold: timedelta) -> dict[str, Any] | None:
    """How far the act was backdated, when it is more than `threshold` (None otherwise)."""
    behind = recorded_at - occurred_at
    if behind <= threshold:
        return None
    seconds = int(behind.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return {"by_seconds": seconds, "by": f"{hours}h{rest // 60:02d}m", "rule": "RULEBOOK-9.13",
            "threshold_seconds": int(threshold.total_seconds())}
