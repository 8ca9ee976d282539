"""Telephony intake: a handled call as the IVR/ACD reports it (`POST /calls`), for the call-centre KPI "≥2,200
calls per agent-month" (RULEBOOK §5.3). Pure: the command, its checks, and whether a repeat is the same call.

A call is recorded once per call id (the ACD's own id): the same call posted again is answered with the call as
recorded (200); the same id with other details is a 409, never a silent second call or a silent drop.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.intake.domain.numbering import InvalidTicketNumber, parse_ticket_number
from shared import limits
from shared.identity import Role
from shared.inputs import Instant, Line
from shared.policy.schema import FieldTimePolicy

MAX_CALL = timedelta(hours=24)  # a longer "call" is a typo or a stuck line, not a handled call
RULE_TIMES = "call_times"  # ended_at before started_at
RULE_DURATION = "call_duration"  # longer than MAX_CALL
RULE_FIELD_TIME = "field-time"  # ended in the future, or reported later than the role may (policy field_time)
RULE_NUMBERING = "NJ-numbering"  # a ticket number that is not YEAR-DEPT-SEQUENCE
RULE_TICKET = "ticket_reference"  # a ticket number intake never logged

FieldError = dict[str, str]


class ReportCall(BaseModel):
    """A call an agent handled, posted by the IVR/ACD when it ends."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    call_id: Line(limits.REFERENCE) = Field(description="The ACD's own id of the call: the call is recorded once "
                                                        "per id")
    agent: Line(limits.PERSON) = Field(description="The agent who handled it (directory person id or ACD login)")
    started_at: Instant = Field(description="When the agent took the call; the call counts in this local month")
    ended_at: Instant = Field(description="When the call ended; the IVR role may report it at most the policy's "
                                          "`field_time.max_backdate.ivr` later")
    ticket_number: Line(40) | None = Field(None, description="The ticket the agent logged or looked up on the call, "
                                                             "e.g. 2026-KF-000123")


def _error(field: str, rule: str, message: str) -> FieldError:
    return {"field": field, "in": "body", "rule": rule, "message": message}


def call_problems(cmd: ReportCall, now: datetime, role: Role, field_time: FieldTimePolicy) -> list[FieldError]:
    """Every problem with the call's times and ticket number, each naming its field and rule."""
    problems: list[FieldError] = []
    if cmd.ended_at < cmd.started_at:
        problems.append(_error("ended_at", RULE_TIMES, f"ended_at {cmd.ended_at.isoformat()} is before started_at "
                                                       f"{cmd.started_at.isoformat()}"))
    elif cmd.ended_at - cmd.started_at > MAX_CALL:
        problems.append(_error("ended_at", RULE_DURATION, f"a call lasts at most {MAX_CALL} (this one "
                                                          f"{cmd.ended_at - cmd.started_at})"))
    if cmd.ended_at > now:
        problems.append(_error("ended_at", RULE_FIELD_TIME, f"ended_at {cmd.ended_at.isoformat()} is in the future "
                                                            f"(now {now.isoformat()})"))
    elif now - cmd.ended_at > (allowed := field_time.limit(role.value)):
        problems.append(_error("ended_at", RULE_FIELD_TIME, f"role {role.value} may report a call at most {allowed} "
                                                            f"after it ended (it ended {now - cmd.ended_at} ago)"))
    if cmd.ticket_number is not None:
        try:
            parse_ticket_number(cmd.ticket_number)
        except InvalidTicketNumber as exc:
            problems.append(_error("ticket_number", RULE_NUMBERING, str(exc)))
    return problems


def unknown_ticket(number: str) -> FieldError:
    return _error("ticket_number", RULE_TICKET, f"no ticket {number} was logged")


def differences(recorded: dict[str, Any], cmd: ReportCall) -> list[str]:
    """The fields in which a post differs from the call recorded under its id: none for a retry of the same call,
    some for another call reusing the id."""
    return [name for name in ("agent", "started_at", "ended_at", "ticket_number")
            if recorded[name] != getattr(cmd, name)]
