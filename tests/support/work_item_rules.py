"""The shipped rules that time work items other than tickets (issue 8): network and system faults, internal mail,
forum posts. Their start→stop rows are in tests/integration/test_every_rule_work_items.py; test_every_rule.py counts
them as covered."""

WORK_ITEM_RULES: tuple[str, ...] = (
    "CS-backbone-onsite-40m", "CS-backbone-fix-2h", "CS-aggregation-onsite-1h", "CS-aggregation-fix-2h",
    "CS-access-response-30m", "CS-access-fix-24h", "CS-boss-general-1h", "CS-boss-major-3h",
    "CS-callsys-general-30m", "CS-callsys-major-2h", "CS-forum-4h", "NJ-fault-notify-10m", "TT-email-72h",
)
