"""What a caller must give to open a ticket (TT-8.11) and how tickets are numbered (NJ numbering)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TT_8_11 = {"rule": "TT-8.11"}
TicketKind = Literal["fault", "complaint", "inquiry", "suggestion", "install", "business"]


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, json_schema_extra=TT_8_11)
    phone: str = Field(pattern=r"^\+?[0-9][0-9\- ]{4,18}[0-9]$", json_schema_extra=TT_8_11,
                       description="Contact phone: digits, optional area-code dash")
    address: str = Field(min_length=1, max_length=300, json_schema_extra=TT_8_11)
    account: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{2,38}[A-Za-z0-9]$", json_schema_extra=TT_8_11,
                         description="Account or service number")


class LogTicket(BaseModel):
    """Command: log a call, letter or visit as a ticket."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    customer: CustomerIn = Field(json_schema_extra=TT_8_11)
    kind: TicketKind
    description: str = Field(min_length=1, max_length=4000, json_schema_extra=TT_8_11)
    occurred_at: AwareDatetime | None = Field(
        default=None, description="When the call happened, if earlier than now (field time)"
    )


def ticket_number(year: int, department_code: str, sequence: int) -> str:
    """`2025-KF-000123`: year + department code + zero-padded sequence (NJ numbering)."""
    return f"{year}-{department_code}-{sequence:06d}"


def field_time_problem(occurred_at: datetime, now: datetime) -> str | None:
    if occurred_at > now:
        return "occurred_at is in the future"
    return None
