"""Internal mail (TT-8.2: replied within 72 h) and web-forum posts (CS-8: replied within 4 h): received → replied."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from services.dispatch.domain.work_items import (
    Acting,
    ItemCommand,
    ItemState,
    Series,
    WorkItemRefused,
    field_time,
)
from shared import limits
from shared.events.lifecycle.work_items import ForumPostPublished, ForumPostReplied, MailReceived, MailReplied
from shared.inputs import Line, Text

CUSTOMER_SERVICE = "customer-service"  # who answers the forum unless told otherwise (CS-8)
Department = Line(limits.DEPARTMENT)
Note = Text(limits.FREE_TEXT)


class ReceiveMail(ItemCommand):
    """An internal mail reached a department; `occurred_at` is when it arrived."""

    subject: Line(limits.FREE_TEXT)
    sender: Line(limits.PERSON)
    department: Department = Field(description="The department that must reply (and pays a late one, TT-8.2)")
    reference: Line(limits.REFERENCE) | None = Field(None, description="The mail system's message id")


class ReplyToMail(ItemCommand):
    summary: Note
    reference: Line(limits.REFERENCE) | None = None


class PublishForumPost(ItemCommand):
    """A customer's post on the web forum; `occurred_at` is when it was published."""

    forum: Line(limits.REFERENCE)
    title: Line(limits.FREE_TEXT)
    author: Line(limits.PERSON)
    url: Line(limits.REFERENCE) | None = None
    department: Department | None = Field(None, description=f"Who must reply; default {CUSTOMER_SERVICE}")


class ReplyToForumPost(ItemCommand):
    summary: Note
    url: Line(limits.REFERENCE) | None = None


REPLIED = {Series.mail: "MailReplied", Series.forum_post: "ForumPostReplied"}


def status(state: ItemState) -> str:
    """received (mail) / published (forum post) until replied."""
    if state.did(REPLIED[state.series]):
        return "replied"
    return "received" if state.series is Series.mail else "published"


def receive(cmd: ReceiveMail, mail_id: uuid.UUID, number: str, by: Acting) -> MailReceived:
    return MailReceived(mail_id=mail_id, number=number, actor=by.actor, role=by.role, subject=cmd.subject,
                        sender=cmd.sender, department=cmd.department, reference=cmd.reference)


def publish(cmd: PublishForumPost, post_id: uuid.UUID, number: str, by: Acting) -> ForumPostPublished:
    return ForumPostPublished(post_id=post_id, number=number, actor=by.actor, role=by.role, forum=cmd.forum,
                              title=cmd.title, author=cmd.author, url=cmd.url,
                              department=cmd.department or CUSTOMER_SERVICE)


def reply(state: ItemState, cmd: ReplyToMail | ReplyToForumPost, by: Acting,
          now: datetime) -> tuple[list[MailReplied | ForumPostReplied], datetime]:
    """The reply, once; `WorkItemRefused` (409) when already replied or the command is for the other series."""
    current = status(state)
    at = field_time(current, state.last_event_at, cmd.occurred_at, now)
    if (done := state.did(REPLIED[state.series])) is not None:
        raise WorkItemRefused(current, f"already replied at {done.isoformat()}")
    if isinstance(cmd, ReplyToMail) and state.series is Series.mail:
        return [MailReplied(mail_id=state.item_id, actor=by.actor, role=by.role, summary=cmd.summary,
                            reference=cmd.reference)], at
    if isinstance(cmd, ReplyToForumPost) and state.series is Series.forum_post:
        return [ForumPostReplied(post_id=state.item_id, actor=by.actor, role=by.role, summary=cmd.summary,
                                 url=cmd.url)], at
    raise TypeError(f"{type(cmd).__name__} does not reply to a {state.series.value}")
