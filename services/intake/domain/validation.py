"""TT-8.11 intake checks: every missing or malformed field, with its rule id, in one answer (a 422)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from services.intake.domain.phones import customer_phone_problem

RULE_REQUIRED = "TT-8.11"  # intake missing name/address/contact/account/details
RULE_WRONG_DATA = "TT-8.12"  # typos or wrong data
RULE_LIMITS = "intake-limits"  # system limit on free text, not a penalty clause

DEFAULT_ACCOUNT_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]{2,30}[A-Za-z0-9]"  # alphanumeric/dash, 4-32


class Problem(str, Enum):
    """What is wrong with a field."""

    missing = "missing"
    malformed = "malformed"
    too_long = "too-long"


@dataclass(frozen=True)
class FieldProblem:
    """One entry of the 422 answer; `field` is the JSON path of the request."""

    field: str
    problem: Problem
    rule_id: str
    message: str


@dataclass(frozen=True)
class IntakeDraft:
    """The TT-8.11 fields as received; anything may be absent."""

    customer_name: str | None = None
    address: str | None = None
    phone: str | None = None
    account: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class IntakeLimits:
    """Operator-configurable formats and free-text limits (characters)."""

    account_pattern: str = DEFAULT_ACCOUNT_PATTERN
    max_name: int = 64
    max_address: int = 256
    max_phone: int = 32
    max_account: int = 32
    max_description: int = 2000


DEFAULT_LIMITS = IntakeLimits()

#: (JSON path, draft attribute, limits attribute, whether newlines are allowed)
_FIELDS = (
    ("customer.name", "customer_name", "max_name", False),
    ("customer.address", "address", "max_address", False),
    ("customer.phone", "phone", "max_phone", False),
    ("customer.account", "account", "max_account", False),
    ("description", "description", "max_description", True),
)


def _has_control(text: str, multiline: bool) -> bool:
    allowed = {"\n", "\t", "\r"} if multiline else set()
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def _text_problem(path: str, value: str, limit: int, multiline: bool) -> FieldProblem | None:
    if len(value) > limit:
        return FieldProblem(path, Problem.too_long, RULE_LIMITS, f"{len(value)} characters, at most {limit}")
    if _has_control(value, multiline):
        return FieldProblem(path, Problem.malformed, RULE_WRONG_DATA, "contains control characters")
    return None


def _format_problem(path: str, value: str, limits: IntakeLimits) -> FieldProblem | None:
    if path == "customer.phone":
        reason = customer_phone_problem(value)
        return FieldProblem(path, Problem.malformed, RULE_WRONG_DATA, reason) if reason else None
    if path == "customer.account" and not re.fullmatch(limits.account_pattern, value):
        message = f"{value!r} is not a valid account number"
        return FieldProblem(path, Problem.malformed, RULE_WRONG_DATA, message)
    return None


def validate_intake(draft: IntakeDraft, limits: IntakeLimits = DEFAULT_LIMITS) -> list[FieldProblem]:
    """Every missing (TT-8.11) or malformed field, in request order; empty means it may be stored."""
    problems: list[FieldProblem] = []
    for path, attr, limit_attr, multiline in _FIELDS:
        raw = getattr(draft, attr)
        value = raw.strip() if raw is not None else ""
        if not value:
            message = f"{path} is required (TT-8.11)"
            problems.append(FieldProblem(path, Problem.missing, RULE_REQUIRED, message))
            continue
        problem = _text_problem(path, value, getattr(limits, limit_attr), multiline)
        problem = problem or _format_problem(path, value, limits)
        if problem:
            problems.append(problem)
    return problems
