"""The base of every event payload: frozen, unknown fields refused. Add a new version rather than change one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
