"""Refusals a use case raises, free of HTTP: the entrypoints' error handler turns each kind into its status
(shared/http/errors.py: NotFound 404, Conflict 409, Invalid 422). `details` travel into the error body
(`fields` naming each input at fault with its rule, `current_state` on a conflict …)."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message, self.details = message, details


class NotFound(Refused):
    """What the request names does not exist (or this service has not seen it yet)."""


class Conflict(Refused):
    """The current state forbids it; `current_state` says which state that is."""


class Invalid(Refused):
    """The input is wrong; `fields` names each input at fault with its rule."""
