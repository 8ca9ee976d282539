"""Turn a raw POST /tickets body into a `LogTicket`, or every problem with it in one list (TT-8.11)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from services.intake.domain.intake import LogTicket, cross_field_problems
from services.intake.domain.validation import IntakeDraft, validate_intake

FieldError = dict[str, str]
_CHECKED = ("customer.name", "customer.address", "customer.phone", "customer.account", "description")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _draft(body: dict[str, Any]) -> IntakeDraft:
    customer = body.get("customer") if isinstance(body.get("customer"), dict) else {}
    return IntakeDraft(
        customer_name=_text(customer.get("name")),
        address=_text(customer.get("address")),
        phone=_text(customer.get("phone")),
        account=_text(customer.get("account")),
        description=_text(body.get("description")),
    )


def _error(field: str, rule: str, message: str) -> FieldError:
    return {"field": field, "in": "body", "rule": rule, "message": message}


def _pydantic_errors(exc: ValidationError, covered: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "body"
        if field in covered or (field == "customer" and covered & set(_CHECKED)):
            continue
        errors.append(_error(field, err["type"], err["msg"]))
    return errors


def parse_log_ticket(body: Any) -> LogTicket | list[FieldError]:
    """The command, or every missing/malformed field with its rule id (nothing is stored on reject)."""
    if not isinstance(body, dict):
        return [_error("body", "model_attributes_type", "the body must be a JSON object")]
    problems = [_error(p.field, p.rule_id, p.message) for p in validate_intake(_draft(body))]
    covered = {p["field"] for p in problems}
    try:
        cmd = LogTicket.model_validate(body)
    except ValidationError as exc:
        return problems + _pydantic_errors(exc, covered)
    problems += [_error(field, rule, message) for field, rule, message in cross_field_problems(cmd)]
    return problems or cmd
