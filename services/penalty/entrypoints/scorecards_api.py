"""KPI scorecards (RULEBOOK §5.3, §9.11) and the what-if of a draft policy (issue 10)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from services.penalty.service_layer import scorecards as sc
from services.penalty.service_layer import whatif
from shared import limits
from shared.errors import Invalid
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.inputs import Line
from shared.policy import PolicyError
from shared.service import RuntimeDep

router = APIRouter(tags=["scorecards"])
Reader = Annotated[Principal, Depends(require(Role.OPS, Role.FINANCE, Role.SUPERVISOR, Role.COMPREHENSIVE,
                                              Role.DEPUTY_GM, Role.GM))]
MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"


@router.get("/scorecards", summary="KPI scorecards of a month per department: numerator, denominator, target, "
            "points and the items behind each figure; frozen once the month is closed",
            description="Each figure: `numerator`, `denominator`, `value` in its `unit` (a rate in percent, or a "
            "count: calls per agent, faults a month) against `target` (`direction` at-least or at-most), `points` "
            "under the policy's scoring and its `arithmetic` in words. `tickets` are the items behind it: tickets "
            "and faults by their stream id (`ticket_id`; `ok`: counted in the numerator), or for calls per agent "
            "the agents, each with their calls and own points (`ok`: at the target). Rates also carry "
            "`rate_percent`/`target_percent`; step-scored counts a `deduction`; reliability `downtime_seconds`. "
            "On the on-time rate a late ticket under a standing CT exemption is \"late, exempt\" (RULEBOOK §9.12): "
            "listed with its `exempt` exemption (null for the others), left out of numerator and denominator, "
            "counted in the figure's `exempt` and said in its `arithmetic`; once the exemption is voided it counts.",
            responses={200: {"content": {"text/csv": {}}}})
async def get_scorecards(rt: RuntimeDep, _: Reader,
                         month: Annotated[str, Query(pattern=MONTH, description="YYYY-MM, the local month")],
                         department: Line(limits.DEPARTMENT) | None = None,
                         format: Literal["json", "csv"] = "json") -> Any:
    async with rt.new_uow() as uow:
        body = await sc.scorecards(uow.conn, rt.config, month, department, uow.now())
    if format == "csv":
        return PlainTextResponse(sc.to_csv(body), media_type="text/csv",
                                 headers={"Content-Disposition": f'attachment; filename="scorecards-{month}.csv"'})
    return body


class WhatIf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=MONTH, description="YYYY-MM, the local month to assess")
    policy: str = Field(min_length=1, max_length=200_000,
                        description="The draft policy file (YAML); it may include shipped packs by id")


def _shipped_includes_only(text: str) -> None:
    """A draft sent over HTTP includes shipped packs by id only: never a path on this server."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # the loader names the YAML error
    includes = raw.get("include") if isinstance(raw, dict) else None
    for inc in includes if isinstance(includes, list) else [includes] if isinstance(includes, str) else []:
        if not isinstance(inc, str) or "/" in inc or "\\" in inc or inc.endswith(".yaml"):
            raise Invalid("a draft policy sent over the API may include shipped packs by id only",
                          fields=[{"field": "policy", "in": "body", "rule": "policy",
                                   "message": f"include {inc!r}: not a shipped pack id"}])


@router.post("/penalty-what-if", summary="Assess a past month under a draft policy and show the difference per "
             "department and clause; the ledger is not touched (a scratch database is built and dropped)",
             responses=error_responses(422))
async def post_what_if(body: WhatIf, rt: RuntimeDep, _: Annotated[Principal, Depends(require(Role.OPS))]) -> dict:
    _shipped_includes_only(body.policy)
    with tempfile.TemporaryDirectory(prefix="gongdan-whatif-") as tmp:
        path = Path(tmp) / "draft.yaml"
        path.write_text(body.policy, encoding="utf-8")
        try:
            draft = whatif.draft_config(path, rt.config.tz)
        except PolicyError as exc:
            raise Invalid(f"the draft policy is invalid: {exc.key or '<top>'}: {exc.reason}",
                          fields=[{"field": "policy", "in": "body", "rule": "policy",
                                   "message": f"{exc.key or '<top>'}: {exc.reason}"}]) from None
        result = await whatif.what_if(rt.engine, rt.settings.database_url, draft, body.month)
    result["draft_policy"] = "request body"
    return result
