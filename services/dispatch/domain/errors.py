"""The refusal `decide` raises; the HTTP layer turns it into a 409 carrying the current state."""

from __future__ import annotations

from services.dispatch.domain.state import Status


class CommandRefused(Exception):
    """The command is not allowed now; `current_state` and `reason` go back to the caller."""

    def __init__(self, current_state: Status, reason: str) -> None:
        super().__init__(f"{reason} (ticket is {current_state.value})")
        self.current_state = current_state
        self.reason = reason
