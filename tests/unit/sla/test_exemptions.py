"""RULEBOOK §9.12 on timers: a standing breach of an exempt ticket is annotated `exempt`; nothing else is."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.sla_monitor.domain.exemptions import Exemption, exempt_annotation
from services.sla_monitor.domain.timers import Timer

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FAMILIES = {"CT-sameday-repair": "ct-repair", "CT-declined-repair-48h": "ct-repair", "TT-repair-22h": "tt-repair"}
BREACHED = Timer(ticket_id=uuid.uuid4(), family="ct-repair", rule_id="CT-sameday-repair", round=1,
                 start_event="TicketCreated", start_at=T0, deadline=T0 + timedelta(hours=14),
                 warning_at=T0 + timedelta(hours=12), calendar="natural", status="late",
                 breached_at=T0 + timedelta(hours=14, minutes=2), stopped_at=T0 + timedelta(hours=30))
RURAL = Exemption(exemption_id="e-1", code="rural", cause=None, promise=None,
                  rule_ids=("CT-sameday-install", "CT-sameday-repair"), note="索河镇未开通", automatic=True,
                  clause="CT-3.2", recorded_at=T0)


def test_a_standing_breach_of_the_promise_family_is_late_exempt_with_its_reason_code() -> None:
    shown = exempt_annotation(BREACHED, [RURAL], FAMILIES.get)
    assert shown is not None and (shown["code"], shown["automatic"], shown["clause"]) == ("rural", True, "CT-3.2")
    assert shown["outcome"] == "late, exempt (RULEBOOK §9.12)"
    still_open = replace(BREACHED, status="open", stopped_at=None)  # breached and still running: exempt too
    assert exempt_annotation(still_open, [RURAL], FAMILIES.get) is not None
    same_family = replace(BREACHED, rule_id="CT-declined-repair-48h")  # the family's rule after reclassification
    assert exempt_annotation(same_family, [RURAL], FAMILIES.get) is not None


def test_no_annotation_without_a_standing_breach_or_a_standing_exemption_of_its_family() -> None:
    assert exempt_annotation(replace(BREACHED, status="met", breached_at=None), [RURAL], FAMILIES.get) is None
    assert exempt_annotation(replace(BREACHED, retracted_at=BREACHED.breached_at), [RURAL], FAMILIES.get) is None
    voided = replace(RURAL, voided_at=T0 + timedelta(days=1))  # disputed without a recording (CT-3.3.1)
    assert exempt_annotation(BREACHED, [voided], FAMILIES.get) is None
    other = replace(BREACHED, family="tt-repair", rule_id="TT-repair-22h")
    assert exempt_annotation(other, [RURAL], FAMILIES.get) is None


def test_a_rule_the_policy_does_not_know_covers_timers_of_that_rule_id() -> None:
    unknown = replace(RURAL, rule_ids=("OLD-repair",))
    assert exempt_annotation(replace(BREACHED, rule_id="OLD-repair", family="old"), [unknown], FAMILIES.get)
    assert exempt_annotation(BREACHED, [unknown], FAMILIES.get) is None
