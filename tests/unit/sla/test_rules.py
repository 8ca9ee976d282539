"""Rule matching and most-specific selection per family (RULEBOOK §9.11)."""

from __future__ import annotations

from datetime import time

from services.sla_monitor.domain.rules import (
    TicketAttrs,
    matches,
    select_rules,
    specificity,
)
from shared.policy.loader import load_pack
from shared.policy.schema import Condition
from tests.unit.sla.helpers import sh


def ids(pack: str, ticket: TicketAttrs, event: str | None = None, **kw) -> set[str]:
    return {r.rule_id for r in select_rules(load_pack(pack).timers, ticket, start_event=event, **kw)}


def test_list_fields_match_any_listed_value():
    cond = Condition(kind=("fault", "complaint"), segment=("vip",))
    assert matches(cond, TicketAttrs("fault", segment="vip"))
    assert not matches(cond, TicketAttrs("fault"))
    assert not matches(cond, TicketAttrs("inquiry", segment="vip"))


def test_flags_all_required_and_none_of_excludes():
    cond = Condition(flags=("a", "b"), none_of=(Condition(area=("rural",)),))
    assert matches(cond, TicketAttrs("x", flags=frozenset({"a", "b", "c"})))
    assert not matches(cond, TicketAttrs("x", flags=frozenset({"a"})))
    assert not matches(cond, TicketAttrs("x", area="rural", flags=frozenset({"a", "b"})))


def test_start_before_is_strict():  # RULEBOOK §9.1
    cond = Condition(start_before="16:00")
    assert matches(cond, TicketAttrs("x"), time(15, 59, 59))
    assert not matches(cond, TicketAttrs("x"), time(16, 0, 0))
    assert not matches(cond, TicketAttrs("x"), None)
    assert matches(Condition(start_from="16:00"), TicketAttrs("x"), time(16, 0))


def test_specificity_counts_constraints():
    assert specificity(Condition()) == 0
    assert specificity(Condition(kind=("fault",), segment=("vip",))) == 2
    assert (
        specificity(
            Condition(kind=("fault",), any_of=(Condition(segment=("a",)), Condition(flags=("x", "y"))))
        )
        == 3
    )


def test_tt_contact_scope():  # TT-9.2, RULEBOOK §9.4
    assert "TT-contact-30m" in ids("tietong-jianghan", TicketAttrs("inquiry"), "TicketDispatched")
    assert "TT-contact-30m" not in ids("tietong-jianghan", TicketAttrs("suggestion"), "TicketDispatched")


def test_tt_vip_notify_for_vip_or_mass_fault_only():  # TT-8.7
    pack = "tietong-jianghan"
    assert "TT-vip-notify-20m" in ids(pack, TicketAttrs("fault", linked_incident=True), "TicketCreated")
    assert "TT-vip-notify-20m" in ids(pack, TicketAttrs("fault", segment="vip"), "TicketCreated")
    assert "TT-vip-notify-20m" not in ids(pack, TicketAttrs("fault"), "TicketCreated")


def test_vip_rule_replaces_general_in_family():  # RULEBOOK §9.11
    assert ids("catv-service-norms", TicketAttrs("fault"), "TicketDispatched") == {
        "CS-response-30m",
        "CS-complete-24h",
    }
    vip = ids("catv-service-norms", TicketAttrs("fault", segment="vip"), "TicketDispatched")
    assert vip == {"CS-vip-fault-20m", "CS-vip-fault-6h"}
    major = ids(
        "catv-service-norms", TicketAttrs("system-fault", product="boss", priority="major"), "NetworkFaultReported"
    )
    assert major == {"CS-boss-major-3h"}


def test_gx_reply_not_for_repair_tickets():  # RULEBOOK §9.9
    assert "GX-reply-3wd" in ids("gx-power-966022", TicketAttrs("business"), "TicketDispatched")
    assert "GX-reply-3wd" not in ids("gx-power-966022", TicketAttrs("fault"), "TicketDispatched")


def test_gx_callback_priority_customers_strict():  # GX-5.3.5, RULEBOOK §9.8
    pack = "gx-power-966022"
    assert ids(pack, TicketAttrs("fault", segment="dedicated-transformer"), "Resolved") == {"GX-callback-1wd"}
    assert ids(pack, TicketAttrs("fault", linked_incident=True), "Resolved") == {"GX-callback-1wd"}
    assert ids(pack, TicketAttrs("fault"), "Resolved") == {"GX-callback-3wd"}


def test_ct_install_branches_on_16h_in_local_time():  # CT-2.4.1
    ticket = TicketAttrs("install", product="ftth-broadband", flags=frozenset({"same-day-requested"}))
    pack = "telecom-lyg-sameday"
    assert ids(pack, ticket, "TicketCreated", start=sh(2025, 6, 9, 15, 59, 59)) == {"CT-sameday-install"}
    assert ids(pack, ticket, "TicketCreated", start=sh(2025, 6, 9, 16)) == {"CT-appointment-install"}
    assert ids(
        pack, TicketAttrs("install", product="ftth-broadband"), "TicketCreated", start=sh(2025, 6, 9, 9)
    ) == {"CT-appointment-install"}


def test_ct_not_for_government_enterprise_or_campus():  # CT-2.2
    pack = "telecom-lyg-sameday"
    assert (
        ids(pack, TicketAttrs("fault", product="ftth-broadband", segment="campus"), "TicketCreated") == set()
    )
    assert ids(pack, TicketAttrs("fault", product="ftth-broadband"), "TicketCreated") == {"CT-sameday-repair"}


def test_start_event_filter():
    assert ids("tietong-jianghan", TicketAttrs("fault"), "Resolved") == {"TT-callback-1h"}
    assert "TT-callback-1h" in ids("tietong-jianghan", TicketAttrs("fault"))
