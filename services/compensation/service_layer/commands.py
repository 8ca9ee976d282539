"""Commands on claims: exemptions (CT-3.2), the customer's dispute (CT-3.3.1), a supervisor's confirmation of a
backdated completion's field time (RULEBOOK §9.13). Each stores its input and recomputes the ticket's claims."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from services.compensation.adapters.tables import claims as T
from services.compensation.adapters.tables import journal as J
from services.compensation.adapters.tables import observed
from services.compensation.domain.claims import exemption_problem
from services.compensation.service_layer.claims import recompute
from services.compensation.service_layer.config import CompensationConfig
from shared import limits
from shared.errors import Conflict, Invalid, NotFound
from shared.inputs import Line, Text
from shared.messaging.unit_of_work import UnitOfWork


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordExemption(_Body):
    """CT-3.2: a reason code and its evidence note; `promise` (install, repair, …) or the whole ticket."""

    code: Line(40)
    note: Text()
    promise: Line(80) | None = None
    cause: Line(40) | None = None
    recording_ref: Line(limits.REFERENCE) | None = None


class DisputeExemption(_Body):
    """CT-3.3.1: the customer disputes the exemption; without a call recording it is void."""

    note: Text()
    recording_ref: Line(limits.REFERENCE) | None = None


class ConfirmFieldTime(_Body):
    """RULEBOOK §9.13: a supervisor confirms the backdated completion's field time, with a reason."""

    reason: Text()


async def journal(uow: UnitOfWork, kind: str, ref: uuid.UUID) -> None:
    """Note the command's place in the order of commands (what `gongdan replay compensation` follows)."""
    await uow.conn.execute(J.insert().values(kind=kind, ref=ref, at=uow.now()))


def _fields(field: str, rule: str, message: str) -> list[dict[str, str]]:
    return [{"field": field, "in": "body", "rule": rule, "message": message}]


async def _known(uow: UnitOfWork, ticket_id: uuid.UUID) -> None:
    t = observed.tickets
    if (await uow.conn.execute(select(t.c.ticket_id).where(t.c.ticket_id == ticket_id))).first() is None:
        raise NotFound(f"ticket {ticket_id} not seen by compensation (yet)")


async def record_exemption(uow: UnitOfWork, ticket_id: uuid.UUID, body: RecordExemption, by: str) -> dict[str, Any]:
    await _known(uow, ticket_id)
    cfg: CompensationConfig = uow.config
    for scheme in cfg.schemes.schemes.values():
        problem = exemption_problem(scheme.exemptions, body.code, body.cause)
        if problem is not None:
            rule, why = problem
            field = "cause" if "cause" in why and rule != "CT-4.8" else "code"
            raise Invalid(why, fields=_fields(field, rule, why))
    exemption_id = uuid.uuid4()
    await uow.conn.execute(insert(T.exemptions).values(
        exemption_id=exemption_id, ticket_id=ticket_id, promise=body.promise, code=body.code, cause=body.cause,
        note=body.note, recording_ref=body.recording_ref, recorded_by=by, recorded_at=uow.now()))
    await journal(uow, "exemption", exemption_id)
    claims = await recompute(uow, ticket_id)
    return {"exemption_id": str(exemption_id), "ticket_id": str(ticket_id), "claims": [claim_view(c) for c in claims]}


async def dispute(uow: UnitOfWork, exemption_id: uuid.UUID, body: DisputeExemption, by: str) -> dict[str, Any]:
    x = T.exemptions
    row = (await uow.conn.execute(select(x).where(x.c.exemption_id == exemption_id).with_for_update())).first()
    if row is None:
        raise NotFound(f"no exemption {exemption_id}")
    if row.disputed_at is not None:
        raise Conflict("the exemption is already disputed", current_state="disputed")
    values: dict[str, Any] = {"disputed_at": uow.now(), "disputed_by": by, "dispute_note": body.note}
    if body.recording_ref and not row.recording_ref:
        values["recording_ref"] = body.recording_ref
    await uow.conn.execute(update(x).where(x.c.exemption_id == exemption_id).values(**values))
    await journal(uow, "dispute", exemption_id)
    claims = await recompute(uow, row.ticket_id)
    return {"exemption_id": str(exemption_id), "ticket_id": str(row.ticket_id),
            "claims": [claim_view(c) for c in claims]}


async def confirm_field_time(uow: UnitOfWork, ticket_id: uuid.UUID, body: ConfirmFieldTime, by: str) -> dict[str, Any]:
    await _known(uow, ticket_id)
    c = T.confirmations
    await uow.conn.execute(insert(c).values(ticket_id=ticket_id, confirmed_by=by, reason=body.reason,
                                            confirmed_at=uow.now()).on_conflict_do_nothing())
    await journal(uow, "confirmation", ticket_id)
    claims = await recompute(uow, ticket_id)
    return {"ticket_id": str(ticket_id), "confirmed_by": by, "claims": [claim_view(c) for c in claims]}


def claim_view(row: dict[str, Any]) -> dict[str, Any]:
    iso = (lambda t: t.isoformat() if t else None)
    return {"claim_id": str(row["claim_id"]), "ticket_id": str(row["ticket_id"]), "number": row["number"],
            "scheme": row["scheme"], "promise": row["promise"], "clause": row["clause"], "status": row["status"],
            "amount": row["amount"], "currency": row["currency"], "unit": row["unit"], "days_late": row["days_late"],
            "deadline": iso(row["deadline"]), "completion": iso(row["completion"]),
            "payment_due_at": iso(row["payment_due_at"]), "payout_state": row["payout_state"],
            "paid_at": iso(row["paid_at"]), "top_up_ref": row["top_up_ref"], "evidence": row["evidence"]}
