"""CT 慢必赔 (RULEBOOK §6): the issue-11 cases on the shipped pack, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.compensation.domain.claims import DUE, EXEMPT, MET, OPEN, Exemption, exemption_problem
from services.compensation.domain.ct import Cutoff
from services.compensation.domain.decide import Inputs, decide
from services.compensation.domain.facts import Fact, fold
from shared.policy import load_pack
from shared.policy.compensation_loader import ct_cutoff

SH = ZoneInfo("Asia/Shanghai")
POLICY = load_pack("telecom-lyg-sameday")
SCHEME = POLICY.compensation.schemes["CT-sameday"]
CUTOFFS = {rid: Cutoff.parse(*ct_cutoff(POLICY.timers, rid)[:2]) for rid in ("CT-sameday-install", "CT-sameday-repair")}
HOUR = timedelta(hours=1)
NO_INPUTS = Inputs()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)  # type: ignore[misc]


def ticket(entered: datetime, kind: str = "fault", done: datetime | None = None, recorded: datetime | None = None,
           extra: list[Fact] | None = None, **created: object) -> list[Fact]:
    payload = {"number": "2026-00001", "kind": kind, "product": "ftth-broadband", "segment": "public",
               "area_type": "city-centre", "district": "haizhou",
               "customer": {"name": "李四", "phone": "13912345678", "account": "FTTH-1"}, **created}
    if kind == "install":
        payload.setdefault("same_day", "requested")
    facts = [Fact("TicketCreated", entered, entered, payload)]
    if done is not None:
        facts.append(Fact("Resolved", done, recorded or done, {"round": 1, "department": "d"}))
    return facts + (extra or [])


def claims_of(facts: list[Fact], now: datetime | None = None, inputs: Inputs = NO_INPUTS):
    state = fold("t-1", facts)
    return decide(POLICY.compensation, CUTOFFS, state, inputs, now or local(2026, 12, 31), timedelta(hours=1))


def only(facts: list[Fact], **kw: object):
    found = claims_of(facts, **kw)  # type: ignore[arg-type]
    assert len(found) == 1, found
    return found[0]


def test_repair_reported_at_15_59_59_is_due_at_midnight_and_16_00_00_takes_the_24h_branch() -> None:
    before = only(ticket(local(2026, 3, 2, 15, 59, 59), done=local(2026, 3, 2, 23, 0)))
    assert before.deadline == local(2026, 3, 3, 0, 0) and before.status == MET
    after = only(ticket(local(2026, 3, 2, 16, 0, 0), done=local(2026, 3, 3, 23, 0)))
    assert after.deadline == local(2026, 3, 3, 16, 0) and after.status == DUE and after.amount == 1000


def test_exactly_24h_late_is_one_day_and_one_second_more_is_two() -> None:
    entered = local(2026, 3, 2, 10, 0)  # due 24:00 that day
    exactly = only(ticket(entered, done=local(2026, 3, 4, 0, 0)))
    assert (exactly.days_late, exactly.amount) == (1, 1000)
    more = only(ticket(entered, done=local(2026, 3, 4, 0, 0, 1)))
    assert (more.days_late, more.amount) == (2, 2000)
    on_time = only(ticket(entered, done=local(2026, 3, 3, 0, 0)))  # inclusive deadline (§9.1)
    assert on_time.status == MET and on_time.amount == 0


def test_repair_is_capped_at_100_yuan() -> None:
    late = only(ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 13, 0, 0, 1)))
    assert late.days_late == 11 and late.amount == 10000
    assert "capped" in late.arithmetic


def test_same_day_install_missed_is_20_yuan_once_and_after_16_00_is_no_ct_promise() -> None:
    missed = only(ticket(local(2026, 3, 2, 9, 0), "install", done=local(2026, 3, 6, 12, 0)))
    assert (missed.promise, missed.amount, missed.status) == ("install", 2000, DUE)
    assert claims_of(ticket(local(2026, 3, 2, 16, 0), "install", done=local(2026, 3, 6, 12, 0))) == []
    assert claims_of(ticket(local(2026, 3, 2, 9, 0), "install", same_day=None)) == []


@pytest.mark.parametrize("change", [{"segment": "government-enterprise"}, {"segment": "campus"},
                                    {"product": "landline"}, {"area_type": None}])
def test_ineligible_tickets_have_no_promise(change: dict) -> None:
    assert claims_of(ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 5, 0, 0), **change)) == []


def test_declined_same_day_repair_has_no_promise() -> None:
    assert claims_of(ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 5, 0, 0), same_day="declined")) == []


def test_rural_is_exempt_unless_the_district_opted_in() -> None:
    facts = ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 5, 0, 0), area_type="rural")
    rural = only(facts)
    assert rural.status == EXEMPT and rural.exemption["code"] == "rural" and rural.amount == 2000
    opted = only(facts, inputs=Inputs(district_opted_in=True))
    assert opted.status == DUE and opted.amount == 2000


def test_county_town_is_always_covered() -> None:
    assert only(ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 5, 0, 0), area_type="county-town")).status == DUE


def exemption(code: str, **kw: object) -> Exemption:
    return Exemption(exemption_id="e-1", code=code, note="台风 '梅花' 红色预警", **kw)  # type: ignore[arg-type]


def test_force_majeure_exempts_and_a_safety_delay_does_not() -> None:
    facts = ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 5, 0, 0))
    typhoon = only(facts, inputs=Inputs(exemptions=(exemption("force-majeure", cause="typhoon"),)))
    assert typhoon.status == EXEMPT
    safety = only(facts, inputs=Inputs(exemptions=(exemption("safety"),)))
    assert safety.status == DUE and safety.amount == 2000
    assert exemption_problem(SCHEME.exemptions, "safety", None)[0] == "CT-4.8"
    assert exemption_problem(SCHEME.exemptions, "force-majeure", "drought") is not None
    assert exemption_problem(SCHEME.exemptions, "force-majeure", "hail") is None


def test_disputed_exemption_without_a_recording_is_void_and_with_one_stands() -> None:
    facts = ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 5, 0, 0))
    disputed = exemption("customer-caused", disputed=True)
    void = only(facts, inputs=Inputs(exemptions=(disputed,)))
    assert void.status == DUE and any("void" in n for n in void.notes)
    recorded = facts + [Fact("CallRecordingAttached", local(2026, 3, 5, 1, 0), local(2026, 3, 5, 1, 0),
                             {"recording_ref": "rec-778"})]
    stands = only(recorded, inputs=Inputs(exemptions=(disputed,)))
    assert stands.status == EXEMPT and "rec-778" in stands.exemption["standing"]


def test_backdated_completion_counts_when_it_reached_the_system_unless_confirmed() -> None:
    entered = local(2026, 3, 2, 10, 0)
    facts = ticket(entered, done=local(2026, 3, 2, 23, 0), recorded=local(2026, 3, 3, 0, 30))  # 1 h 30 backdated
    late = only(facts)
    assert late.status == DUE and late.completion == local(2026, 3, 3, 0, 30) and "§9.13" in late.completion_basis
    confirmed = only(facts, inputs=Inputs(completion_confirmed=True))
    assert confirmed.status == MET
    within_hour = only(ticket(entered, done=local(2026, 3, 2, 23, 30), recorded=local(2026, 3, 3, 0, 30)))
    assert within_hour.status == MET  # exactly 1 h backdated is not flagged


def test_open_ticket_accrues_and_is_not_payable_until_it_completes() -> None:
    facts = ticket(local(2026, 3, 2, 10, 0))
    open_ = only(facts, now=local(2026, 3, 4, 12, 0))
    assert (open_.status, open_.days_late, open_.amount) == (OPEN, 2, 2000)
    assert only(facts, now=local(2026, 3, 2, 12, 0)).amount == 0


def test_completed_at_is_the_completion_recorded() -> None:
    facts = ticket(local(2026, 3, 2, 10, 0))
    facts.append(Fact("Resolved", local(2026, 3, 3, 0, 20), local(2026, 3, 3, 0, 20),
                      {"round": 1, "department": "d", "completed_at": local(2026, 3, 2, 23, 50).astimezone(UTC)
                       .isoformat()}))
    assert only(facts).status == MET


def test_evidence_names_scheme_clause_facts_and_arithmetic() -> None:
    claim = only(ticket(local(2026, 3, 2, 10, 0), done=local(2026, 3, 4, 1, 0)))
    evidence = claim.evidence()
    assert evidence["clause"] == "CT-3.1-repair" and evidence["scheme"] == "CT-sameday"
    assert evidence["eligibility"]["district"] == "haizhou" and evidence["eligibility"]["segment"] == "public"
    assert evidence["arithmetic"].startswith("1 d 1 h late = 2 started day(s) × 1,000 fen")
