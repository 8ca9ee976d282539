"""Penalty under another policy for a block of a test (its scorecards and ledger read `runtime.config`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.penalty.service_layer.config import PenaltyConfig
from shared.policy import load_policy
from tests.support.stack import Stack


@contextmanager
def penalty_policy(stack: Stack, path: Path, text: str) -> Iterator[PenaltyConfig]:
    """Penalty runs under the policy `text` (written to `path`) inside the block, and under its own again after."""
    rt = stack.runtime("penalty")
    path.write_text(text, encoding="utf-8")
    before = rt.config
    rt.config = PenaltyConfig(path=path, policy=load_policy(path), tz=before.tz)
    try:
        yield rt.config
    finally:
        rt.config = before
