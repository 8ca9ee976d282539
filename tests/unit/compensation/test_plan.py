"""What a recomputation writes (domain/plan.py, pure): claim transitions and their events, a late exemption taking a
claim out of its open payout batch or clawing back a paid one (and a dispute undoing it, CT-3.3.1), exemptions
announced once (RULEBOOK §9.12); and the consumer handing compensation a batch's events of every type at once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from services.compensation.domain.claims import Exemption
from services.compensation.domain.decide import Inputs, decide
from services.compensation.domain.facts import Fact, fold
from services.compensation.domain.plan import (
    RECORDED,
    VOIDED,
    Plan,
    Scope,
    automatic_exemption_id,
    claim_id_of,
    plan_ticket,
)
from services.compensation.service_layer.handlers import EVENT_HANDLERS
from shared.messaging.consumer import _runs
from tests.unit.compensation.test_ct import CUTOFFS, POLICY, local, ticket

TID = uuid.UUID("00000000-0000-4000-8000-000000000011")
SCOPE = Scope.of(POLICY.compensation)
NOW = local(2026, 3, 10, 12, 0)
LATE = ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 3, 10, 0))  # 10 h late: 1 started day, 1,000 fen


def exemption(code: str = "customer-caused", disputed: bool = False, recording: str | None = None) -> Exemption:
    return Exemption(exemption_id="6f1de4c4-5a43-4a38-9f1b-5c3f4d4a0001", code=code, note="客户改约",
                     disputed=disputed, recording_ref=recording,
                     extra={"recorded_by": "sup-1", "recorded_at": local(2026, 3, 4, 9, 0)})


def plan(facts: list, stored: dict[tuple[str, str], dict[str, Any]] | None = None, inputs: Inputs = Inputs(),
         announced: dict[uuid.UUID, str] | None = None) -> Plan:
    state = fold(str(TID), facts)
    computed = decide(POLICY.compensation, CUTOFFS, state, inputs, NOW, timedelta(hours=1))
    return plan_ticket(SCOPE, TID, state, inputs, computed, stored or {}, announced or {}, NOW)


def stored_after(p: Plan, **changes: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """The rows a plan wrote, as the next recomputation reads them (with what finance did since)."""
    return {(r["scheme"], r["promise"]): {**r, **changes} for r in p.rows}


def kinds(p: Plan) -> list[str]:
    return [type(payload).__name__ for _, payload in p.events]


def test_a_new_late_claim_is_stored_announced_and_its_customer_told_once() -> None:
    first = plan(LATE)
    [row] = first.rows
    assert (row["claim_id"], row["status"], row["amount"]) == (claim_id_of(TID, "CT-sameday", "repair"), "due", 1000)
    assert row["payment_due_at"] == local(2026, 3, 10, 10, 0)  # completion + 7 natural days (CT-3.4)
    assert kinds(first) == ["CompensationDue"] and len(first.notices) == 1
    assert "10.00元" in first.notices[0]["message"]
    again = plan(LATE, stored_after(first))
    assert (again.rows, again.events, again.notices) == ([], [], [])  # nothing changed: nothing written


def test_an_exemption_after_the_claim_voids_it_and_is_announced_with_the_promise_timers() -> None:
    before = stored_after(plan(LATE))
    after = plan(LATE, before, Inputs(exemptions=(exemption(),)))
    assert kinds(after) == ["CompensationExemptionRecorded", "CompensationVoided"]
    announced = after.events[0][1]
    assert (announced.code, announced.promise, announced.automatic, announced.recorded_by) == (
        "customer-caused", None, False, "sup-1")
    assert announced.rule_ids == ["CT-sameday-install", "CT-sameday-repair"]  # every promise of the ticket
    assert [(a["code"], a["state"]) for a in after.announced] == [("customer-caused", RECORDED)]
    assert after.rows[0]["status"] == "exempt" and after.rows[0]["due_since"] is None
    repeat = plan(LATE, stored_after(after), Inputs(exemptions=(exemption(),)),
                  {uuid.UUID(exemption().exemption_id): RECORDED})
    assert repeat.events == [] and repeat.announced == []  # announced once


def test_an_exemption_after_batching_takes_the_pending_line_out_of_the_batch() -> None:
    batched = stored_after(plan(LATE), payout_state="batched")
    after = plan(LATE, batched, Inputs(exemptions=(exemption(),)))
    [(claim_id, why)] = after.unbatch
    assert claim_id == claim_id_of(TID, "CT-sameday", "repair") and "removed from its open payout batch" in why
    assert (after.rows[0]["status"], after.rows[0]["payout_state"]) == ("exempt", None)
    assert kinds(after)[-1] == "CompensationVoided" and after.clawbacks == []
    still_payable = plan(LATE, batched)
    assert still_payable.rows == [] and still_payable.unbatch == []  # the amount is what finance holds


def test_an_exemption_after_payment_records_a_clawback_and_a_dispute_without_recording_cancels_it() -> None:
    paid = stored_after(plan(LATE), payout_state="paid", paid_at=local(2026, 3, 5, 9, 0), top_up_ref="TU-1")
    exempted = plan(LATE, paid, Inputs(exemptions=(exemption(),)))
    [clawback] = exempted.clawbacks
    assert clawback.claim_id == claim_id_of(TID, "CT-sameday", "repair") and clawback.exemption_code == (
        "customer-caused")
    row = exempted.rows[0]
    assert (row["status"], row["payout_state"], row["amount"], row["top_up_ref"]) == ("exempt", "paid", 1000, "TU-1")
    assert kinds(exempted) == ["CompensationExemptionRecorded", "CompensationVoided"]
    assert "clawed back" in exempted.events[1][1].reason and exempted.unbatch == []

    disputed = exemption(disputed=True)  # CT-3.3.1: no call recording -> void, the customer keeps the money
    undone = plan(LATE, stored_after(exempted), Inputs(exemptions=(disputed,)),
                  {uuid.UUID(disputed.exemption_id): RECORDED})
    assert [c for c, _ in undone.cancel_clawbacks] == [clawback.claim_id] and undone.clawbacks == []
    assert kinds(undone) == ["CompensationExemptionVoided", "CompensationDue"]
    assert undone.events[0][1].clause == "CT-3.3.1" and "no call recording" in undone.events[0][1].reason
    assert (undone.rows[0]["status"], undone.rows[0]["payout_state"]) == ("due", "paid")
    assert [(a["state"]) for a in undone.announced] == [VOIDED]


def test_a_disputed_exemption_with_a_recording_stands() -> None:
    backed = exemption(code="force-majeure", disputed=True, recording="REC-7")
    p = plan(LATE, inputs=Inputs(exemptions=(backed,)))
    assert p.rows[0]["status"] == "exempt" and kinds(p) == ["CompensationExemptionRecorded"]


def test_a_rural_ticket_not_opted_in_is_announced_exempt_once_and_voided_when_its_district_opts_in() -> None:
    rural = ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 3, 10, 0), area_type="rural", district="suohe")
    first = plan(rural)
    assert first.rows[0]["status"] == "exempt" and kinds(first) == ["CompensationExemptionRecorded"]
    auto = first.events[0][1]
    assert (auto.exemption_id, auto.code, auto.automatic) == (automatic_exemption_id(TID, "rural"), "rural", True)
    announced = {auto.exemption_id: RECORDED}
    assert plan(rural, stored_after(first), announced=announced).events == []
    opted = plan(rural, stored_after(first), Inputs(district_opted_in=True), announced)
    assert kinds(opted) == ["CompensationExemptionVoided", "CompensationDue"]
    assert opted.events[0][1].clause == "CT-2.5"


def test_a_promise_the_ticket_no_longer_carries_is_void() -> None:
    first = plan(LATE)
    declined = LATE + [Fact("TicketReclassified", local(2026, 3, 3, 11, 0), local(2026, 3, 3, 11, 0),
                                          {"reason": "客户改约", "after": {"same_day": "declined"}})]
    after = plan(declined, stored_after(first))
    assert after.rows[0]["status"] == "void" and kinds(after) == ["CompensationVoided"]


def test_the_consumer_hands_compensation_a_batch_of_every_ticket_event_type_in_one_call() -> None:
    class Env:
        def __init__(self, type_: str) -> None:
            self.type = type_

    types = ["TicketCreated", "TicketDispatched", "Resolved", "TicketCreated", "Resolved"]
    items = [(None, Env(t)) for t in types]
    assert [len(run) for run in _runs(items, EVENT_HANDLERS)] == [5]  # type: ignore[arg-type]

    async def one(uow: object, event: object) -> None: ...

    per_type = {t: one for t in types}  # a plain handler: one call per event, as before
    assert [len(run) for run in _runs(items, per_type)] == [1, 1, 1, 1, 1]  # type: ignore[arg-type]
