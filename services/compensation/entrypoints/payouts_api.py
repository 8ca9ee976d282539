"""Payout batches for finance (issue 11): cut, list, read, export CSV/XLSX, mark lines, reconcile."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from services.compensation.entrypoints.api import LimitQ, run_write
from services.compensation.service_layer import payouts
from shared import limits
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey
from shared.inputs import Instant, Line, Text
from shared.service import RuntimeDep

router = APIRouter(tags=["payout batches"])
Finance = Annotated[Principal, Depends(require(Role.FINANCE))]
Reader = Annotated[Principal, Depends(require(Role.FINANCE, Role.OPS))]


class CutBatch(BaseModel):
    """Every payable, unpaid claim of this currency completed by `cut_off`."""

    model_config = ConfigDict(extra="forbid")
    cut_off: Instant
    currency: Literal["CNY", "GBP"] = "CNY"


class LinePaid(BaseModel):
    model_config = ConfigDict(extra="forbid")
    top_up_ref: Line(limits.REFERENCE)


class LineFailed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text()


@router.post("/payout-batches", status_code=201, responses=error_responses(409),
             summary="Cut a payout batch (Idempotency-Key: the same key is the same batch)")
async def cut(body: CutBatch, rt: RuntimeDep, principal: Finance,
              idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(rt, principal, idempotency_key, "/payout-batches", body, 201,
                           lambda uow: payouts.cut_batch(uow, body.cut_off, body.currency, principal.name))


@router.get("/payout-batches", summary="Payout batches, newest first")
async def batches(rt: RuntimeDep, _: Reader, limit: LimitQ = 100) -> dict[str, Any]:
    async with rt.new_uow() as uow:
        return {"batches": await payouts.list_batches(uow, limit)}


@router.get("/payout-batches/{batch_id}", summary="A batch and its lines", responses=error_responses(404))
async def batch(batch_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    """`lines`: the live lines (pending, paid, failed), adding up to `total`; `removed`: lines whose claim stopped
    being payable before payment (an exemption recorded late, CT-3.2), with why; `clawbacks`: paid claims that
    stopped being payable, the amount to recover (`open`), or `cancelled` when a dispute voided the exemption."""
    async with rt.new_uow() as uow:
        return await payouts.batch_view(uow, batch_id)


@router.get("/payout-batches/{batch_id}/export", summary="The batch as CSV or XLSX for the top-up system",
            responses={**error_responses(404), 200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-"
                                                                 "officedocument.spreadsheetml.sheet": {}}}})
async def export(batch_id: uuid.UUID, rt: RuntimeDep, _: Reader,
                 format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    async with rt.new_uow() as uow:
        view = await payouts.batch_view(uow, batch_id)
    name = f"{view['number']}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":
        return Response(payouts.to_csv(view), media_type="text/csv; charset=utf-8", headers=headers)
    return Response(payouts.to_xlsx(view), headers=headers,
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.post("/payout-batches/{batch_id}/lines/{line_id}/paid", responses=error_responses(404, 409),
             summary="The top-up was made: the claim is paid (CompensationPaid)")
async def paid(batch_id: uuid.UUID, line_id: uuid.UUID, body: LinePaid, rt: RuntimeDep, principal: Finance,
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(rt, principal, idempotency_key, f"/payout-batches/{batch_id}/lines/{line_id}/paid", body,
                           200, lambda uow: payouts.mark_line(uow, batch_id, line_id, paid=True,
                                                              reference=body.top_up_ref, by=principal.name))


@router.post("/payout-batches/{batch_id}/lines/{line_id}/failed", responses=error_responses(404, 409),
             summary="The top-up failed: the claim goes into a later batch")
async def failed(batch_id: uuid.UUID, line_id: uuid.UUID, body: LineFailed, rt: RuntimeDep, principal: Finance,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await run_write(rt, principal, idempotency_key, f"/payout-batches/{batch_id}/lines/{line_id}/failed", body,
                           200, lambda uow: payouts.mark_line(uow, batch_id, line_id, paid=False,
                                                              reference=body.reason, by=principal.name))


@router.get("/payout-batches/{batch_id}/reconciliation", responses=error_responses(404),
            summary="Lines = batch total = claims marked paid, to the fen; removed lines and clawbacks beside")
async def reconcile(batch_id: uuid.UUID, rt: RuntimeDep, _: Reader) -> dict[str, Any]:
    """`balanced`: lines total = batch total and paid lines = claims marked paid. `removed` / `removed_lines`: left
    the batch before payment (not in the total); `clawbacks` / `clawback_count`: open clawbacks of paid claims;
    `net_paid` = paid − clawbacks. All in the batch currency's minor unit."""
    async with rt.new_uow() as uow:
        return await payouts.reconciliation(uow, batch_id)
