"""The console's words: Chinese by default, English on request. A missing key shows as itself (never a crash)."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT = "zh"

_T: dict[str, tuple[str, str]] = {  # key: (中文, English)
    "app": ("工单运营与财务控制台", "Gongdan operations and finance console"),
    "sign_in": ("登录", "Sign in"), "sign_out": ("退出", "Sign out"),
    "api_key": ("API 密钥", "API key"),
    "sign_in_hint": ("请输入您的 API 密钥。密钥只保存在服务端，浏览器只保存签名的会话。",
                     "Enter your API key. The key stays on the server; the browser keeps only a signed session."),
    "bad_key": ("密钥无效", "Unknown API key"),
    "signed_in_as": ("当前用户", "Signed in as"), "role": ("角色", "Role"),
    "board": ("实时看板", "Live board"), "penalties": ("考核月度", "Penalty month"),
    "compensation": ("赔付", "Compensation"), "dead_letters": ("死信", "Dead letters"),
    "forbidden": ("无权访问", "Not allowed"),
    "forbidden_text": ("您的角色无权查看或执行此操作。", "Your role may not see or do this."),
    "not_found": ("未找到", "Not found"), "unavailable": ("服务暂不可用", "Service unavailable"),
    "refused": ("操作被拒绝", "Refused"), "done": ("已完成", "Done"),
    "open_tickets": ("未结工单", "Open tickets"), "by_state_department": ("按状态与部门", "By state and department"),
    "state": ("状态", "State"), "department": ("部门", "Department"), "kind": ("类型", "Kind"),
    "segment": ("客户类别", "Segment"), "incident": ("故障事件", "Incident"), "total": ("合计", "Total"),
    "filter": ("筛选", "Filter"), "clear": ("清除", "Clear"), "any": ("全部", "Any"),
    "search": ("搜索", "Search"), "search_label": ("工单号、电话或账号", "Ticket number, phone or account"),
    "at_risk": ("即将超时", "At risk"), "breached": ("已超时", "Breached"),
    "rule": ("规则", "Rule"), "ticket": ("工单", "Ticket"), "deadline": ("时限", "Deadline"),
    "time_left": ("剩余", "Time left"), "overdue": ("超时", "Overdue"), "paused": ("暂停", "Paused"),
    "none": ("无", "None"), "as_of": ("截至", "As of"), "refreshes": ("每 5 秒自动刷新", "Refreshes every 5 s"),
    "tickets": ("工单列表", "Tickets"), "number": ("工单号", "Number"), "received": ("受理时间", "Received"),
    "due": ("到期", "Due"), "technician": ("处理人", "Technician"),
    "timeline": ("处理过程", "Timeline"), "event": ("事件", "Event"), "who": ("操作人", "Who"),
    "field_time": ("发生时间", "Field time"), "recorded_time": ("录入时间", "Recorded"),
    "backdated": ("补录", "Backdated"), "timers": ("时限", "Timers"), "outcome": ("结果", "Outcome"),
    "start": ("开始", "Start"), "customer": ("客户", "Customer"), "description": ("描述", "Description"),
    "penalty_entries": ("考核记录", "Penalty entries"), "claims": ("赔付申请", "Claims"),
    "clause": ("条款", "Clause"), "payer": ("承担方", "Payer"), "person": ("责任人", "Person"),
    "amount": ("金额", "Amount"), "status": ("状态", "Status"), "computation": ("计算", "Computation"),
    "explanation": ("说明", "Explanation"), "evidence": ("证据", "Evidence"), "month": ("月份", "Month"),
    "show": ("查看", "Show"), "confirm": ("确认", "Confirm"), "modify": ("修改", "Modify"), "cancel": ("取消", "Cancel"),
    "reason": ("原因", "Reason"), "new_amount": ("新金额（元）", "New amount (yuan)"),
    "close_month": ("关闭并发布本月", "Close and publish the month"), "closed": ("已关闭", "Closed"),
    "open": ("未关闭", "Open"), "download": ("下载", "Download"), "appeals": ("申诉", "Appeals"),
    "grounds": ("理由", "Grounds"), "steps": ("审批步骤", "Steps"), "next_steps": ("待办步骤", "Next steps"),
    "approve": ("同意", "Approve"), "reject": ("驳回", "Reject"), "note": ("备注", "Note"),
    "totals": ("部门合计", "Totals by department"), "standing": ("有效", "Standing"), "payable": ("应付", "Payable"),
    "entries": ("条数", "Entries"), "scheme": ("方案", "Scheme"), "promise": ("承诺", "Promise"),
    "days_late": ("超时天数", "Days late"), "payment": ("付款", "Payment"),
    "batches": ("付款批次", "Payout batches"), "cut_batch": ("生成批次", "Cut a batch"),
    "cut_off": ("截止时间", "Cut-off"), "currency": ("币种", "Currency"), "lines": ("明细", "Lines"),
    "mark_paid": ("标记已付", "Mark paid"), "mark_failed": ("标记失败", "Mark failed"),
    "top_up_ref": ("充值流水号", "Top-up reference"), "reconciliation": ("对账", "Reconciliation"),
    "balanced": ("平衡", "Balanced"), "unbalanced": ("不平衡", "Not balanced"),
    "batch_total": ("批次合计", "Batch total"), "lines_total": ("明细合计", "Lines total"),
    "paid": ("已付", "Paid"), "pending": ("待付", "Pending"), "failed": ("失败", "Failed"),
    "claims_marked_paid": ("已付赔付", "Claims marked paid"), "created": ("创建", "Created"),
    "service": ("服务", "Service"), "parked_at": ("搁置时间", "Parked"), "attempts": ("尝试", "Attempts"),
    "replay": ("重放", "Replay"), "source": ("来源", "Source"), "type": ("类型", "Type"),
    "back": ("返回", "Back"), "language": ("English", "中文"),
    "not_visible": ("您的角色看不到这一部分。", "Your role does not see this part."),
    "payment_overdue": ("付款逾期风险", "Payments at risk or missed"),
    # reports and scorecards
    "reports": ("报表", "Reports"), "scorecards": ("部门考核评分", "Department scorecards"),
    "report_same-day": ("当日装维及时率（按区域）", "Same-day install/repair by district"),
    "report_compensation-list": ("赔付审计清单", "Compensation audit list"),
    "report_paid": ("月度已付赔付", "Compensation paid per month"),
    "report_penalty-list": ("月度考核清单（部门、个人）", "Monthly penalty list (department, person)"),
    "from": ("起", "From"), "to": ("止", "To"), "day": ("日期", "Day"), "district": ("区域", "District"),
    "on_time": ("及时", "On time"), "late": ("超时", "Late"), "late_exempt": ("超时免责", "Late, exempt"),
    "still_open": ("未完成", "Open"), "rate": ("及时率", "Rate"), "by_district": ("按区域汇总", "By district"),
    "by_day": ("按日明细", "By day"), "account": ("账号", "Account"), "completion": ("完成时间", "Completed"),
    "exemption": ("免责", "Exemption"), "paid_at": ("付款时间", "Paid at"), "batch": ("批次", "Batch"),
    "payable_total": ("应赔合计", "Payable total"), "paid_total": ("已付合计", "Paid total"),
    "by_person": ("按责任人合计", "Totals by person"), "published_list": ("发布清单", "Published list"),
    "figure": ("指标", "Figure"), "numerator": ("分子", "Numerator"), "denominator": ("分母", "Denominator"),
    "target": ("目标", "Target"), "points": ("得分", "Points"), "trend": ("趋势", "Trend"),
    "months": ("月数", "Months"), "frozen": ("已冻结", "Frozen"), "not_measured": ("未统计指标", "Not measured"),
    "choose_department": ("选择一个部门查看其趋势图。", "Choose a department to see its trend chart."),
    "platform": ("客服平台", "Customer service platform"), "all_departments": ("全部部门", "All departments"),
    "trend_caption": ("及时率、满意度、有效回访率（%）", "On-time rate, satisfaction, callback rate (%)"),
}


def translate(key: str, lang: str) -> str:
    pair = _T.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT
