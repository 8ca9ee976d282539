"""The directory API (issue 8): `admin` creates and changes departments, people and districts; everyone reads.

Every change is published on `gongdan.directory`, so every service keeps its own copy (shared/directory_copy.py).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.dispatch.adapters.directory_tables import directory as tables
from services.dispatch.domain.directory import (
    DepartmentChange,
    DepartmentIn,
    DirectoryDocument,
    DistrictChange,
    DistrictIn,
    PersonChange,
    PersonIn,
)
from services.dispatch.service_layer import directory
from shared.directory_copy import DEPARTMENT_ID, DISTRICT_ID, KINDS, PERSON_ID
from shared.events.directory import EntryKind
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.http.idempotency import IdempotencyKey, idempotent_json
from shared.inputs import Line
from shared.messaging.unit_of_work import UnitOfWork
from shared.service import RuntimeDep, ServiceRuntime

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
#: Everyone with a key may read the directory (who heads what, who leads whom, which district is rural).
READERS = tuple(role for role in Role if role is not Role.IVR)

router = APIRouter(tags=["directory"])
router.include_router(tables.router(READERS, copy_of=None))


async def _run(rt: ServiceRuntime, principal: Principal, key: str | None, method: str, path: str, body: BaseModel,
               status: int, work: Callable[[UnitOfWork], Awaitable[dict[str, Any]]]) -> JSONResponse:
    # A PATCH's fingerprint tells `{"head": null}` (clear it) from `{}` (change nothing).
    request = (method, path, body.model_dump(mode="json", exclude_unset=method == "PATCH"))
    return await idempotent_json(rt.new_uow, rt.spec.tables, principal.name, key, request, status, work)


def _register(kind: EntryKind, new: type[BaseModel], change: type[BaseModel], id_size: int) -> None:
    path = KINDS[kind].path

    async def create(body: new, rt: RuntimeDep, principal: Admin,  # type: ignore[valid-type]
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return await _run(rt, principal, idempotency_key, "POST", f"/directory/{path}", body, 201,
                          lambda uow: directory.write(uow, kind, body, principal))

    async def update(entry_id: Line(id_size), body: change, rt: RuntimeDep, principal: Admin,  # type: ignore[valid-type]
                     idempotency_key: IdempotencyKey = None) -> JSONResponse:
        return await _run(rt, principal, idempotency_key, "PATCH", f"/directory/{path}/{entry_id}", body, 200,
                          lambda uow: directory.write(uow, kind, body, principal, entry_id))

    create.__name__, update.__name__ = f"create_{kind}", f"update_{kind}"
    router.add_api_route(
        f"/directory/{path}", create, methods=["POST"], status_code=201, responses=error_responses(409),
        summary=f"Create a {kind} (admin); 409 if the id exists, 422 naming a reference the directory lacks")
    router.add_api_route(
        f"/directory/{path}/{{entry_id}}", update, methods=["PATCH"],
        summary=f"Change a {kind} (admin): only the fields given; null clears an optional reference")


_register("department", DepartmentIn, DepartmentChange, DEPARTMENT_ID)
_register("person", PersonIn, PersonChange, PERSON_ID)
_register("district", DistrictIn, DistrictChange, DISTRICT_ID)


@router.post("/directory/load", summary="Create or update many entries at once (a first deployment's file): all "
             "or nothing; `gongdan directory load FILE` posts here")
async def load(body: DirectoryDocument, rt: RuntimeDep, principal: Admin,
               idempotency_key: IdempotencyKey = None) -> JSONResponse:
    return await _run(rt, principal, idempotency_key, "POST", "/directory/load", body, 200,
                      lambda uow: directory.load(uow, body, principal))
