"""TT-8.11 required fields, phone and account formats, free-text limits (a 422 lists every problem)."""

from __future__ import annotations

import pytest

from services.intake.domain.phones import PhoneKind, classify_phone, customer_phone_problem, normalize_phone
from services.intake.domain.validation import (
    RULE_LIMITS,
    RULE_REQUIRED,
    RULE_WRONG_DATA,
    IntakeDraft,
    IntakeLimits,
    Problem,
    validate_intake,
)

GOOD = IntakeDraft(
    customer_name="张三",
    address="武汉市江汉区解放大道1号",
    phone="027-88886666",
    account="WH-10050-0001",
    description="宽带无法上网，光猫LOS灯红",
)
REQUIRED = ["customer.name", "customer.address", "customer.phone", "customer.account", "description"]


def test_complete_intake_has_no_problems() -> None:
    assert validate_intake(GOOD) == []


@pytest.mark.parametrize("blank", [None, "", "   ", "\t\n"])
def test_empty_draft_lists_every_missing_field(blank: str | None) -> None:
    draft = IntakeDraft(blank, blank, blank, blank, blank)
    problems = validate_intake(draft)
    assert [p.field for p in problems] == REQUIRED
    assert {(p.problem, p.rule_id) for p in problems} == {(Problem.missing, RULE_REQUIRED)}  # TT-8.11


@pytest.mark.parametrize(
    ("attr", "path"),
    [
        ("customer_name", "customer.name"),
        ("address", "customer.address"),
        ("phone", "customer.phone"),
        ("account", "customer.account"),
        ("description", "description"),
    ],
)
def test_each_missing_field_is_named(attr: str, path: str) -> None:
    draft = IntakeDraft(**{**GOOD.__dict__, attr: None})
    (problem,) = validate_intake(draft)
    assert (problem.field, problem.problem, problem.rule_id) == (path, Problem.missing, "TT-8.11")


def test_missing_and_malformed_are_reported_together() -> None:
    draft = IntakeDraft(customer_name=None, address="x", phone="10050", account="a", description="d" * 2001)
    problems = {p.field: (p.problem, p.rule_id) for p in validate_intake(draft)}
    assert problems == {
        "customer.name": (Problem.missing, RULE_REQUIRED),
        "customer.phone": (Problem.malformed, RULE_WRONG_DATA),
        "customer.account": (Problem.malformed, RULE_WRONG_DATA),
        "description": (Problem.too_long, RULE_LIMITS),
    }


@pytest.mark.parametrize(
    ("attr", "limit"),
    [("customer_name", 64), ("address", 256), ("description", 2000)],
)
def test_free_text_limits_are_inclusive(attr: str, limit: int) -> None:
    assert validate_intake(IntakeDraft(**{**GOOD.__dict__, attr: "字" * limit})) == []
    (problem,) = validate_intake(IntakeDraft(**{**GOOD.__dict__, attr: "字" * (limit + 1)}))
    assert problem.problem is Problem.too_long and str(limit) in problem.message


def test_limits_are_configurable() -> None:
    limits = IntakeLimits(max_description=10, account_pattern=r"\d{8}")
    problems = validate_intake(IntakeDraft(**{**GOOD.__dict__, "description": "x" * 11}), limits)
    assert [p.field for p in problems] == ["customer.account", "description"]
    draft = IntakeDraft(**{**GOOD.__dict__, "account": "12345678", "description": "x" * 10})
    assert validate_intake(draft, limits) == []


def test_control_characters_are_malformed_but_newlines_allowed_in_description() -> None:
    assert validate_intake(IntakeDraft(**{**GOOD.__dict__, "description": "第一行\n第二行"})) == []
    (problem,) = validate_intake(IntakeDraft(**{**GOOD.__dict__, "customer_name": "张\x00三"}))
    assert problem.problem is Problem.malformed and problem.field == "customer.name"
    (problem,) = validate_intake(IntakeDraft(**{**GOOD.__dict__, "address": "一号\n二号"}))
    assert problem.field == "customer.address"


@pytest.mark.parametrize(
    ("account", "ok"),
    [
        ("WH01", True),
        ("0278888666601", True),
        ("027-88886666", True),
        ("A" * 32, True),
        ("WH0", False),
        ("A" * 33, False),
        ("-WH01", False),
        ("WH01-", False),
        ("WH 01", False),
        ("WH_01", False),
        ("账号0001", False),
    ],
)
def test_default_account_format(account: str, ok: bool) -> None:
    problems = validate_intake(IntakeDraft(**{**GOOD.__dict__, "account": account}))
    assert (problems == []) is ok


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("13912345678", PhoneKind.mobile),
        ("19912345678", PhoneKind.mobile),
        ("139 1234 5678", PhoneKind.mobile),
        ("139-1234-5678", PhoneKind.mobile),
        ("+86 139 1234 5678", PhoneKind.mobile),
        ("008613912345678", PhoneKind.mobile),
        ("１３９１２３４５６７８", PhoneKind.mobile),  # full-width digits
        ("12912345678", PhoneKind.invalid),  # 12x is not a mobile prefix
        ("1391234567", PhoneKind.invalid),
        ("139123456789", PhoneKind.invalid),
        ("027-88886666", PhoneKind.landline),
        ("02788886666", PhoneKind.landline),
        ("(027)88886666", PhoneKind.landline),
        ("010-62345678", PhoneKind.landline),
        ("0716-8123456", PhoneKind.landline),  # 4-digit area code, 7-digit number
        ("0716-81234567", PhoneKind.landline),
        ("027-8888666", PhoneKind.invalid),  # 3-digit area codes have 8-digit numbers
        ("027-08886666", PhoneKind.invalid),  # local numbers do not start with 0 or 1
        ("88886666", PhoneKind.local),
        ("18886666", PhoneKind.invalid),
        ("8888666", PhoneKind.invalid),
        ("10050", PhoneKind.service),  # Tietong hotline
        ("96296", PhoneKind.service),  # Nanjing cable
        ("966022", PhoneKind.service),  # Guangxi power
        ("12315", PhoneKind.service),
        ("95598", PhoneKind.service),
        ("025-96296", PhoneKind.service),
        ("400-800-1234", PhoneKind.service),
        ("", PhoneKind.invalid),
        ("abc", PhoneKind.invalid),
        ("139-1234-567x", PhoneKind.invalid),
        ("+1 202 555 0101", PhoneKind.invalid),
    ],
)
def test_classify_phone(raw: str, kind: PhoneKind) -> None:
    assert classify_phone(raw) is kind


def test_only_reachable_numbers_are_customer_phones() -> None:
    assert customer_phone_problem("13912345678") is None
    assert "service number" in (customer_phone_problem("96296") or "")
    assert "not a mobile" in (customer_phone_problem("2345") or "x")
    assert normalize_phone("+86 (139) 1234-5678") == "13912345678"
