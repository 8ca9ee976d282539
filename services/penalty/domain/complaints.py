"""NJ table 4 (客户投诉信息统计表, RULEBOOK §8): a month's complaints by category, with count, content and cause
analysis per category. Pure.

No event carries a table-4 category, so each complaint is classified from what the events do carry, first match
wins (each complaint says which step decided it, `by`, and on what, `evidence`):

1. `fault-layer`: a network or system fault linked to the ticket, or to the mass incident the ticket is linked to
   (NetworkFaultLinked), classifies by its layer (LAYERS; for a broadband product every network layer but egress is
   a broadband drop);
2. `discovered`: complaint class `discovered` (NJ-4.1.2: staff found a breach of the rules and norms) is service
   norms;
3. `keyword`: the description (TicketCreated) matched against KEYWORDS, in order (Chinese and English);
4. `incident`: linked to a mass incident (TicketLinkedToIncident) with no fault behind it: an outage, so a
   broadband drop for a broadband product, else network transmission (other);
5. `mass`: complaint class `mass` (NJ-4.1.3: a network, system or content incident) with nothing linked: network
   transmission (other), broadband (other) for a broadband product;
6. `product`: a broadband product, or a description naming broadband: broadband (other);
7. `none`: other.

A complaint is a ticket whose kind is `complaint` after its last reclassification, counted in the local month it
was received (TicketCreated). Cause analysis: the complaint causes of its replies (Resolved.cause, TT-8.4's
three-clears) and of its linked faults' fixes and replies, counted; with the corrective and preventive actions filed
for it (NJ-4.2.2)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.events.classification import classification_change

History = list[tuple[str, str, datetime, dict[str, Any]]]  # (type, event id, occurred_at, payload), field order

#: table 4's rows in its order: category id, its title, its specific categories (id, title); none: one row
TABLE4: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("policy", "政策宣传类", ()),
    ("network", "网络传输类", (("trunk", "干线传输故障"), ("source", "信源传输故障"), ("distribution", "分配网故障"),
                               ("other", "其他"))),
    ("service-norms", "服务规范类", ()),
    ("time-limits", "服务时限类", ()),
    ("content", "内容类", ()),
    ("operations-support", "运营支撑平台类", (("billing", "计费差错"), ("platform", "平台故障"),
                                              ("ca", "CA误关或授权失败"), ("other", "其他"))),
    ("set-top-box", "机顶盒类", (("fault", "机顶盒故障"), ("remote", "遥控器"), ("after-sales", "售后服务"),
                                 ("other", "其他"))),
    ("broadband", "宽带故障类", (("egress", "出口问题"), ("slow", "网速慢"), ("drop", "掉线"), ("other", "其他"))),
    ("other", "其他", ()),
)
#: the classification steps in the order they are tried (this module's docstring)
STEPS: tuple[tuple[str, str], ...] = (
    ("fault-layer", "a network or system fault linked to the ticket or its incident: by the fault's layer"),
    ("discovered", "complaint class discovered (NJ-4.1.2): service norms"),
    ("keyword", "the description names the category (a fixed list of Chinese and English words)"),
    ("incident", "linked to a mass incident with no fault behind it: an outage"),
    ("mass", "complaint class mass (NJ-4.1.3) with nothing linked: network (broadband for broadband)"),
    ("product", "a broadband product, or broadband named in the description: broadband, other"),
    ("none", "nothing above: other"),
)
BROADBAND_PRODUCTS = frozenset({"ftth-broadband"})
BROADBAND_DROP = ("broadband", "drop")
#: a fault's layer (shared/events/lifecycle/work_items.py FaultLayer) -> its row, for a product that is not broadband
LAYERS: dict[str, tuple[str, str]] = {
    "egress": ("broadband", "egress"),
    "core": ("network", "trunk"), "backbone": ("network", "trunk"), "trunk-fibre": ("network", "trunk"),
    "headend": ("network", "source"), "transmission": ("network", "source"),
    "access": ("network", "distribution"), "aggregation": ("network", "distribution"),
    "power-supply": ("network", "other"),
    "cmts": BROADBAND_DROP,
    "boss": ("operations-support", "platform"), "lan": ("operations-support", "platform"),
    "call-system": ("operations-support", "platform"), "interactive-tv": ("operations-support", "platform"),
}
#: layers that take a broadband customer off line (everything in the network, and the CMTS and its power)
BROADBAND_OUTAGE_LAYERS = frozenset({"core", "backbone", "trunk-fibre", "headend", "transmission", "access",
                                     "aggregation", "power-supply", "cmts"})
_STB = r"机顶盒|set-?top|\bstb\b"
_BROADBAND = r"宽带|broadband"
#: (category, specific category, patterns that must all match the description), tried in order
KEYWORDS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("set-top-box", "remote", (r"遥控|remote control|\bremote\b",)),
    ("set-top-box", "after-sales", (_STB, r"售后|保修|退换|换货|更换|warranty|replace")),
    ("set-top-box", "fault", (_STB, r"故障|坏|死机|黑屏|重启|无法|不能|fault|broken|not working|dead|freez")),
    ("set-top-box", "other", (_STB,)),
    ("operations-support", "ca", (r"(?<![a-z])ca(?![a-z])|授权|误关|智能卡|smart ?card|authori[sz]",)),
    ("operations-support", "billing", (r"计费|扣费|多扣|乱收费|收费|账单|话费|欠费|费用|退费|\bbill|overcharg|charged",)),
    ("operations-support", "platform", (r"平台|系统故障|营业系统|网上营业厅|\bapp\b|platform|system (?:is )?down",)),
    ("broadband", "egress", (r"出口|国际网站|境外|egress|overseas|international site",)),
    ("broadband", "drop", (r"掉线|断线|断网|上不了网|无法上网|不能上网|连不上|disconnect|drops? out|dropping|offline|"
                           r"no internet|can'?t connect|cannot connect",)),
    ("broadband", "slow", (r"网速|速度慢|卡顿|带宽不足|slow (?:internet|broadband|connection|speed|download)|"
                           r"(?:internet|broadband|connection|speed|download)s? (?:is |are |was |very |too )*slow",)),
    ("service-norms", None, (r"态度|服务用语|辱骂|骂人|吵架|争吵|不礼貌|推诿|恶劣|冷漠|索要|不规范|rude|attitude|"
                             r"impolite|insult|unprofessional",)),
    ("time-limits", None, (r"超时|超期|逾期|迟迟|拖延|未上门|没上门|不上门|没人来|未按时|未按约|失约|爽约|迟到|太慢|"
                           r"很慢|时限|还没装|未安装|\blate\b|delay|overdue|no.?show|missed (?:the )?appointment|"
                           r"still waiting",)),
    ("content", None, (r"节目|频道|点播|直播|字幕|广告|回看|programme|\bprogram|\bchannel|content|subtitle|advert",)),
    ("network", "other", (r"信号|马赛克|雪花|无图像|signal|mosaic|no picture",)),
    ("policy", None, (r"政策|宣传|资费|套餐|优惠|活动|涨价|价格|tariff|\bprice|promotion|\bpackage|policy",)),
)
_COMPILED = tuple((cat, sub, tuple(re.compile(p, re.IGNORECASE) for p in pats)) for cat, sub, pats in KEYWORDS)


@dataclass(frozen=True)
class Fault:
    """A network or system fault as its events tell it: layer, the tickets and incidents it is linked to, causes."""

    fault_id: str
    number: str | None = None
    layer: str | None = None
    ticket_ids: frozenset[str] = frozenset()
    incident_ids: frozenset[str] = frozenset()
    causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Complaint:
    ticket_id: str
    number: str | None
    received_at: datetime
    description: str
    product: str | None = None
    complaint_class: str | None = None
    channel: str | None = None
    department: str | None = None
    incidents: tuple[str, ...] = ()
    faults: tuple[Fault, ...] = ()
    causes: tuple[str, ...] = ()  # reply causes, then the linked faults' causes
    actions: tuple[str, ...] = ()  # NJ-4.2.2 corrective and preventive actions


@dataclass(frozen=True)
class Classified:
    complaint: Complaint
    category: str
    subcategory: str | None
    by: str  # fault-layer | discovered | keyword | incident | mass | product | none
    evidence: str | None


def faults_from(events: Iterable[tuple[str, str, dict[str, Any]]]) -> dict[str, Fault]:
    """Faults from (type, fault id, payload) of their NetworkFault* events, in order."""
    out: dict[str, Fault] = {}
    for name, fault_id, p in events:
        f = out.get(fault_id, Fault(fault_id))
        if name == "NetworkFaultReported":
            f = Fault(fault_id, p.get("number"), p.get("layer"), f.ticket_ids, f.incident_ids, f.causes)
        elif name == "NetworkFaultLinked":
            incidents = f.incident_ids | ({str(p["incident_id"])} if p.get("incident_id") else set())
            f = Fault(fault_id, f.number, f.layer, f.ticket_ids | {str(t) for t in p.get("ticket_ids") or ()},
                      frozenset(incidents), f.causes)
        elif name in ("NetworkFaultFixed", "NetworkFaultReplied") and (p.get("cause") or "").strip():
            cause = p["cause"].strip()
            f = Fault(fault_id, f.number, f.layer, f.ticket_ids, f.incident_ids,
                      f.causes if cause in f.causes else (*f.causes, cause))
        out[fault_id] = f
    return out


def local_month(at: datetime, tz: str) -> str:
    return at.astimezone(ZoneInfo(tz)).strftime("%Y-%m")


def complaint_of(ticket_id: str, history: History, faults: Iterable[Fault]) -> Complaint | None:
    """The ticket as a complaint (None: it is not one after its last reclassification, or was never created)."""
    created = next(((at, p) for name, _, at, p in history if name == "TicketCreated"), None)
    if created is None:
        return None
    classes: dict[str, Any] = {}
    department = None
    incidents: list[str] = []
    causes: list[str] = []
    actions: list[str] = []
    for name, _, _, p in history:
        classes.update(classification_change(name, p))
        if name in ("TicketDispatched", "TicketRedispatched", "TicketAccepted", "TicketReopened"):
            department = p.get("department") or department
        elif name == "TicketLinkedToIncident":
            incidents.append(str(p["incident_id"]))
        elif name == "Resolved" and (p.get("cause") or "").strip():
            causes.append(p["cause"].strip())
        elif name == "CorrectiveActionFiled":
            actions += [text.strip() for text in (p.get("corrective"), p.get("preventive")) if (text or "").strip()]
    if classes.get("kind") != "complaint":
        return None
    linked = tuple(sorted((f for f in faults if ticket_id in f.ticket_ids or f.incident_ids & set(incidents)),
                          key=lambda f: (f.number or "", f.fault_id)))
    at, p = created
    return Complaint(ticket_id, p.get("number"), at, p.get("description") or "", classes.get("product"),
                     classes.get("complaint_class"), classes.get("channel"), department, tuple(incidents), linked,
                     tuple(causes) + tuple(c for f in linked for c in f.causes), tuple(actions))


def complaints(histories: Mapping[str, History], faults: Iterable[Fault], month: str, tz: str) -> list[Complaint]:
    """The complaints received in the local month, oldest first."""
    known = list(faults)
    out = [c for tid, h in histories.items() if (c := complaint_of(tid, h, known)) is not None
           and local_month(c.received_at, tz) == month]
    return sorted(out, key=lambda c: (c.received_at, c.number or "", c.ticket_id))


def _keyword(description: str) -> tuple[str, str | None, str] | None:
    for category, sub, patterns in _COMPILED:
        found = [p.search(description) for p in patterns]
        if all(found):
            return category, sub, " + ".join(m.group(0) for m in found if m)
    return None


def classify(c: Complaint) -> Classified:
    """The complaint's table-4 row and why (the steps of this module's docstring, first match wins)."""
    broadband = c.product in BROADBAND_PRODUCTS
    for f in c.faults:
        if f.layer in LAYERS:
            row = BROADBAND_DROP if broadband and f.layer in BROADBAND_OUTAGE_LAYERS else LAYERS[f.layer]
            return Classified(c, *row, "fault-layer", f"{f.number or f.fault_id}: {f.layer}")
    if c.complaint_class == "discovered":
        return Classified(c, "service-norms", None, "discovered", "NJ-4.1.2")
    if (hit := _keyword(c.description)) is not None:
        return Classified(c, hit[0], hit[1], "keyword", hit[2])
    if c.incidents:
        row = BROADBAND_DROP if broadband else ("network", "other")
        return Classified(c, *row, "incident", c.incidents[0])
    if c.complaint_class == "mass":
        return Classified(c, "broadband" if broadband else "network", "other", "mass", "NJ-4.1.3")
    if broadband:
        return Classified(c, "broadband", "other", "product", c.product)
    if (m := re.search(_BROADBAND, c.description, re.IGNORECASE)) is not None:
        return Classified(c, "broadband", "other", "product", m.group(0))
    return Classified(c, "other", None, "none", None)


def table4(classified: Iterable[Classified]) -> list[dict[str, Any]]:
    """Every row of table 4 in its order (empty ones too): count, the complaints (content), cause analysis."""
    rows: dict[tuple[str, str | None], list[Classified]] = {}
    for category, _, subs in TABLE4:
        for sub in [s for s, _ in subs] or [None]:
            rows[(category, sub)] = []
    for item in classified:
        rows[(item.category, item.subcategory)].append(item)
    titles = {cat: (title, dict(subs)) for cat, title, subs in TABLE4}
    out = []
    for (category, sub), items in rows.items():
        causes = Counter(cause for i in items for cause in dict.fromkeys(i.complaint.causes))
        actions = list(dict.fromkeys(a for i in items for a in i.complaint.actions))
        out.append({
            "category": category, "category_title": titles[category][0], "subcategory": sub,
            "subcategory_title": titles[category][1].get(sub) if sub else None, "count": len(items),
            "complaints": [_shown(i) for i in items],
            "causes": [{"cause": k, "count": n} for k, n in sorted(causes.items(), key=lambda kv: (-kv[1], kv[0]))],
            "actions": actions,
        })
    return out


def _shown(i: Classified) -> dict[str, Any]:
    c = i.complaint
    return {"ticket_id": c.ticket_id, "number": c.number, "received_at": c.received_at.isoformat(),
            "description": c.description, "department": c.department, "product": c.product,
            "complaint_class": c.complaint_class, "channel": c.channel, "by": i.by, "evidence": i.evidence,
            "faults": [f.number or f.fault_id for f in c.faults], "causes": list(c.causes)}


def report(histories: Mapping[str, History], faults: Iterable[Fault], month: str, tz: str) -> dict[str, Any]:
    """The month's table 4: every row, the total, and how many complaints each classification step decided."""
    classified = [classify(c) for c in complaints(histories, faults, month, tz)]
    return {"month": month, "time_zone": tz, "total": len(classified), "rows": table4(classified),
            "decided_by": dict(sorted(Counter(i.by for i in classified).items())),
            "steps": [{"by": by, "meaning": meaning} for by, meaning in STEPS]}
