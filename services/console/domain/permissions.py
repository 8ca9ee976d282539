"""What each role may see and do in the console: the same roles the services' APIs require (they still enforce
it). A page shows a button only for what the role may do; a screen the role may not open answers 403."""

from __future__ import annotations

from shared.identity import Role

R = Role
TICKET_READERS = frozenset({R.DISPATCHER, R.HANDLER, R.TECHNICIAN, R.SUPERVISOR, R.AGENT, R.DEPUTY_GM, R.OPS})
PENALTY_READERS = frozenset({R.OPS, R.FINANCE, R.SUPERVISOR, R.COMPREHENSIVE, R.DEPUTY_GM, R.GM})

#: capability -> the roles that have it (admin has every one)
CAPABILITIES: dict[str, frozenset[Role]] = {
    "tickets.read": TICKET_READERS,                                      # dispatch GET /tickets
    "timers.read": frozenset({R.OPS, R.DISPATCHER}),                     # sla_monitor timers
    "work_items.read": frozenset({R.OPS, R.DISPATCHER, R.HANDLER, R.TECHNICIAN, R.SUPERVISOR, R.AGENT}),  # dispatch
    "penalties.read": PENALTY_READERS,                                   # penalty ledger
    "penalties.review": frozenset({R.OPS}),                              # confirm / modify / cancel
    "penalties.close": frozenset({R.OPS}),                               # close and publish the month
    "claims.read": frozenset({R.FINANCE, R.OPS, R.SUPERVISOR, R.AGENT}),  # compensation claims, exemptions
    "exemptions.record": frozenset({R.OPS, R.SUPERVISOR}),               # CT-3.2 (the API's dispatcher has no screen)
    "exemptions.dispute": frozenset({R.AGENT, R.SUPERVISOR}),            # CT-3.3.1: the customer's dispute
    "payouts.read": frozenset({R.FINANCE, R.OPS}),                       # payout batches, exports
    "payouts.cut": frozenset({R.FINANCE}),
    "payouts.mark": frozenset({R.FINANCE}),
    "dead_letters.read": frozenset({R.OPS}),
    "dead_letters.replay": frozenset({R.OPS}),
    "reports.read": frozenset({R.FINANCE, R.OPS}),                       # compensation reports, penalty list
    "scorecards.read": PENALTY_READERS,                                  # penalty GET /scorecards
}

#: NJ-4.3.6: each appeal step is recorded by its own role (penalty's STEP_ROLES)
APPEAL_STEP_ROLES = {"comprehensive-review": R.COMPREHENSIVE, "customer-service-review": R.SUPERVISOR,
                     "deputy-gm-approval": R.DEPUTY_GM, "gm-approval": R.GM}

#: the screens in the navigation, each with the capability that opens it
SCREENS = (("board", "tickets.read"), ("penalties", "penalties.read"), ("compensation", "claims.read"),
           ("reports", "reports.read"), ("scorecards", "scorecards.read"), ("dead_letters", "dead_letters.read"))


def can(role: Role | str, capability: str) -> bool:
    role = Role(role)
    return role is Role.ADMIN or role in CAPABILITIES[capability]


def capabilities(role: Role | str) -> frozenset[str]:
    return frozenset(c for c in CAPABILITIES if can(role, c))


def may_record_step(role: Role | str, step: str) -> bool:
    role = Role(role)
    return role is Role.ADMIN or APPEAL_STEP_ROLES.get(step) is role


def screens(role: Role | str) -> list[str]:
    return [name for name, capability in SCREENS if can(role, capability)]


def home(role: Role | str) -> str | None:
    """The first screen the role may open (None: nothing here for it)."""
    allowed = screens(role)
    return allowed[0] if allowed else None
