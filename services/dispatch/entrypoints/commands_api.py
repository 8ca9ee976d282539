"""POST /tickets/{id}/<command>: each route turns a request body into a ticket command (RULEBOOK §3)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, create_model

from services.dispatch.domain import commands as c
from services.dispatch.service_layer.tickets import execute
from shared.http.acting import FieldTimeDep, acting_role
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey, StoredResponse, request_fingerprint, run_idempotent
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep

router = APIRouter(tags=["ticket commands"])
FIELD = (Role.HANDLER, Role.TECHNICIAN)
DESK = (Role.DISPATCHER, Role.SUPERVISOR)
CARE = (Role.AGENT, Role.SUPERVISOR)

#: path, command, roles allowed (admin always), summary
ROUTES: tuple[tuple[str, type[c.Command], tuple[Role, ...], str], ...] = (
    ("dispatch", c.DispatchTicket, DESK, "派单: dispatch to a department, optionally a technician"),
    ("redispatch", c.RedispatchTicket, DESK, "Re-dispatch with a reason (wrong-* reasons are TT-8.10)"),
    ("accept", c.AcceptTicket, (*FIELD, Role.DISPATCHER), "The responsible department accepts"),
    ("desk-notifications", c.NotifyDispatchDesk, (Role.AGENT, *DESK),
     "TT-8.7: the dispatch desk was notified of a VIP or mass fault"),
    ("contact", c.EstablishContact, FIELD, "联系用户: customer reached (TT-9.2)"),
    ("appointments", c.BookAppointment, FIELD, "预约: book a visit window"),
    ("appointments/rebook", c.RebookAppointment, FIELD, "改约: rebook with the customer's consent"),
    ("appointments/missed", c.RecordMissedAppointment, FIELD,
     "失约: appointment missed (staff cause: TT-9.11); on site, the customer's no-show (§9.16)"),
    ("arrival", c.RecordArrival, FIELD, "Arrived on site"),
    ("work-completed", c.RecordWorkCompleted, FIELD, "GX-5.1.4: the work on site is finished"),
    ("results", c.EnterResult, (*FIELD, Role.DISPATCHER), "GX-5.1.4: the work's result entered in the system"),
    ("reclassify", c.ReclassifyTicket, (Role.AGENT, *DESK), "Change kind, priority, segment, product or area"),
    ("pause", c.PauseTicket, (*FIELD, Role.DISPATCHER), "Pause for a customer-caused wait (RULEBOOK §4)"),
    ("resume", c.ResumeTicket, (*FIELD, Role.DISPATCHER), "Resume after a customer-caused wait"),
    ("delay-reports", c.ReportDelay, FIELD, "Report a delay to the supervising department (TT-9.3)"),
    ("resolve", c.ResolveTicket, FIELD, "回单: the reply with the three-clears (TT-8.3/8.4)"),
    ("corrective-actions", c.FileCorrectiveAction, (Role.HANDLER, Role.SUPERVISOR), "CAPA record (NJ-4.2.2)"),
    ("callbacks", c.RecordCallback, (Role.AGENT,), "回访: callback with the TT-8.13 questions"),
    ("escalation-decision", c.DecideEscalation, (Role.DEPUTY_GM,), "The deputy GM's final answer (NJ-4.2.3)"),
    ("archive", c.ArchiveTicket, CARE, "消记归档: archive after callback or an allowed exemption"),
    ("escalation-complaints", c.RecordEscalationComplaint, CARE, "越级投诉 received (TT-9bis)"),
    ("escalation-complaints/answers", c.HandleEscalationComplaint, (*CARE, Role.HANDLER),
     "TT-9bis.14: an escalation complaint answered (within 24 h)"),
    ("churn", c.RecordChurn, CARE, "离网: the customer left"),
    ("recordings", c.AttachCallRecording, (Role.IVR, Role.AGENT), "Attach a call recording (CT-3.3.1)"),
)


class _Body(BaseModel):
    """Lengths, formats and control characters are the command's own field types (shared/inputs.py)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def body_model(command: type[c.Command]) -> type[BaseModel]:
    """The request body of a command: its fields without who acts (that comes from the API key)."""
    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in command.model_fields.items()
                              if name not in ("actor", "role")}
    return create_model(f"{command.__name__}Body", __base__=_Body, **fields)


def _register(path: str, command: type[c.Command], roles: tuple[Role, ...], summary: str) -> None:
    body_type = body_model(command)

    async def endpoint(
        ticket_id: uuid.UUID,
        body: body_type,  # type: ignore[valid-type]
        rt: RuntimeDep,
        principal: Annotated[Principal, Depends(require(*roles))],
        field_time: FieldTimeDep,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        data = body.model_dump()
        cmd = command(actor=principal.name, role=acting_role(principal), **data)
        fingerprint = request_fingerprint("POST", f"/tickets/{ticket_id}/{path}", body.model_dump(mode="json"))

        async def operation(uow: UnitOfWork) -> StoredResponse:
            outcome = await execute(uow, ticket_id, cmd, principal.role, field_time)
            return StoredResponse(200, outcome.body())

        response, replayed = await run_idempotent(rt.new_uow, rt.spec.tables, principal.name, idempotency_key,
                                                  fingerprint, operation)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(response.body, status_code=response.status_code, headers=headers)

    endpoint.__name__ = f"post_{path.replace('/', '_').replace('-', '_')}"
    router.add_api_route(f"/tickets/{{ticket_id}}/{path}", endpoint, methods=["POST"], summary=summary,
                         responses=error_responses(409))


for _route in ROUTES:
    _register(*_route)
