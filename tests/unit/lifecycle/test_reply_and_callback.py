"""Three-clears replies (TT-8.3/8.4), TT-8.13 callbacks, reopen -> escalate -> deputy GM decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.dispatch.domain import commands as c
from services.dispatch.domain.decide import CommandRefused
from services.dispatch.domain.state import Status
from shared.events.lifecycle import CallbackDone, ReplyIncomplete, Resolved, TicketEscalated, TicketReopened
from shared.events.vocabulary import CallbackQuestion as Q
from shared.events.vocabulary import ReplyPart as P
from shared.events.vocabulary import Role, TicketKind
from tests.unit.lifecycle.story import (
    ACCEPT,
    ARCHIVE,
    CONTACT,
    DECIDE,
    DISPATCH,
    DISSATISFIED,
    FULL_REPLY,
    SATISFIED,
    Story,
    who,
)

EMPTY_REPLY = c.ResolveTicket(**who(Role.technician, "tech-1"))


def replying(kind: TicketKind = TicketKind.fault, due_in: timedelta | None = None) -> Story:
    """A ticket in contact-established, optionally with a due time set at dispatch."""
    story = Story(kind)
    due = None if due_in is None else story.now + due_in
    story.do(DISPATCH.model_copy(update={"due_at": due}))
    story.do(ACCEPT)
    story.do(CONTACT)
    return story


def reply(**fields: object) -> c.ResolveTicket:
    return EMPTY_REPLY.model_copy(update=fields)


@pytest.mark.parametrize(
    ("kind", "fields", "stamped", "missing", "rule"),
    [
        (TicketKind.fault, {}, False, (P.restore_time, P.cause_and_result), "TT-8.3"),
        (TicketKind.fault, {"cause": "c"}, False, (P.restore_time, P.cause_and_result), "TT-8.3"),
        (TicketKind.fault, {"cause": "c", "result": "r"}, False, (P.restore_time,), "TT-8.3"),
        (TicketKind.fault, {"cause": "  ", "result": "r"}, True, (P.cause_and_result,), "TT-8.3"),
        (TicketKind.complaint, {}, False, (P.resolution_time, P.complaint_cause), "TT-8.4"),
        (TicketKind.complaint, {}, True, (P.complaint_cause,), "TT-8.4"),
        (TicketKind.complaint, {"cause": "c"}, False, (P.resolution_time,), "TT-8.4"),
    ],
)
def test_incomplete_reply_is_accepted_and_flagged_once(
    kind: TicketKind, fields: dict[str, str], stamped: bool, missing: tuple[P, ...], rule: str
) -> None:
    story = replying(kind)
    events = story.do(reply(**fields, completed_at=story.now if stamped else None))
    assert isinstance(events[0], Resolved)
    assert story.state.status is Status.resolved  # accepted, not refused
    flags = [e for e in events if isinstance(e, ReplyIncomplete)]
    assert len(flags) == 1  # RULEBOOK §9.6: one fine per act
    assert flags[0].missing == missing
    assert flags[0].rule_id == rule
    assert flags[0].department == "D1" and flags[0].actor == "tech-1"


@pytest.mark.parametrize("kind", [TicketKind.fault, TicketKind.complaint])
def test_complete_reply_is_not_flagged(kind: TicketKind) -> None:
    story = replying(kind)
    events = story.do(reply(completed_at=story.now, cause="c", result="r"))
    assert [type(e) for e in events] == [Resolved]
    assert events[0].late is False


@pytest.mark.parametrize(
    "kind", [TicketKind.inquiry, TicketKind.suggestion, TicketKind.install, TicketKind.business]
)
def test_kinds_without_three_clears_are_never_flagged(kind: TicketKind) -> None:
    assert [type(e) for e in replying(kind).do(EMPTY_REPLY)] == [Resolved]


def test_late_reply_needs_delay_reason() -> None:
    story = replying(due_in=timedelta(hours=1))
    events = story.do(reply(cause="c", result="r"), after=timedelta(hours=2))
    assert events[0].late is True
    assert events[1].missing == (P.restore_time, P.delay_reason)
    assert story.state.reply_late is True


def test_completion_exactly_at_due_is_on_time() -> None:
    story = replying(due_in=timedelta(hours=1))
    due = story.state.due_at
    events = story.do(reply(completed_at=due, cause="c", result="r"), after=timedelta(hours=2))
    assert events[0].late is False  # RULEBOOK §9.1 inclusive deadline
    story = replying(due_in=timedelta(hours=1))
    events = story.do(
        reply(completed_at=due + timedelta(seconds=1), cause="c", result="r"), after=timedelta(hours=2)
    )
    assert events[0].late is True and events[1].missing == (P.delay_reason,)


def test_customer_pause_extends_the_due_time() -> None:
    story = replying(due_in=timedelta(hours=1))
    story.do(c.PauseTicket(**who(Role.technician), reason="customer-not-home"))
    story.do(c.ResumeTicket(**who(Role.technician)), after=timedelta(hours=2))
    assert story.state.paused_seconds == 7200
    events = story.do(reply(completed_at=story.now, cause="c", result="r"))
    assert events[0].late is False


def test_reported_delay_makes_the_reply_late_and_reason_required() -> None:
    story = replying()
    story.do(c.ReportDelay(**who(Role.handler), supervising_department="NOC", reason="缺料"))  # TT-9.3
    events = story.do(reply(completed_at=story.now, cause="c", result="r", delay_reason="等待备件"))
    assert events[0].late is True and len(events) == 1


@pytest.mark.parametrize(
    "offset, reason", [(timedelta(minutes=5), "later than the reply"), (-timedelta(days=1), "before")]
)
def test_completion_time_outside_ticket_life_is_refused(offset: timedelta, reason: str) -> None:
    story = replying()
    now = story.now + timedelta(minutes=1)
    with pytest.raises(CommandRefused, match=reason):
        story.do(reply(completed_at=now + offset, cause="c", result="r"))


def resolved(kind: TicketKind = TicketKind.fault) -> Story:
    story = replying(kind)
    story.do(reply(completed_at=story.now, cause="c", result="r"))
    return story


def test_callback_lists_every_unasked_question_tt_8_13() -> None:
    story = resolved()
    events = story.do(c.RecordCallback(**who(), reached=True, satisfied=True))
    assert isinstance(events[0], CallbackDone)
    assert events[0].missing == (Q.done, Q.when, Q.feedback_form_signed)
    assert story.state.status is Status.called_back


def test_delay_question_only_for_late_tickets() -> None:
    on_time = resolved().do(SATISFIED)
    assert on_time[0].missing == ()
    story = replying(due_in=timedelta(minutes=1))
    story.do(reply(cause="c", result="r", delay_reason="d"), after=timedelta(hours=1))
    late = story.do(SATISFIED)
    assert late[0].missing == (Q.delay_reason_verified,)
    story = replying(due_in=timedelta(minutes=1))
    story.do(reply(cause="c", result="r", delay_reason="d"), after=timedelta(hours=1))
    assert story.do(SATISFIED.model_copy(update={"delay_reason_verified": True}))[0].missing == ()


def test_unreached_callback_keeps_ticket_resolved() -> None:
    story = resolved()
    events = story.do(c.RecordCallback(**who(), reached=False))
    assert events[0].reached is False and events[0].missing == ()
    assert story.state.status is Status.resolved
    assert story.state.callbacks_unreached == 1


def test_unreached_callback_with_answers_is_refused() -> None:
    with pytest.raises(CommandRefused, match="did not reach"):
        resolved().do(c.RecordCallback(**who(), reached=False, satisfied=True))


def test_dissatisfied_reopens_then_escalates_then_deputy_gm_closes() -> None:
    story = resolved()
    events = story.do(DISSATISFIED)  # NJ-4.2.3 / GX-5.1.5 round 1 -> round 2
    assert [type(e) for e in events] == [CallbackDone, TicketReopened]
    assert events[1].round == 2 and events[1].department == "D1" and events[1].technician == "tech-1"
    assert story.state.status is Status.reopened and story.state.round == 2
    for command in (ACCEPT, CONTACT, FULL_REPLY):
        story.do(command)
    assert story.state.status is Status.resolved
    events = story.do(DISSATISFIED)  # round 2 dissatisfied -> deputy GM
    assert [type(e) for e in events] == [CallbackDone, TicketEscalated]
    assert events[1].to_role is Role.deputy_gm and events[1].round == 2
    assert story.state.status is Status.escalated
    with pytest.raises(CommandRefused, match="deputy GM"):
        story.do(DECIDE.model_copy(update={"role": Role.supervisor}))
    story.do(DECIDE)
    assert story.state.status is Status.closed
    story.do(ARCHIVE)  # callbacks were done: no exemption needed
    assert story.state.status is Status.archived


def test_reopen_resets_round_scoped_facts() -> None:
    story = replying(due_in=timedelta(minutes=1))
    story.do(c.ReportDelay(**who(Role.handler), supervising_department="NOC", reason="r"))
    story.do(reply(cause="c", result="r", delay_reason="d"), after=timedelta(hours=1))
    story.do(DISSATISFIED)
    s = story.state
    assert (s.due_at, s.delay_reported, s.reply_late, s.resolved_at, s.paused_seconds) == (
        None,
        False,
        False,
        None,
        0,
    )
