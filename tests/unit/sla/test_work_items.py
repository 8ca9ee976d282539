"""SLA context of work items that are not tickets (issue 8): attributes from the first event pick the pack rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.sla_monitor.domain.rules import select_rules
from services.sla_monitor.domain.ticket import TicketContext, fold
from shared.policy.loader import load_pack

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def reported(layer: str, kind: str, severity: str = "general", staffed_room: bool = False,
             department: str | None = "network-ops") -> TicketContext:
    payload = {"fault_id": "0" * 32, "number": "2026-NF-000001", "actor": "nms", "role": "system", "kind": kind,
               "layer": layer, "severity": severity, "staffed_room": staffed_room, "description": "x",
               "department": department}
    return fold(TicketContext(), "NetworkFaultReported", payload, T0)


def rules(pack: str, ctx: TicketContext, start: str) -> set[str]:
    attrs = ctx.ticket_attrs()
    assert attrs is not None
    return {r.rule_id for r in select_rules(load_pack(pack).timers, attrs, start_event=start, start=T0)}


@pytest.mark.parametrize(("layer", "kind", "severity", "expected"), [
    ("backbone", "network-fault", "general", {"CS-backbone-onsite-40m", "CS-backbone-fix-2h"}),
    ("aggregation", "network-fault", "major", {"CS-aggregation-onsite-1h", "CS-aggregation-fix-2h"}),
    ("access", "network-fault", "general", {"CS-access-response-30m", "CS-access-fix-24h"}),
    ("boss", "system-fault", "general", {"CS-boss-general-1h"}),
    ("lan", "system-fault", "major", {"CS-boss-major-3h"}),
    ("call-system", "system-fault", "general", {"CS-callsys-general-30m"}),
    ("call-system", "system-fault", "major", {"CS-callsys-major-2h"}),
    ("core", "network-fault", "major", set()),
])
def test_a_reported_fault_starts_its_cs_rules(layer: str, kind: str, severity: str, expected: set[str]):
    ctx = reported(layer, kind, severity)
    assert ctx.department == "network-ops" and ctx.attrs["product"] == layer
    assert rules("catv-service-norms", ctx, "NetworkFaultReported") == expected


@pytest.mark.parametrize(("layer", "kind"), [("headend", "system-fault"), ("aggregation", "network-fault")])
def test_staffed_room_faults_start_the_nj_notice_timer(layer: str, kind: str):
    assert rules("nanjing-catv", reported(layer, kind, staffed_room=True), "NetworkFaultReported") == {
        "NJ-fault-notify-10m"}
    assert rules("nanjing-catv", reported(layer, kind), "NetworkFaultReported") == set()


def test_mail_and_forum_posts():
    mail = fold(TicketContext(), "MailReceived", {"department": "jianghan-maint", "subject": "s"}, T0)
    assert mail.department == "jianghan-maint" and mail.marks == {"MailReceived": T0}
    assert rules("tietong-jianghan", mail, "MailReceived") == {"TT-email-72h"}
    post = fold(TicketContext(), "ForumPostPublished", {"department": "customer-service"}, T0)
    assert rules("catv-service-norms", post, "ForumPostPublished") == {"CS-forum-4h"}


def test_later_events_keep_what_the_first_taught():
    ctx = reported("boss", "system-fault", "major")
    ctx = fold(ctx, "NetworkFaultOnSite", {"technician": "li"}, T0)
    assert ctx.attrs["priority"] == "major" and ctx.department == "network-ops"
