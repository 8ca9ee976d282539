"""Who is asking: an API key's name and role. Free of HTTP, so use cases can take it (shared/http/auth.py
authenticates a request into one)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    IVR = "ivr"
    AGENT = "agent"
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    DEPUTY_GM = "deputy-gm"
    FINANCE = "finance"
    OPS = "ops"
    NMS = "nms"  # the network management system: reports network and system faults (issue 8)
    COMPREHENSIVE = "comprehensive"  # the comprehensive department (综合部): reviews penalty appeals (NJ-4.3.6)
    GM = "gm"  # the general manager: last approval of a penalty appeal (NJ-4.3.6)
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
