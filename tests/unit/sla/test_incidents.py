"""Outage notice checks (RULEBOOK §7): TT-8.6 elapsed, GX-5.4.4 and NJ-4.3.2c ahead-of, from one event."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.sla_monitor.domain.calendar import policy_calendars
from services.sla_monitor.domain.incidents import NoticeCheck, declared_attrs, notice_checks
from services.sla_monitor.domain.ticket import TicketContext
from shared.events.lifecycle import OutageDeclared, OutageRestored
from shared.events.vocabulary import Role
from shared.policy.loader import SHIPPED_PACKS, load_pack
from tests.unit.sla.helpers import sh

TT, NJ, CS, GX, CT = SHIPPED_PACKS
SECOND = timedelta(seconds=1)


def declared(starts_at: datetime, notice_at: datetime, planned: bool) -> dict:
    event = OutageDeclared(incident_id=uuid.uuid4(), actor="noc", role=Role.dispatcher, area="江汉区",
                           cause="检修", planned=planned, notice_at=notice_at, starts_at=starts_at)
    return event.model_dump(mode="json")


def checks(pack: str, event: str, payload: dict) -> dict[str, NoticeCheck]:
    policy = load_pack(pack)
    ctx = TicketContext(attrs=declared_attrs(payload) if event == "OutageDeclared" else {"kind": "outage"})
    attrs = ctx.ticket_attrs()
    assert attrs is not None
    found = notice_checks(event, payload, attrs, policy.timers, policy_calendars(policy))
    return {c.rule.rule_id: c for c in found}


def test_gx_planned_outage_needs_7_working_days_across_national_day() -> None:  # GX-5.4.4, §9.1
    start = sh(2025, 10, 13, 9)
    on_time = checks(GX, "OutageDeclared", declared(start, sh(2025, 9, 28), planned=True))
    assert set(on_time) == {"GX-planned-outage-7wd"} and on_time["GX-planned-outage-7wd"].met
    late = checks(GX, "OutageDeclared", declared(start, sh(2025, 9, 28) + SECOND, planned=True))
    check = late["GX-planned-outage-7wd"]
    assert not check.met and check.deadline == sh(2025, 9, 28) and check.actual == sh(2025, 9, 28) + SECOND


def test_gx_temporary_outage_24h_ahead_and_a_fault_outage_has_no_notice_rule() -> None:  # GX-5.4.4
    start = sh(2025, 6, 9, 9)
    temp = checks(GX, "OutageDeclared", declared(start, start - timedelta(hours=24), planned=False))
    assert temp["GX-temp-outage-24h"].met and temp["GX-temp-outage-24h"].calendar == "natural"
    short = checks(GX, "OutageDeclared", declared(start, start - timedelta(hours=23), planned=False))
    assert not short["GX-temp-outage-24h"].met
    assert checks(GX, "OutageDeclared", declared(start, start + timedelta(minutes=5), planned=False)) == {}


def test_nj_notice_one_working_day_before_planned_work() -> None:  # NJ-4.3.2c: effective Wed → by Tue 24:00
    start = sh(2025, 6, 11, 10)
    on_time = checks(NJ, "OutageDeclared", declared(start, sh(2025, 6, 10, 18), planned=True))
    late = checks(NJ, "OutageDeclared", declared(start, sh(2025, 6, 11, 8), planned=True))
    assert on_time["NJ-notice-1wd"].met and not late["NJ-notice-1wd"].met


def test_tt_outage_and_restore_notices_within_30_minutes() -> None:  # TT-8.6, inclusive boundary §9.1
    start = sh(2025, 6, 9, 10)
    late = checks(TT, "OutageDeclared", declared(start, start + timedelta(minutes=31), planned=False))
    assert list(late) == ["TT-outage-notice-30m"]
    assert not late["TT-outage-notice-30m"].met and late["TT-outage-notice-30m"].round == 1
    planned = checks(TT, "OutageDeclared", declared(start, start - timedelta(days=2), planned=True))
    assert planned["TT-outage-notice-30m"].met  # told before it started
    restored = OutageRestored(incident_id=uuid.uuid4(), actor="noc", role=Role.dispatcher, restored_at=start,
                              notice_at=start + timedelta(minutes=30)).model_dump(mode="json")
    check = checks(TT, "OutageRestored", restored)["TT-outage-notice-30m"]
    assert check.met and check.round == 2 and check.deadline == start + timedelta(minutes=30)
