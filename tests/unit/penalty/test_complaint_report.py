"""NJ table 4 (RULEBOOK §8): which tickets are a month's complaints, the row each falls in and why, and the rows'
counts and cause analysis, with hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.penalty.domain import complaints as dc

TZ = "Asia/Shanghai"
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 Shanghai


def complaint(description: str = "", product: str | None = None, complaint_class: str | None = None,
              faults: tuple[dc.Fault, ...] = (), incidents: tuple[str, ...] = ()) -> dc.Complaint:
    return dc.Complaint("t1", "2026-KF-000001", AT, description, product, complaint_class, "hotline", "D1",
                        incidents, faults)


def row(c: dc.Complaint) -> tuple[str, str | None, str]:
    got = dc.classify(c)
    return got.category, got.subcategory, got.by


@pytest.mark.parametrize(("description", "product", "expected"), [
    ("网速太慢，晚上看视频一直卡", "ftth-broadband", ("broadband", "slow")),  # 网速 before 太慢 (time limits)
    ("宽带经常掉线", "ftth-broadband", ("broadband", "drop")),
    ("访问国际网站很慢", "ftth-broadband", ("broadband", "egress")),
    ("遥控器按键失灵", "digital-tv", ("set-top-box", "remote")),
    ("机顶盒经常死机", "digital-tv", ("set-top-box", "fault")),
    ("机顶盒在保修期内要求更换", "digital-tv", ("set-top-box", "after-sales")),
    ("机顶盒摆放位置要求调整", "digital-tv", ("set-top-box", "other")),
    ("CA卡授权失败，收不到付费频道", "digital-tv", ("operations-support", "ca")),  # CA before 频道 (content)
    ("本月多扣了30元", "catv", ("operations-support", "billing")),
    ("营业厅系统故障无法缴费", "catv", ("operations-support", "platform")),
    ("装维人员态度恶劣", "ftth-broadband", ("service-norms", None)),
    ("预约上门，工作人员迟迟未到", "catv", ("time-limits", None)),
    ("某频道节目低俗", "digital-tv", ("content", None)),
    ("电视画面有马赛克", "catv", ("network", "other")),
    ("对新出的套餐资费不满", "catv", ("policy", None)),
    ("The broadband is very slow in the evening", "ftth-broadband", ("broadband", "slow")),
    ("Engineer was rude on the phone", "landline", ("service-norms", None)),
    ("Nobody came: missed appointment twice", "landline", ("time-limits", None)),
    ("Overcharged on my last bill", "landline", ("operations-support", "billing")),
])
def test_the_description_names_the_row(description: str, product: str, expected: tuple) -> None:
    assert row(complaint(description, product)) == (*expected, "keyword")


def test_a_keyword_hit_names_the_words_that_decided_it() -> None:
    got = dc.classify(complaint("机顶盒经常死机"))
    assert (got.by, got.evidence) == ("keyword", "机顶盒 + 死机")


def fault(layer: str, **more: Any) -> dc.Fault:
    return dc.Fault("f1", "2026-NF-000007", layer, **more)


@pytest.mark.parametrize(("layer", "product", "expected"), [
    ("egress", "catv", ("broadband", "egress")),
    ("egress", "ftth-broadband", ("broadband", "egress")),  # egress stays egress for broadband too
    ("access", "ftth-broadband", ("broadband", "drop")),  # any network layer takes a broadband customer off line
    ("access", "catv", ("network", "distribution")),
    ("trunk-fibre", "catv", ("network", "trunk")),
    ("headend", "digital-tv", ("network", "source")),
    ("boss", "catv", ("operations-support", "platform")),
    ("boss", "ftth-broadband", ("operations-support", "platform")),  # a system fault is not an outage
    ("cmts", "two-way", ("broadband", "drop")),
])
def test_a_linked_fault_classifies_by_its_layer_before_anything_else(layer: str, product: str,
                                                                     expected: tuple) -> None:
    got = dc.classify(complaint("装维人员态度恶劣", product, "discovered", faults=(fault(layer),)))
    assert (got.category, got.subcategory, got.by, got.evidence) == (*expected, "fault-layer",
                                                                     f"2026-NF-000007: {layer}")


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"description": "网速慢", "complaint_class": "discovered"}, ("service-norms", None, "discovered")),
    ({"description": "投诉处理", "product": "ftth-broadband", "incidents": ("i1",)}, ("broadband", "drop", "incident")),
    ({"description": "投诉处理", "product": "catv", "incidents": ("i1",)}, ("network", "other", "incident")),
    ({"description": "网速慢", "product": "catv", "incidents": ("i1",)}, ("broadband", "slow", "keyword")),
    ({"description": "投诉处理", "product": "catv", "complaint_class": "mass"}, ("network", "other", "mass")),
    ({"description": "投诉处理", "product": "ftth-broadband", "complaint_class": "mass"},
     ("broadband", "other", "mass")),
    ({"description": "投诉处理结果不满意", "product": "ftth-broadband"}, ("broadband", "other", "product")),
    ({"description": "宽带问题反复", "product": "catv"}, ("broadband", "other", "product")),
    ({"description": "其他问题", "product": "catv", "complaint_class": "regular"}, ("other", None, "none")),
])
def test_the_steps_after_the_fault_in_their_order(kwargs: dict, expected: tuple) -> None:
    assert row(complaint(**kwargs)) == expected


def test_table4_has_every_row_in_the_seeds_order_even_empty_ones() -> None:
    rows = dc.table4([])
    assert len(rows) == 21  # 1 + 4 + 1 + 1 + 1 + 4 + 4 + 4 + 1
    assert [(r["category"], r["subcategory"]) for r in rows[:6]] == [
        ("policy", None), ("network", "trunk"), ("network", "source"), ("network", "distribution"),
        ("network", "other"), ("service-norms", None)]
    assert rows[-1]["category_title"] == "其他" and rows[-2]["subcategory_title"] == "其他"
    assert {r["category_title"] for r in rows if r["category"] == "broadband"} == {"宽带故障类"}
    assert [r["subcategory_title"] for r in rows if r["category"] == "broadband"] == ["出口问题", "网速慢", "掉线",
                                                                                       "其他"]
    assert all(r["count"] == 0 and r["complaints"] == [] for r in rows)


def ev(name: str, at: datetime, **payload: Any) -> tuple[str, str, datetime, dict[str, Any]]:
    return name, f"e-{name}-{at.isoformat()}", at, payload


def created(number: str, kind: str, description: str, at: datetime = AT, **more: Any) -> tuple:
    return ev("TicketCreated", at, number=number, kind=kind, description=description, **more)


def test_the_months_complaints_their_causes_and_actions_counted_per_row() -> None:
    later = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    histories = {
        # two slow-broadband complaints: "光猫老化" twice (once per complaint, though said twice in the first)
        "a": [created("2026-KF-1", "complaint", "网速慢", product="ftth-broadband"),
              ev("TicketDispatched", AT, department="D1"),
              ev("Resolved", later, cause="光猫老化"), ev("TicketReopened", later, department="D2"),
              ev("Resolved", later, cause="光猫老化"),
              ev("CorrectiveActionFiled", later, corrective="更换光猫", preventive="巡检老旧光猫")],
        "b": [created("2026-KF-2", "complaint", "晚上网速很卡", product="ftth-broadband"),
              ev("Resolved", later, cause="光猫老化"), ev("Resolved", later, cause="带宽不足"),
              ev("CorrectiveActionFiled", later, corrective="更换光猫", preventive=" ")],
        # a fault ticket reclassified to a complaint counts; its incident's fault classifies it
        "c": [created("2026-GZ-3", "fault", "没有信号", product="catv"),
              ev("TicketReclassified", later, after={"kind": "complaint"}),
              ev("TicketLinkedToIncident", later, incident_id="inc-1")],
        # a complaint reclassified to an inquiry does not
        "d": [created("2026-KF-4", "complaint", "网速慢"), ev("TicketReclassified", later, after={"kind": "inquiry"})],
        # received 1 April 00:30 Shanghai: April's
        "e": [created("2026-KF-5", "complaint", "网速慢", at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC))],
        # received at 23:59 local on 31 March: March's
        "f": [created("2026-KF-6", "complaint", "态度差", at=datetime(2026, 3, 31, 15, 59, tzinfo=UTC))],
    }
    faults = dc.faults_from([
        ("NetworkFaultReported", "nf-1", {"number": "2026-NF-1", "layer": "trunk-fibre"}),
        ("NetworkFaultLinked", "nf-1", {"incident_id": "inc-1", "ticket_ids": []}),
        ("NetworkFaultFixed", "nf-1", {"cause": "光缆被挖断"}),
        ("NetworkFaultReplied", "nf-1", {"cause": "光缆被挖断"}),
    ])
    body = dc.report(histories, faults.values(), "2026-03", TZ)
    assert body["total"] == 4 and body["decided_by"] == {"fault-layer": 1, "keyword": 3}
    by_row = {(r["category"], r["subcategory"]): r for r in body["rows"]}
    slow = by_row[("broadband", "slow")]
    assert slow["count"] == 2 and [c["number"] for c in slow["complaints"]] == ["2026-KF-1", "2026-KF-2"]
    assert slow["causes"] == [{"cause": "光猫老化", "count": 2}, {"cause": "带宽不足", "count": 1}]
    assert slow["actions"] == ["更换光猫", "巡检老旧光猫"]
    assert slow["complaints"][0]["department"] == "D2"  # where the ticket is now (reopened to D2)
    trunk = by_row[("network", "trunk")]
    assert [c["number"] for c in trunk["complaints"]] == ["2026-GZ-3"]
    assert trunk["causes"] == [{"cause": "光缆被挖断", "count": 1}]
    assert trunk["complaints"][0]["faults"] == ["2026-NF-1"] and trunk["complaints"][0]["by"] == "fault-layer"
    assert [c["number"] for c in by_row[("service-norms", None)]["complaints"]] == ["2026-KF-6"]
    assert sum(r["count"] for r in body["rows"]) == body["total"]
    april = dc.report(histories, faults.values(), "2026-04", TZ)
    assert april["total"] == 1 and [r["complaints"][0]["number"] for r in april["rows"] if r["count"]] == ["2026-KF-5"]


def test_faults_fold_their_layer_links_and_distinct_causes() -> None:
    got = dc.faults_from([
        ("NetworkFaultLinked", "nf-2", {"incident_id": None, "ticket_ids": ["t1"]}),
        ("NetworkFaultReported", "nf-2", {"number": "2026-NF-2", "layer": "egress"}),
        ("NetworkFaultLinked", "nf-2", {"incident_id": "i9", "ticket_ids": ["t2"]}),
        ("NetworkFaultFixed", "nf-2", {"cause": "出口拥塞"}), ("NetworkFaultReplied", "nf-2", {"cause": "出口拥塞"}),
    ])["nf-2"]
    assert (got.number, got.layer, got.ticket_ids, got.incident_ids, got.causes) == (
        "2026-NF-2", "egress", frozenset({"t1", "t2"}), frozenset({"i9"}), ("出口拥塞",))
