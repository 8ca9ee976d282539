"""The monthly review (TT-12) and appeals (NJ-4.3.6) as pure state machines over an entry's status.

Entry: proposed → confirmed | modified | cancelled (review board, ops); confirmed | modified → appealed (the payer's
department files) → upheld (rejected at any step) | refunded (approved by every step: a refund entry of
`refund_percent` lands in the month after approval).

Appeal steps, each a recorded act of its own role: the comprehensive department and customer service review (either
order), then the deputy GM approves, then the GM.
"""

from __future__ import annotations

from dataclasses import dataclass

REVIEWABLE = ("proposed",)
APPEALABLE = ("confirmed", "modified")
PAYABLE = ("confirmed", "modified", "upheld", "appealed")
REVIEWS = ("comprehensive-review", "customer-service-review")
APPROVALS = ("deputy-gm-approval", "gm-approval")
STEPS = (*REVIEWS, *APPROVALS)


class ReviewRefused(Exception):
    """The act is not allowed in the entry's or appeal's current state (409)."""

    def __init__(self, message: str, state: str) -> None:
        super().__init__(message)
        self.state = state


def review(status: str, action: str) -> str:
    """The review board's decision on a proposed entry: confirm | modify | cancel."""
    if status not in REVIEWABLE:
        raise ReviewRefused(f"only a proposed entry can be reviewed; this one is {status}", status)
    return {"confirm": "confirmed", "modify": "modified", "cancel": "cancelled"}[action]


def file_appeal(status: str) -> str:
    if status not in APPEALABLE:
        raise ReviewRefused(f"only a confirmed or modified entry can be appealed; this one is {status}", status)
    return "appealed"


@dataclass(frozen=True)
class AppealState:
    status: str  # reviewing | approved | rejected
    done: tuple[str, ...] = ()

    def allowed(self) -> tuple[str, ...]:
        """Steps that may be recorded next."""
        if self.status != "reviewing":
            return ()
        pending_reviews = tuple(s for s in REVIEWS if s not in self.done)
        if pending_reviews:
            return pending_reviews
        return next(((s,) for s in APPROVALS if s not in self.done), ())


def step(state: AppealState, name: str, approve: bool) -> AppealState:
    """Record one step: a rejection ends the appeal (upheld); the GM's approval ends it approved."""
    if name not in state.allowed():
        why = f"appeal is {state.status}" if state.status != "reviewing" else \
            f"next step is {' or '.join(state.allowed())}"
        raise ReviewRefused(f"{name} cannot be recorded now: {why}", state.status)
    done = (*state.done, name)
    if not approve:
        return AppealState("rejected", done)
    return AppealState("approved" if name == APPROVALS[-1] else "reviewing", done)


def entry_status_after(appeal: AppealState) -> str:
    return {"approved": "refunded", "rejected": "upheld"}.get(appeal.status, "appealed")
