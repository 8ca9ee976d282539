"""Work items that are not tickets (issue 8): faults, mail and forum posts, pure decide/fold, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from services.dispatch.domain import messages as msg
from services.dispatch.domain import network_faults as nf
from services.dispatch.domain.work_items import (
    Acting,
    ItemState,
    Series,
    WorkItemRefused,
    evolve,
    fold,
    item_number,
)
from shared.events import new_envelope
from shared.events.lifecycle.work_items import NETWORK_FAULT, SYSTEM_FAULT, FaultLayer, FaultSeverity
from shared.events.vocabulary import Role

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
NMS = Acting("nms-1", Role.system)
TECH = Acting("wang-wei", Role.technician)


def opened(cmd, series: Series = Series.network_fault) -> ItemState:
    item_id = uuid.uuid4()
    if series is Series.network_fault:
        payload = nf.report(cmd, item_id, "2026-NF-000001", NMS)
    elif series is Series.mail:
        payload = msg.receive(cmd, item_id, "2026-ML-000001", TECH)
    else:
        payload = msg.publish(cmd, item_id, "2026-FP-000001", TECH)
    return fold([new_envelope(payload, ticket_id=item_id, sequence=1, occurred_at=T0, recorded_at=T0,
                              producer="test")])


def fault(layer: str = "backbone", **kw) -> ItemState:
    return opened(nf.ReportFault(layer=layer, description="光缆中断", **kw))


def apply(state: ItemState, cmd, now: datetime, by: Acting = TECH) -> ItemState:
    payloads, at = nf.decide(state, cmd, by, now)
    for p in payloads:
        state = evolve(state, type(p).__name__, p, at)
    return state


def test_numbers_use_the_local_year_and_the_series_code():
    new_year_eve = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 00:30 on 1 Jan 2026 in Shanghai
    assert item_number(Series.network_fault, new_year_eve, 1, ZoneInfo("Asia/Shanghai")) == "2026-NF-000001"
    assert item_number(Series.mail, T0, 42, ZoneInfo("UTC")) == "2026-ML-000042"
    assert item_number(Series.forum_post, T0, 1234567, ZoneInfo("UTC")) == "2026-FP-1234567"


@pytest.mark.parametrize(("layer", "kind"), [("backbone", NETWORK_FAULT), ("aggregation", NETWORK_FAULT),
                                             ("access", NETWORK_FAULT), ("boss", SYSTEM_FAULT),
                                             ("lan", SYSTEM_FAULT), ("call-system", SYSTEM_FAULT)])
def test_the_layer_gives_the_kind_rules_match_on(layer: str, kind: str):
    state = fault(layer, severity=FaultSeverity.major, staffed_room=True)
    assert FaultLayer(layer).kind == kind
    assert (state.opened["kind"], state.opened["layer"], state.opened["severity"]) == (kind, layer, "major")
    assert state.opened["staffed_room"] is True and nf.status(state) == "reported"


def test_a_fault_is_worked_response_on_site_fixed_replied():
    state = apply(fault("access"), nf.RespondToFault(technician="wang-wei"), T0 + 5 * MIN)
    assert nf.status(state) == "responded"
    state = apply(state, nf.ArriveAtFault(), T0 + 20 * MIN)
    state = apply(state, nf.FixFault(cause="光纤断", result="熔接"), T0 + 60 * MIN)
    state = apply(state, nf.ReplyOnFault(cause="光纤断", result="熔接恢复"), T0 + 70 * MIN)
    assert nf.status(state) == "replied" and state.version == 5
    assert state.did("NetworkFaultFixed") == T0 + 60 * MIN


def test_each_act_is_recorded_once():
    state = apply(fault(), nf.ArriveAtFault(), T0 + MIN)
    with pytest.raises(WorkItemRefused) as refused:
        nf.decide(state, nf.ArriveAtFault(), TECH, T0 + 2 * MIN)
    assert refused.value.state == "on-site" and "already recorded" in refused.value.reason
    state = apply(state, nf.NotifyCustomerService(notified="cs-lead"), T0 + 3 * MIN)
    with pytest.raises(WorkItemRefused):
        nf.decide(state, nf.NotifyCustomerService(), TECH, T0 + 4 * MIN)


def test_the_reply_needs_the_fix_and_nobody_arrives_at_a_fixed_fault():
    state = fault("aggregation")
    with pytest.raises(WorkItemRefused) as refused:
        nf.decide(state, nf.ReplyOnFault(cause="x", result="y"), TECH, T0 + MIN)
    assert refused.value.state == "reported" and "fixed first" in refused.value.reason
    state = apply(state, nf.FixFault(), T0 + 10 * MIN, by=NMS)  # the alarm cleared
    with pytest.raises(WorkItemRefused, match="already fixed"):
        nf.decide(state, nf.ArriveAtFault(), TECH, T0 + 11 * MIN)
    with pytest.raises(WorkItemRefused, match="response is implied"):
        nf.decide(state, nf.RespondToFault(), TECH, T0 + 11 * MIN)


def test_customer_service_may_be_told_late_and_after_the_fix():
    state = apply(fault("boss", staffed_room=True), nf.FixFault(), T0 + 30 * MIN)
    state = apply(state, nf.NotifyCustomerService(message="BOSS 故障已恢复"), T0 + 40 * MIN)
    assert state.did("CustomerServiceNotified") == T0 + 40 * MIN and nf.status(state) == "fixed"


def test_field_time_may_not_be_in_the_future_or_before_the_previous_event():
    state = apply(fault(), nf.RespondToFault(), T0 + 10 * MIN)
    with pytest.raises(WorkItemRefused, match="in the future"):
        nf.decide(state, nf.ArriveAtFault(occurred_at=T0 + 30 * MIN), TECH, T0 + 20 * MIN)
    with pytest.raises(WorkItemRefused, match="before the item's previous event"):
        nf.decide(state, nf.ArriveAtFault(occurred_at=T0 + 5 * MIN), TECH, T0 + 20 * MIN)
    payloads, at = nf.decide(state, nf.ArriveAtFault(occurred_at=T0 + 15 * MIN), TECH, T0 + 20 * MIN)
    assert at == T0 + 15 * MIN and payloads[0].fault_id == state.item_id


def test_links_add_what_is_new_and_keep_one_incident():
    incident, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    state = apply(fault(), nf.LinkFault(incident_id=incident, ticket_ids=[a]), T0 + MIN)
    assert state.incident_id == incident and state.ticket_ids == {a}
    payloads, _ = nf.decide(state, nf.LinkFault(incident_id=incident, ticket_ids=[a, b]), TECH, T0 + 2 * MIN)
    assert payloads[0].incident_id is None and payloads[0].ticket_ids == (b,)
    with pytest.raises(WorkItemRefused, match="already linked to incident"):
        nf.decide(state, nf.LinkFault(incident_id=uuid.uuid4()), TECH, T0 + 2 * MIN)
    with pytest.raises(WorkItemRefused, match="all of these"):
        nf.decide(state, nf.LinkFault(ticket_ids=[a]), TECH, T0 + 2 * MIN)
    with pytest.raises(ValidationError, match="incident_id, ticket_ids or both"):
        nf.LinkFault()


def test_report_refuses_unknown_layers_and_severities():
    with pytest.raises(ValidationError):
        nf.ReportFault(layer="kitchen", description="x")
    with pytest.raises(ValidationError):
        nf.ReportFault(layer="boss", severity="apocalyptic", description="x")
    with pytest.raises(ValidationError):
        nf.ReportFault(layer="boss", description="x", staffed_room="yes")  # strict bool


def test_the_report_carries_the_failed_device_for_the_repeat_failure_count():  # RULEBOOK §5.3
    item_id = uuid.uuid4()
    payload = nf.report(nf.ReportFault(layer="aggregation", description="x", device_id="  agg-sw-07 "), item_id,
                        "2026-NF-000001", NMS)
    assert payload.device_id == "agg-sw-07"  # stripped like every line of input
    assert nf.report(nf.ReportFault(layer="egress", description="x"), item_id, "2026-NF-000002", NMS).device_id is None
    for bad in ("", "x" * 201, "agg\nsw"):
        with pytest.raises(ValidationError, match="device_id"):
            nf.ReportFault(layer="aggregation", description="x", device_id=bad)


def test_mail_is_replied_once():
    state = opened(msg.ReceiveMail(subject="机房巡检安排", sender="网络部", department="jianghan-maint"), Series.mail)
    assert msg.status(state) == "received" and state.opened["department"] == "jianghan-maint"
    payloads, at = msg.reply(state, msg.ReplyToMail(summary="已安排"), TECH, T0 + 60 * MIN)
    assert type(payloads[0]).__name__ == "MailReplied" and at == T0 + 60 * MIN
    state = evolve(state, "MailReplied", payloads[0], at)
    assert msg.status(state) == "replied"
    with pytest.raises(WorkItemRefused) as refused:
        msg.reply(state, msg.ReplyToMail(summary="again"), TECH, T0 + 61 * MIN)
    assert refused.value.state == "replied"


def test_forum_post_defaults_to_customer_service_and_takes_only_forum_replies():
    state = opened(msg.PublishForumPost(forum="宽带区", title="晚上网速慢", author="netizen-9"), Series.forum_post)
    assert msg.status(state) == "published" and state.opened["department"] == msg.CUSTOMER_SERVICE
    with pytest.raises(TypeError):
        msg.reply(state, msg.ReplyToMail(summary="wrong series"), TECH, T0 + MIN)
    payloads, _ = msg.reply(state, msg.ReplyToForumPost(summary="已回复"), TECH, T0 + MIN)
    assert type(payloads[0]).__name__ == "ForumPostReplied" and payloads[0].post_id == state.item_id
