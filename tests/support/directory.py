"""The directory the test stack starts with (issue 8): every department and technician the tests dispatch to.

Dispatch refuses a department or technician the directory does not have (422), so the names the integration
tests use are loaded once when the stack starts, through the same API a deployment's file goes through.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared import limits

PACKS = ("tietong-jianghan", "nanjing-catv", "catv-service-norms", "gx-power-966022", "telecom-lyg-sameday")

DEPARTMENTS = (
    "jianghan-maint", "hanyang-maint", "network-ops", "customer-service", "KF", "NOC", "refusal-dept", "race-dept",
    "backdate-dept", "overdue-dept", "detour-dept", "detour-wrong", "maint", "install", "x", "d", "D", "D1", "D2",
    "D9", "网络维护部", "acts-dept", "kpi-dept", "kpi-wrong", *(f"{pack}-repair" for pack in PACKS),
    "x" * limits.DEPARTMENT,  # the longest name a ticket may carry (tests/integration/test_edge_validation.py)
)
TECHNICIANS = (
    "wang-wei", "li-lei", "li", "tech", "tech-1", "t-9", "detour-tech", "x", "acts-tech", "kpi-tech", *(f"t{n}" for n in range(5)),
    *(f"{pack}-tech-1" for pack in PACKS), "x" * limits.PERSON,
)


def seed_document() -> dict[str, Any]:
    departments = [{"id": d, "name": d} for d in DEPARTMENTS]
    people = [{"id": p, "name": p, "role": "technician", "department": "jianghan-maint"} for p in TECHNICIANS]
    return {"departments": departments, "people": people}


async def seed_directory(client: httpx.AsyncClient, admin_key: str) -> None:
    response = await client.post("/directory/load", json=seed_document(),
                                 headers={"Authorization": f"Bearer {admin_key}"})
    assert response.status_code == 200, response.text
