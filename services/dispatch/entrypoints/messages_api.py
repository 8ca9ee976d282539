"""Internal mail (TT-8.2, 72 h) and web-forum posts (CS-8, 4 h): received or published, then replied; read them."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from services.dispatch.domain import messages as msg
from services.dispatch.domain.work_items import Series
from services.dispatch.entrypoints.network_api import run_write
from services.dispatch.service_layer import work_items
from shared import limits
from shared.http.acting import FieldTimeDep
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey
from shared.inputs import Line
from shared.service import RuntimeDep

router = APIRouter(tags=["mail and forum posts"])
MailDesk = Annotated[Principal, Depends(require(Role.AGENT, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR))]
ForumDesk = Annotated[Principal, Depends(require(Role.AGENT, Role.SUPERVISOR))]
ForumReplier = Annotated[Principal, Depends(require(Role.AGENT, Role.SUPERVISOR, Role.HANDLER))]
Reader = Annotated[Principal, Depends(require(Role.AGENT, Role.DISPATCHER, Role.HANDLER, Role.SUPERVISOR,
                                              Role.OPS))]


@router.post("/mail", status_code=201, responses=error_responses(422),
             summary="An internal mail reached a department (MailReceived, TT-8.2), numbered YEAR-ML-…")
async def receive_mail(body: msg.ReceiveMail, rt: RuntimeDep, principal: MailDesk, field_time: FieldTimeDep,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    tz = ZoneInfo(rt.settings.gongdan_tz)
    return await run_write(rt, principal, idempotency_key, "/mail", body, 201,
                           lambda uow: work_items.open_item(uow, Series.mail, body, principal, field_time, tz))


@router.post("/mail/{mail_id}/reply", responses=error_responses(404, 409, 422),
             summary="The department answered the mail (MailReplied)")
async def reply_mail(mail_id: uuid.UUID, body: msg.ReplyToMail, rt: RuntimeDep, principal: MailDesk,
                     field_time: FieldTimeDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(
        rt, principal, idempotency_key, f"/mail/{mail_id}/reply", body, 200,
        lambda uow: work_items.act(uow, Series.mail, mail_id, body, principal, field_time,
                                   lambda state, by, now: msg.reply(state, body, by, now)))


@router.get("/mail/{mail_id}", summary="A mail with its timeline", responses=error_responses(404))
async def read_mail(mail_id: uuid.UUID, rt: RuntimeDep, _: Reader, field_time: FieldTimeDep) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await work_items.get_item(uow, Series.mail, mail_id, field_time.flag_backdated_after)


@router.get("/mail", summary="Mail, newest first")
async def list_mail(rt: RuntimeDep, _: Reader,
                    state: Literal["received", "replied"] | None = None,
                    department: Line(limits.DEPARTMENT) | None = None,
                    limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await work_items.list_items(uow, Series.mail, {"state": state, "department": department}, limit)


@router.post("/forum-posts", status_code=201, responses=error_responses(422),
             summary="A customer's web-forum post (ForumPostPublished, CS-8), numbered YEAR-FP-…")
async def publish_post(body: msg.PublishForumPost, rt: RuntimeDep, principal: ForumDesk, field_time: FieldTimeDep,
                       idempotency_key: IdempotencyKey = None) -> JSONResponse:
    tz = ZoneInfo(rt.settings.gongdan_tz)
    return await run_write(rt, principal, idempotency_key, "/forum-posts", body, 201,
                           lambda uow: work_items.open_item(uow, Series.forum_post, body, principal, field_time, tz))


@router.post("/forum-posts/{post_id}/reply", responses=error_responses(404, 409, 422),
             summary="Customer service replied on the forum (ForumPostReplied)")
async def reply_post(post_id: uuid.UUID, body: msg.ReplyToForumPost, rt: RuntimeDep, principal: ForumReplier,
                     field_time: FieldTimeDep, idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(
        rt, principal, idempotency_key, f"/forum-posts/{post_id}/reply", body, 200,
        lambda uow: work_items.act(uow, Series.forum_post, post_id, body, principal, field_time,
                                   lambda state, by, now: msg.reply(state, body, by, now)))


@router.get("/forum-posts/{post_id}", summary="A forum post with its timeline", responses=error_responses(404))
async def read_post(post_id: uuid.UUID, rt: RuntimeDep, _: Reader, field_time: FieldTimeDep) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await work_items.get_item(uow, Series.forum_post, post_id, field_time.flag_backdated_after)


@router.get("/forum-posts", summary="Forum posts, newest first")
async def list_posts(rt: RuntimeDep, _: Reader,
                     state: Literal["published", "replied"] | None = None,
                     limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return await work_items.list_items(uow, Series.forum_post, {"state": state}, limit)
