"""Who acts and when (issue 3): an API principal's lifecycle role, and how far that role may backdate field time.
Pure; the HTTP dependency that reads the limits from the policy is in shared/http/acting.py."""

from __future__ import annotations

from datetime import datetime

from shared.events.vocabulary import Role as ActingRole
from shared.identity import Principal, Role
from shared.policy.schema import FieldTimePolicy

_ACTING: dict[Role, ActingRole] = {
    Role.IVR: ActingRole.ivr,
    Role.AGENT: ActingRole.agent,
    Role.DISPATCHER: ActingRole.dispatcher,
    Role.HANDLER: ActingRole.handler,
    Role.TECHNICIAN: ActingRole.technician,
    Role.SUPERVISOR: ActingRole.supervisor,
    Role.DEPUTY_GM: ActingRole.deputy_gm,
    Role.OPS: ActingRole.supervisor,
    Role.NMS: ActingRole.system,
    Role.ADMIN: ActingRole.system,
}


def acting_role(principal: Principal) -> ActingRole:
    """The role recorded on the events this principal causes."""
    acting = _ACTING.get(principal.role)
    if acting is None:
        raise ValueError(f"role {principal.role.value} does not act on tickets")
    return acting


def backdate_problem(
    occurred_at: datetime | None, now: datetime, role: Role, limits: FieldTimePolicy
) -> str | None:
    """Why `occurred_at` is not acceptable from `role`: in the future, or earlier than the policy allows."""
    if occurred_at is None:
        return None
    if occurred_at > now:
        return f"occurred_at {occurred_at.isoformat()} is in the future (now {now.isoformat()})"
    allowed = limits.limit(role.value)
    if now - occurred_at > allowed:
        return f"role {role.value} may backdate occurred_at by at most {allowed} (asked {now - occurred_at})"
    return None


def field_time_error(problem: str) -> dict[str, object]:
    """The `fields` entry of a 422 about field time."""
    return {"field": "occurred_at", "in": "body", "rule": "field-time", "message": problem}
