"""GX-5.3.1 duplicate-report window and matching; NJ ticket numbering `2025-KF-000123`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.duplicates import (
    DEFAULT_WINDOW,
    FaultReport,
    OpenFaultTicket,
    find_duplicate,
    matched_on,
    normalize_address,
)
from services.intake.domain.numbering import (
    InvalidTicketNumber,
    TicketNumber,
    format_ticket_number,
    number_for,
    parse_ticket_number,
)
from shared.events.vocabulary import Product

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


def ticket(
    age: timedelta, account: str | None = "WH-0001", address: str | None = None, **kw: object
) -> OpenFaultTicket:
    return OpenFaultTicket(
        ticket_id=uuid.uuid4(), opened_at=NOW - age, account=account, address=address, **kw
    )


def report(**kw: object) -> FaultReport:
    return FaultReport(**{"reported_at": NOW, "account": "WH-0001", **kw})


@pytest.mark.parametrize(
    ("age", "linked"),
    [
        (timedelta(0), True),
        (DEFAULT_WINDOW - timedelta(seconds=1), True),
        (DEFAULT_WINDOW, True),
        (DEFAULT_WINDOW + timedelta(seconds=1), False),
        (-timedelta(minutes=1), True),
    ],
)
def test_window_is_inclusive(age: timedelta, linked: bool) -> None:
    open_ticket = ticket(age)
    assert (find_duplicate(report(), [open_ticket]) is open_ticket) is linked  # RULEBOOK §9.1


def test_window_is_configurable() -> None:
    open_ticket = ticket(timedelta(hours=3))
    assert find_duplicate(report(), [open_ticket], window=timedelta(hours=2)) is None
    assert find_duplicate(report(), [open_ticket], window=timedelta(hours=3)) is open_ticket


def test_override_always_creates_a_new_ticket() -> None:
    assert find_duplicate(report(), [ticket(timedelta(0))], override=True) is None


def test_no_open_tickets_no_link() -> None:
    assert find_duplicate(report(), []) is None


def test_same_address_matches_after_normalisation() -> None:
    open_ticket = ticket(timedelta(hours=1), account="OTHER", address="江汉区 解放大道１号，3栋")
    found = find_duplicate(report(account=None, address="江汉区解放大道1号3栋"), [open_ticket])
    assert found is open_ticket and matched_on(
        report(account=None, address="江汉区解放大道1号3栋"), open_ticket
    )


def test_account_matches_ignore_case_and_dashes() -> None:
    open_ticket = ticket(timedelta(hours=1), account="wh0001")
    assert matched_on(report(), open_ticket) == "account"


def test_blank_keys_never_match() -> None:
    open_ticket = ticket(timedelta(hours=1), account=None, address=None)
    assert find_duplicate(report(account=None, address=None), [open_ticket]) is None
    assert (
        find_duplicate(report(account="  ", address=""), [ticket(timedelta(0), account="", address="")])
        is None
    )


def test_different_product_is_a_different_fault() -> None:
    tv = ticket(timedelta(hours=1), product=Product.catv)
    assert find_duplicate(report(product=Product.ftth_broadband), [tv]) is None
    assert find_duplicate(report(product=None), [tv]) is tv


def test_account_match_wins_then_earliest() -> None:
    by_address = ticket(timedelta(hours=10), account="X1", address="解放大道1号")
    later = ticket(timedelta(hours=1))
    earlier = ticket(timedelta(hours=2))
    found = find_duplicate(report(address="解放大道1号"), [by_address, later, earlier])
    assert found is earlier


def test_normalize_address() -> None:
    assert normalize_address(" 江汉区（解放大道）１号—3栋 ") == "江汉区解放大道1号3栋"
    assert normalize_address("Room 3B, No.1") == "room3bno1"


@pytest.mark.parametrize(
    ("year", "dept", "seq", "text"),
    [
        (2025, "KF", 123, "2025-KF-000123"),
        (2025, "KF", 1, "2025-KF-000001"),
        (2026, "WX2", 999999, "2026-WX2-999999"),
        (2025, "KF", 1234567, "2025-KF-1234567"),
    ],
)
def test_format_and_parse_round_trip(year: int, dept: str, seq: int, text: str) -> None:
    assert format_ticket_number(year, dept, seq) == text
    assert parse_ticket_number(text) == TicketNumber(year, dept, seq)


def test_width_is_configurable_for_nj_forms() -> None:
    assert format_ticket_number(2025, "KF", 1, width=3) == "2025-KF-001"  # RULEBOOK §3 NJ numbering
    assert parse_ticket_number("2025-KF-001", width=3).sequence == 1


@pytest.mark.parametrize(
    "text",
    [
        "2025-KF-123",
        "2025-KF-0000123",
        "25-KF-000123",
        "2025-kf-000123",
        "2025-K-000123",
        "2025-KF-000000",
        "2025-KF-",
        "2025_KF_000123",
        "",
        "2025-1KF-000123",
    ],
)
def test_non_canonical_numbers_are_refused(text: str) -> None:
    with pytest.raises(InvalidTicketNumber):
        parse_ticket_number(text)


@pytest.mark.parametrize(
    ("year", "dept", "seq"), [(999, "KF", 1), (2025, "K", 1), (2025, "KF", 0), (2025, "kf", 1)]
)
def test_bad_parts_are_refused(year: int, dept: str, seq: int) -> None:
    with pytest.raises(InvalidTicketNumber):
        format_ticket_number(year, dept, seq)


def test_year_is_the_operators_local_year() -> None:
    new_year_in_shanghai = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)  # 2026-01-01 00:30 +08:00
    assert number_for(new_year_in_shanghai, "KF", 7) == "2026-KF-000007"
    assert number_for(new_year_in_shanghai - timedelta(hours=1), "KF", 7) == "2025-KF-000007"
    with pytest.raises(ValueError):
        number_for(datetime(2025, 1, 1), "KF", 1)
