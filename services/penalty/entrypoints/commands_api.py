"""Penalty ledger writes (issue 10): manual assessment, monthly review and close (TT-12), appeals (NJ-4.3.6).

Every write takes an Idempotency-Key: a retry returns the first answer and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.penalty.service_layer import commands as cmd
from shared import limits
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.errors import DomainError
from shared.http.idempotency import IdempotencyKey, idempotent_json
from shared.inputs import Instant, Line, Text
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep

router = APIRouter(tags=["penalty review"])
Ops = Annotated[Principal, Depends(require(Role.OPS))]
Filer = Annotated[Principal, Depends(require(Role.HANDLER, Role.SUPERVISOR))]
Stepper = Annotated[Principal, Depends(require(Role.COMPREHENSIVE, Role.SUPERVISOR, Role.DEPUTY_GM, Role.GM))]
Step = Literal["comprehensive-review", "customer-service-review", "deputy-gm-approval", "gm-approval"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PayerIn(_Body):
    kind: Literal["department", "department-head", "person"]
    id: Line(limits.DEPARTMENT)


class ManualAssessment(_Body):
    clause: Line(limits.RULE_ID) = Field(description="A clause id of the deployment's policy (e.g. TT-8.5)")
    payer: PayerIn
    person: Line(limits.PERSON) | None = Field(None, description="Responsible person named on the entry")
    leader: Line(limits.PERSON) | None = Field(None, description="Direct leader, for person-and-leader clauses")
    ticket_id: uuid.UUID | None = None
    amount_fen: int | None = Field(None, ge=0, le=100_000_000, description="Only for clauses with a range amount")
    evidence_note: Text() = Field(description="What happened and how it is known")
    attachment: Line(limits.REFERENCE) | None = Field(None, description="Reference of the evidence document")
    occurred_at: Instant | None = Field(None, description="When it happened (default now): sets the month")


class Review(_Body):
    action: Literal["confirm", "modify", "cancel"]
    amount_fen: int | None = Field(None, ge=0, le=100_000_000, description="The modified amount (modify)")
    reason: Text() | None = Field(None, description="Required to modify or cancel")


class AppealIn(_Body):
    grounds: Text()


class StepIn(_Body):
    approve: bool
    note: Text() | None = None


async def _idempotent(rt: Any, principal: Principal, key: str | None, path: str, body: Any, status: int,
                      operation: Callable[[UnitOfWork], Awaitable[dict[str, Any]]]) -> JSONResponse:
    return await idempotent_json(rt.new_uow, rt.spec.tables, principal.name, key, ("POST", path, body), status,
                                 operation)


@router.post("/penalties", summary="Manual assessment by ops (clauses no event detects)", status_code=201,
             responses=error_responses(409))
async def assess(body: ManualAssessment, rt: RuntimeDep, principal: Ops,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    manual = cmd.Manual(body.clause, body.payer.kind, body.payer.id, body.person, body.leader, body.ticket_id,
                        body.amount_fen, body.evidence_note, body.attachment,
                        body.occurred_at or rt.clock.now(), principal.name)
    return await _idempotent(rt, principal, idempotency_key, "/penalties", body.model_dump(mode="json"), 201,
                             lambda uow: cmd.assess_manually(uow, rt.config, manual))


@router.post("/penalties/{entry_id}/review", summary="TT-12: confirm, modify (with a reason) or cancel",
             responses=error_responses(409))
async def review(entry_id: uuid.UUID, body: Review, rt: RuntimeDep, principal: Ops,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _idempotent(rt, principal, idempotency_key, f"/penalties/{entry_id}/review",
                             body.model_dump(mode="json"), 200,
                             lambda uow: cmd.review_entry(uow, rt.config, entry_id, body.action, body.amount_fen,
                                                          body.reason, principal.name))


@router.post("/penalty-months/{month}/close", summary="Close (lock) a month once every entry is reviewed",
             responses=error_responses(409))
async def close(month: Annotated[str, Path(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$")], rt: RuntimeDep, principal: Ops,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _idempotent(rt, principal, idempotency_key, f"/penalty-months/{month}/close", {}, 200,
                             lambda uow: cmd.close_month(uow, month, principal.name))


@router.post("/penalties/{entry_id}/appeals", summary="NJ-4.3.6: the payer's department appeals", status_code=201,
             responses=error_responses(409))
async def appeal(entry_id: uuid.UUID, body: AppealIn, rt: RuntimeDep, principal: Filer,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _idempotent(rt, principal, idempotency_key, f"/penalties/{entry_id}/appeals",
                             body.model_dump(mode="json"), 201,
                             lambda uow: cmd.file_appeal(uow, entry_id, body.grounds, principal.name))


@router.post("/appeals/{appeal_id}/steps/{step}", summary="One appeal step by its own role: comprehensive-review "
             "(comprehensive), customer-service-review (supervisor), deputy-gm-approval (deputy-gm), gm-approval (gm)",
             responses=error_responses(409))
async def appeal_step(appeal_id: uuid.UUID, step: Step, body: StepIn, rt: RuntimeDep, principal: Stepper,
                      idempotency_key: IdempotencyKey = None) -> JSONResponse:
    if principal.role is not Role.ADMIN and principal.role.value != cmd.STEP_ROLES[step]:
        raise DomainError(403, f"{step} is recorded by role {cmd.STEP_ROLES[step]}")
    return await _idempotent(rt, principal, idempotency_key, f"/appeals/{appeal_id}/steps/{step}",
                             body.model_dump(mode="json"), 200,
                             lambda uow: cmd.appeal_step(uow, rt.config, appeal_id, step, body.approve, body.note,
                                                         principal.name, principal.role.value))


@router.get("/appeals/{appeal_id}", tags=["penalty review"], summary="An appeal, its steps and what comes next")
async def get_appeal(appeal_id: uuid.UUID, rt: RuntimeDep,
                     _: Annotated[Principal, Depends(require(Role.OPS, Role.FINANCE, Role.HANDLER, Role.SUPERVISOR,
                                                             Role.COMPREHENSIVE, Role.DEPUTY_GM, Role.GM))]) -> dict:
    async with rt.new_uow() as uow:
        return await cmd.appeal_view(uow, appeal_id)
