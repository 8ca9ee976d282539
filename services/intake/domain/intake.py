"""What a caller must give to open a ticket (TT-8.11)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from services.intake.domain.phones import customer_phone_problem

TT_8_11 = {"rule": "TT-8.11"}
TicketKind = Literal["fault", "complaint", "inquiry", "suggestion", "install", "business"]


def _customer_phone(raw: str) -> str:
    if problem := customer_phone_problem(raw):
        raise ValueError(problem)
    return raw


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, json_schema_extra=TT_8_11)
    phone: Annotated[str, AfterValidator(_customer_phone)] = Field(
        min_length=1, max_length=20, json_schema_extra=TT_8_11,
        description="Contact phone: mobile 1xxxxxxxxxx, or landline with area code (027-88886666)")
    address: str = Field(min_length=1, max_length=300, json_schema_extra=TT_8_11)
    account: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{2,38}[A-Za-z0-9]$",
        json_schema_extra=TT_8_11,
        description="Account or service number",
    )


class LogTicket(BaseModel):
    """Command: log a call, letter or visit as a ticket."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerIn = Field(json_schema_extra=TT_8_11)
    kind: TicketKind
    description: str = Field(min_length=1, max_length=4000, json_schema_extra=TT_8_11)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When the call happened, if earlier than now (field time)"
    )


def field_time_problem(occurred_at: datetime, now: datetime) -> str | None:
    if occurred_at > now:
        return "occurred_at is in the future"
    return None
