"""Every timer row of RULEBOOK §4, per shipped pack, selected and computed by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.sla_monitor.domain.calendar import policy_calendars
from services.sla_monitor.domain.deadlines import compute_deadline, notice_deadline
from services.sla_monitor.domain.rules import TicketAttrs, select_rules
from shared.policy.loader import SHIPPED_PACKS, load_pack
from shared.policy.schema import AheadOfDeadline
from tests.unit.sla.helpers import sh

T = TicketAttrs
MON = (2025, 6, 9)  # an ordinary Monday
APPT = sh(2025, 6, 11, 12)
TT, NJ, CS, GX, CT = SHIPPED_PACKS
DISP, NEW, DONE, FAULT = "TicketDispatched", "TicketCreated", "Resolved", "NetworkFaultReported"
VIP = {"segment": "vip"}
SAME_DAY = {"product": "ftth-broadband", "flags": frozenset({"same-day-requested"})}
DECLINED = frozenset({"same-day-declined"})


def mon(h: int, mi: int = 0, s: int = 0) -> datetime:
    """Monday 9 Jun 2025, local time."""
    return sh(*MON, h, mi, s)


def tue(h: int = 0, mi: int = 0) -> datetime:
    """Tuesday 10 Jun 2025, local time (tue() is Monday 24:00)."""
    return sh(2025, 6, 10, h, mi)


# (pack, rule id, ticket, start event, start (or planned time for ahead-of), expected deadline)
ROWS: list[tuple[str, str, TicketAttrs, str, datetime, datetime]] = [
    (TT, "TT-contact-30m", T("inquiry"), DISP, mon(10), mon(10, 30)),  # TT-9.2
    (TT, "TT-vip-notify-20m", T("fault", **VIP), NEW, mon(10), mon(10, 20)),  # TT-8.7
    (TT, "TT-outage-notice-30m", T("outage"), "OutageRestored", mon(10), mon(10, 30)),  # TT-8.6
    (TT, "TT-repair-22h", T("fault"), DISP, mon(10), tue(8)),  # TT-6
    (TT, "TT-callback-1h", T("complaint"), DONE, mon(11, 30), mon(15)),  # TT-8.14 across lunch
    (TT, "TT-email-72h", T("mail"), "MailReceived", mon(10), sh(2025, 6, 12, 10)),  # TT-8.2
    (TT, "TT-reply-24h", T("suggestion"), DISP, mon(10), tue(10)),  # TT-8.1, §9.5
    (TT, "TT-escalation-24h", T("escalation"), "EscalationComplaintReceived", mon(10), tue(10)),  # §9.7
    (NJ, "NJ-capa-3d", T("complaint"), DISP, sh(2025, 6, 6, 10), mon(10)),  # NJ-4.2.2 over a weekend
    (NJ, "NJ-fault-notify-10m", T("system-fault", flags=frozenset({"staffed-room"})), FAULT,
     mon(10), mon(10, 10)),  # NJ-4.3.2e
    (NJ, "NJ-notice-1wd", T("outage", flags=frozenset({"planned"})), "OutageDeclared", sh(2025, 6, 11, 10),
     sh(2025, 6, 11)),  # NJ-4.3.2c: effective Wed → notice by Tue 24:00
    (NJ, "NJ-limit-24h", T("business"), DISP, mon(10), tue(10)),  # NJ-4.3.2b, §9.10
    (NJ, "NJ-vip-fault-6h", T("fault", **VIP), DISP, mon(10), mon(16)),
    (NJ, "NJ-vip-business-12h", T("install", **VIP), DISP, mon(10), mon(22)),
    (CS, "CS-response-30m", T("fault"), DISP, mon(10), mon(10, 30)),  # CS-18
    (CS, "CS-complete-24h", T("business"), DISP, mon(10), tue(10)),
    (CS, "CS-vip-fault-20m", T("fault", **VIP), DISP, mon(10), mon(10, 20)),  # CS-19
    (CS, "CS-vip-fault-6h", T("fault", **VIP), DISP, mon(10), mon(16)),
    (CS, "CS-vip-business-1h", T("business", **VIP), DISP, mon(10), mon(11)),
    (CS, "CS-vip-business-12h", T("business", **VIP), DISP, mon(10), mon(22)),
    (CS, "CS-backbone-onsite-40m", T("network-fault", product="backbone"), FAULT, mon(10), mon(10, 40)),
    (CS, "CS-backbone-fix-2h", T("network-fault", product="backbone"), FAULT, mon(10), mon(12)),  # CS-25
    (CS, "CS-aggregation-onsite-1h", T("network-fault", product="aggregation"), FAULT, mon(10), mon(11)),
    (CS, "CS-aggregation-fix-2h", T("network-fault", product="aggregation"), FAULT, mon(10), mon(12)),
    (CS, "CS-access-response-30m", T("network-fault", product="access"), FAULT, mon(10), mon(10, 30)),
    (CS, "CS-access-fix-24h", T("network-fault", product="access"), FAULT, mon(10), tue(10)),
    (CS, "CS-boss-general-1h", T("system-fault", product="lan"), FAULT, mon(10), mon(11)),  # CS-32
    (CS, "CS-boss-major-3h", T("system-fault", product="boss", priority="major"), FAULT, mon(10), mon(13)),
    (CS, "CS-callsys-general-30m", T("system-fault", product="call-system"), FAULT, mon(10), mon(10, 30)),
    (CS, "CS-callsys-major-2h", T("system-fault", product="call-system", priority="major"), FAULT,
     mon(10), mon(12)),  # CS-33
    (CS, "CS-forum-4h", T("forum-post"), "ForumPostPublished", mon(10), mon(14)),  # CS-8
    (GX, "GX-reply-3wd", T("inquiry"), DISP, sh(2025, 9, 25, 10), sh(2025, 9, 30)),  # via 调休 Sun 28 Sep
    (GX, "GX-repair-feedback-1wd", T("fault"), "WorkCompleted", sh(2025, 6, 6, 15), tue(0)),  # Fri → Mon
    (GX, "GX-callback-1wd", T("fault", segment="high-rise"), DONE, sh(2025, 9, 30, 10), sh(2025, 10, 10)),
    (GX, "GX-callback-3wd", T("fault", segment="public"), DONE, sh(2025, 9, 30, 10), sh(2025, 10, 12)),
    (GX, "GX-planned-outage-7wd", T("outage", flags=frozenset({"planned"})), "OutageDeclared",
     sh(2025, 10, 13, 9), sh(2025, 9, 28)),  # GX-5.4.4 across National Day
    (GX, "GX-temp-outage-24h", T("outage", flags=frozenset({"temporary"})), "OutageDeclared",
     mon(9), sh(2025, 6, 8, 9)),
    (CT, "CT-sameday-install", T("install", **SAME_DAY), NEW, mon(15, 59, 59), tue(0)),  # CT-2.4.1
    (CT, "CT-appointment-install", T("install", **SAME_DAY), NEW, mon(16), APPT),  # 16:00:00 is not before
    (CT, "CT-sameday-repair", T("fault", product="itv-hd"), NEW, mon(15, 59, 59), tue(0)),  # CT-2.4.2
    (CT, "CT-declined-repair-48h", T("fault", flags=DECLINED), NEW, mon(10), sh(2025, 6, 11, 10)),  # §9.12
    (CT, "CT-declined-repair-72h", T("fault", area="rural", flags=DECLINED), NEW, mon(10),
     sh(2025, 6, 12, 10)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pack", "rule_id", "ticket", "event", "start", "expected"), ROWS, ids=[r[1] for r in ROWS]
)
def test_pack_row(pack, rule_id, ticket, event, start, expected):
    policy = load_pack(pack)
    cals = policy_calendars(policy)
    chosen = {
        r.rule_id: r
        for r in select_rules(policy.timers, ticket, start_event=event, start=start, calendars=cals)
    }
    assert rule_id in chosen, sorted(chosen)
    rule = chosen[rule_id]
    if isinstance(rule.deadline, AheadOfDeadline):
        assert notice_deadline(rule.deadline, start, cals).latest == expected
    else:
        assert compute_deadline(rule.deadline, start, cals, appointment_end=APPT).deadline == expected


def test_ct_sameday_repair_after_16h_gets_24_natural_hours():  # CT-2.4.2
    policy = load_pack("telecom-lyg-sameday")
    rule = policy.timer("CT-sameday-repair")
    result = compute_deadline(rule.deadline, sh(*MON, 16), policy_calendars(policy))
    assert result.deadline == sh(2025, 6, 10, 16)
    assert result.branch == "after"


def test_every_shipped_rule_has_a_row():
    covered = {r[1] for r in ROWS}
    shipped = {rule.rule_id for pack in SHIPPED_PACKS for rule in load_pack(pack).timers}
    assert shipped == covered


@pytest.mark.parametrize("pack", SHIPPED_PACKS)
def test_pack_rules_cite_their_source(pack):
    prefix = {"tietong-jianghan": "TT", "nanjing-catv": "NJ", "catv-service-norms": "CS"}.get(pack)
    prefix = prefix or {"gx-power-966022": "GX", "telecom-lyg-sameday": "CT"}[pack]
    policy = load_pack(pack)
    assert policy.timers
    for rule in policy.timers:
        assert rule.rule_id.startswith(prefix + "-")
        assert rule.source.startswith(prefix + "-")
        assert 0 < rule.warning < 1


def test_tt_repair_is_paused_by_customer_but_contact_is_not():  # TT-9.12 decision
    policy = load_pack("tietong-jianghan")
    assert "customer-not-home" in policy.timer("TT-repair-22h").pause.reasons
    assert policy.timer("TT-contact-30m").pause.reasons == ()


def test_nj_capa_counts_non_working_days():  # NJ-4.2.2 "含非工作日"
    rule = load_pack("nanjing-catv").timer("NJ-capa-3d")
    assert rule.deadline.duration == timedelta(days=3)
