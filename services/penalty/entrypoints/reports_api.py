"""Reports of RULEBOOK §8 from the ticket events penalty stores: the monthly complaint statistics of NJ table 4 and the
satisfaction report (GX monthly, quarterly, annual; CS call-centre satisfaction), each as JSON, CSV or XLSX.

No `from __future__ import annotations`: FastAPI must see the response models."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from services.penalty.service_layer import reports
from shared.errors import Invalid
from shared.http.auth import Principal, Role, require
from shared.http.edge import error_responses
from shared.service import RuntimeDep

router = APIRouter(tags=["reports"])
Reader = Annotated[Principal, Depends(require(Role.OPS, Role.FINANCE, Role.SUPERVISOR, Role.COMPREHENSIVE,
                                              Role.DEPUTY_GM, Role.GM))]
Format = Literal["json", "csv", "xlsx"]
MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"
FILES = {"content": {"text/csv": {}, reports.XLSX: {}}}


class ComplaintShown(BaseModel):
    ticket_id: str
    number: str | None
    received_at: str
    description: str
    department: str | None
    product: str | None
    complaint_class: str | None
    channel: str | None
    by: Literal["fault-layer", "discovered", "keyword", "incident", "mass", "product", "none"]
    evidence: str | None
    faults: list[str]
    causes: list[str]


class CauseCount(BaseModel):
    cause: str
    count: int


class Table4Row(BaseModel):
    """One row of table 4: 类型 / 具体类别, 投诉数, 投诉内容 (the complaints), 投诉原因分析 (causes, actions)."""

    category: str
    category_title: str
    subcategory: str | None
    subcategory_title: str | None
    count: int
    complaints: list[ComplaintShown]
    causes: list[CauseCount]
    actions: list[str]


class Step(BaseModel):
    by: str
    meaning: str


class ComplaintReport(BaseModel):
    month: str
    time_zone: str
    total: int
    rows: list[Table4Row]
    decided_by: dict[str, int]
    steps: list[Step]


class SatisfactionFigures(BaseModel):
    callbacks: int
    reached: int
    asked: int
    satisfied: int
    dissatisfied: int
    rate_percent: str | None
    scored: int
    average_score: str | None
    scores: list[int]
    dissatisfied_tickets: list[str]


class DepartmentSatisfaction(SatisfactionFigures):
    department: str | None


class KindSatisfaction(SatisfactionFigures):
    kind: str | None


class SatisfactionTarget(BaseModel):
    kpi: str
    title: str
    citation: str
    target_percent: str


class SatisfactionReport(BaseModel):
    period: str
    months: list[str]
    time_zone: str
    satisfied_from_score: int | None
    rows: list[DepartmentSatisfaction]
    by_kind: list[KindSatisfaction]
    total: DepartmentSatisfaction
    targets: list[SatisfactionTarget]


def _file(content: str | bytes, media_type: str, name: str) -> Response:
    return Response(content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/reports/complaints", response_model=ComplaintReport, responses={200: FILES, **error_responses(422)},
            summary="NJ table 4: the month's complaints per category with count, content and cause analysis")
async def complaints(rt: RuntimeDep, _: Reader,
                     month: Annotated[str, Query(pattern=MONTH, description="YYYY-MM, the local month received")],
                     format: Format = "json") -> Any:  # noqa: A002 - the query name
    """Complaints are tickets of kind `complaint` (after reclassification) received in the month. No event carries
    a table-4 category: each complaint says which step classified it (`by`, `evidence`; `steps` lists them)."""
    async with rt.engine.connect() as conn:
        body = await reports.complaint_report(conn, rt.config, month)
    if format == "csv":
        return _file(reports.to_csv(reports.COMPLAINT_COLUMNS, reports.complaint_rows(body)), "text/csv",
                     f"complaints-{month}.csv")
    if format == "xlsx":
        return _file(reports.to_xlsx([(f"表四 {month}", reports.COMPLAINT_COLUMNS, reports.complaint_rows(body)),
                                      ("complaints", reports.COMPLAINT_DETAIL, reports.complaint_details(body))]),
                     reports.XLSX, f"complaints-{month}.xlsx")
    return body


@router.get("/reports/satisfaction", response_model=SatisfactionReport,
            responses={200: FILES, **error_responses(422)},
            summary="GX / CS: callback satisfaction per department and ticket kind for a month, quarter or year")
async def satisfaction(
    rt: RuntimeDep, _: Reader,
    month: Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM, the local month")] = None,
    quarter: Annotated[str | None, Query(pattern=r"^20\d{2}-Q[1-4]$", description="YYYY-Qn (GX quarterly)")] = None,
    year: Annotated[str | None, Query(pattern=r"^20\d{2}$", description="YYYY (GX annual)")] = None,
    format: Format = "json",  # noqa: A002 - the query name
) -> Any:
    """From the answers of the callbacks made in the period (CallbackDone, TT-8.13): satisfied / asked per
    department the ticket was dispatched to, and the call centre's total; `targets`: the policy's satisfaction KPIs.
    Give exactly one of `month`, `quarter`, `year`."""
    given = [(name, value) for name, value in (("month", month), ("quarter", quarter), ("year", year)) if value]
    if len(given) != 1:
        why = "give one of month, quarter, year" if not given else "give only one of month, quarter, year"
        raise Invalid(why, fields=[{"field": name, "in": "query", "rule": "period", "message": why}
                                   for name in ([n for n, _ in given] or ["month"])])
    period = given[0][1]
    async with rt.engine.connect() as conn:
        body = await reports.satisfaction_report(conn, rt.config, period)
    if format == "csv":
        return _file(reports.to_csv(reports.SATISFACTION_COLUMNS, reports.satisfaction_rows(body)), "text/csv",
                     f"satisfaction-{period}.csv")
    if format == "xlsx":
        return _file(reports.to_xlsx([(f"satisfaction {period}", reports.SATISFACTION_COLUMNS,
                                       reports.satisfaction_rows(body)),
                                      ("by kind", ("period", "kind", *reports.SATISFACTION_COLUMNS[2:]),
                                       reports.satisfaction_kind_rows(body))]),
                     reports.XLSX, f"satisfaction-{period}.xlsx")
    return body
