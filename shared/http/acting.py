"""The field-time limits of the deployment's policy as a FastAPI dependency (the rules: shared/field_time.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.field_time import acting_role, backdate_problem, field_time_error
from shared.policy.schema import FieldTimePolicy
from shared.service import RuntimeDep


async def field_time_policy(rt: RuntimeDep) -> FieldTimePolicy:
    """The `field_time` section of the deployment's policy file (GONGDAN_POLICY), as the runtime loaded it
    (`async`: read on the event loop, not in a worker thread)."""
    return rt.config.policy.field_time


FieldTimeDep = Annotated[FieldTimePolicy, Depends(field_time_policy)]

__all__ = ["FieldTimeDep", "acting_role", "backdate_problem", "field_time_error", "field_time_policy"]
