"""Work items that are not tickets (issue 8): what timer rules match on, learnt from each item's first event.

- `NetworkFaultReported`: kind `network-fault` or `system-fault` (from the layer), product = the layer
  (backbone, aggregation, access, boss, lan, call-system …), priority = the severity (general / major), flag
  `staffed-room` when in a staffed room (NJ-4.3.2e). Rules: CS-25 / CS-32 / CS-33, NJ-fault-notify-10m.
- `MailReceived`: kind `mail` (TT-email-72h). `ForumPostPublished`: kind `forum-post` (CS-forum-4h).

The responsible department (who pays a breach) is the one named on the first event.
"""

from __future__ import annotations

from typing import Any

from shared.events.lifecycle.work_items import FORUM_POST, MAIL, STAFFED_ROOM


def _fault(payload: dict[str, Any]) -> dict[str, Any]:
    return {"kind": payload["kind"], "product": payload["layer"], "priority": payload["severity"],
            "flags": [STAFFED_ROOM] if payload.get("staffed_room") else []}


OPENERS = {
    "NetworkFaultReported": _fault,
    "MailReceived": lambda payload: {"kind": MAIL},
    "ForumPostPublished": lambda payload: {"kind": FORUM_POST},
}


def opened_attrs(event_type: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Matchable attributes of a work item from its first event; None for any other event."""
    learn = OPENERS.get(event_type)
    return learn(payload) if learn else None
