"""Monthly review and the NJ-4.3.6 appeal as state machines, in full (issue 10)."""

from __future__ import annotations

import pytest

from services.penalty.domain import review as rv


def test_review_board_confirms_modifies_or_cancels_only_proposed_entries() -> None:
    assert [rv.review("proposed", a) for a in ("confirm", "modify", "cancel")] == ["confirmed", "modified",
                                                                                   "cancelled"]
    for status in ("confirmed", "cancelled", "appealed", "refunded"):
        with pytest.raises(rv.ReviewRefused):
            rv.review(status, "confirm")


def test_only_confirmed_or_modified_entries_can_be_appealed() -> None:
    assert rv.file_appeal("confirmed") == rv.file_appeal("modified") == "appealed"
    for status in ("proposed", "cancelled", "upheld", "refunded", "appealed"):
        with pytest.raises(rv.ReviewRefused):
            rv.file_appeal(status)


def test_approved_by_every_step_in_order_refunds() -> None:
    state = rv.AppealState("reviewing")
    assert set(state.allowed()) == set(rv.REVIEWS)
    state = rv.step(state, "customer-service-review", True)  # either review first
    assert state.allowed() == ("comprehensive-review",)
    with pytest.raises(rv.ReviewRefused):
        rv.step(state, "gm-approval", True)
    state = rv.step(state, "comprehensive-review", True)
    assert state.allowed() == ("deputy-gm-approval",)
    state = rv.step(state, "deputy-gm-approval", True)
    assert state.allowed() == ("gm-approval",) and rv.entry_status_after(state) == "appealed"
    state = rv.step(state, "gm-approval", True)
    assert state.status == "approved" and rv.entry_status_after(state) == "refunded" and state.allowed() == ()


@pytest.mark.parametrize("at", range(4))
def test_rejected_at_any_step_is_upheld_and_ends_the_appeal(at: int) -> None:
    state = rv.AppealState("reviewing")
    order = ("comprehensive-review", "customer-service-review", "deputy-gm-approval", "gm-approval")
    for name in order[:at]:
        state = rv.step(state, name, True)
    state = rv.step(state, order[at], False)
    assert state.status == "rejected" and rv.entry_status_after(state) == "upheld"
    with pytest.raises(rv.ReviewRefused):
        rv.step(state, order[min(at + 1, 3)], True)
