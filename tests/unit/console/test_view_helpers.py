"""Console view helpers (issue 12): money from fen, times in the operator's zone, durations, what a role sees,
what a search box entry means, the board's counts and timer rows."""

from __future__ import annotations

import pytest

from services.console.adapters.upstream import service_urls
from services.console.domain import board, formatting, i18n, permissions
from shared.identity import Role


@pytest.mark.parametrize(("fen", "currency", "shown"), [
    (123450, "CNY", "¥1,234.50"), (0, "CNY", "¥0.00"), (5, "CNY", "¥0.05"), (-100, "CNY", "-¥1.00"),
    (123456789, "CNY", "¥1,234,567.89"), (250, "GBP", "£2.50"), (None, "CNY", "")])
def test_money_from_minor_units(fen: int | None, currency: str, shown: str) -> None:
    assert formatting.money(fen, currency) == shown


def test_times_are_shown_in_the_operators_zone() -> None:
    assert formatting.local_time("2026-03-02T01:00:00+00:00", "Asia/Shanghai") == "2026-03-02 09:00"
    assert formatting.local_time("2026-03-01T16:30:05+00:00", "Asia/Shanghai", seconds=True) == "2026-03-02 00:30:05"
    assert formatting.local_time("2026-07-01T12:00:00+00:00", "Europe/London") == "2026-07-01 13:00"
    assert formatting.local_time(None, "Asia/Shanghai") == ""


@pytest.mark.parametrize(("seconds", "lang", "shown"), [
    (45 * 60, "zh", "45分"), (3 * 3600 + 5 * 60, "zh", "3小时5分"), (2 * 86400 + 3 * 3600 + 59, "zh", "2天3小时"),
    (-(3 * 3600), "zh", "3小时"), (30, "zh", "0分"), (3 * 3600 + 5 * 60, "en", "3 h 5 min"), (86400, "en", "1 d")])
def test_durations(seconds: int, lang: str, shown: str) -> None:
    assert formatting.duration(seconds, lang) == shown


def test_buttons_follow_the_role_like_the_apis() -> None:
    assert permissions.can(Role.OPS, "penalties.review") and permissions.can(Role.OPS, "penalties.close")
    assert not permissions.can(Role.FINANCE, "penalties.review")
    assert permissions.can(Role.FINANCE, "payouts.cut") and permissions.can(Role.FINANCE, "payouts.mark")
    assert not permissions.can(Role.OPS, "payouts.cut") and permissions.can(Role.OPS, "payouts.read")
    assert permissions.can(Role.OPS, "dead_letters.replay") and not permissions.can(Role.SUPERVISOR, "dead_letters.read")
    assert not permissions.can(Role.FINANCE, "tickets.read")  # dispatch does not let finance read tickets
    assert permissions.capabilities(Role.ADMIN) == frozenset(permissions.CAPABILITIES)
    assert permissions.capabilities(Role.IVR) == frozenset()


def test_screens_and_home_per_role() -> None:
    assert permissions.screens(Role.OPS) == ["board", "penalties", "compensation", "reports", "scorecards",
                                             "dead_letters"]
    assert permissions.screens(Role.FINANCE) == ["penalties", "compensation", "reports", "scorecards"]
    assert permissions.screens(Role.AGENT) == ["board", "compensation"]
    assert permissions.home(Role.FINANCE) == "penalties"
    assert permissions.home(Role.IVR) is None


def test_appeal_steps_are_recorded_by_their_own_role() -> None:
    assert permissions.may_record_step(Role.GM, "gm-approval")
    assert not permissions.may_record_step(Role.OPS, "gm-approval")
    assert permissions.may_record_step(Role.COMPREHENSIVE, "comprehensive-review")
    assert permissions.may_record_step(Role.ADMIN, "deputy-gm-approval")


@pytest.mark.parametrize(("text", "query"), [
    ("2026-kf-000123", {"number": "2026-KF-000123"}), ("027-8888 6666", {"phone": "027-8888 6666"}),
    ("13912345678", {"phone": "13912345678"}), ("ADSL-0001", {"account": "ADSL-0001"}), ("  ", {})])
def test_search_box_entry(text: str, query: dict[str, str]) -> None:
    assert board.search_filter(text) == query


def test_board_grid_counts_open_tickets_by_state_and_department() -> None:
    tickets = [{"state": "dispatched", "department": "a"}, {"state": "dispatched", "department": "a"},
               {"state": "received", "department": None}, {"state": "closed", "department": "a"},
               {"state": "on-site", "department": "b"}]
    g = board.grid(tickets)
    assert g.states == ["received", "dispatched", "on-site"] and g.departments == ["", "a", "b"]
    assert g.counts[("dispatched", "a")] == 2 and g.total == 4
    assert g.department_totals == {"": 1, "a": 2, "b": 1}


def test_timer_rows_most_urgent_first_with_numbers() -> None:
    timers = [{"ticket_id": "t1", "remaining_seconds": 600, "deadline": "2026-03-02T02:00:00+00:00"},
              {"ticket_id": "t2", "remaining_seconds": -60, "deadline": "2026-03-02T01:00:00+00:00"}]
    rows = board.timer_rows(timers, {"t2": "2026-KF-000002"})
    assert [r["ticket_id"] for r in rows] == ["t2", "t1"]
    assert rows[0]["overdue"] and rows[0]["number"] == "2026-KF-000002" and not rows[1]["overdue"]


def test_chinese_by_default_english_on_request() -> None:
    assert i18n.translate("board", i18n.language(None)) == "实时看板"
    assert i18n.translate("board", i18n.language("en")) == "Live board"
    assert i18n.language("fr") == "zh" and i18n.translate("no-such-key", "en") == "no-such-key"


def test_service_urls_default_to_each_port_and_can_be_named() -> None:
    urls = service_urls(None)
    assert urls["dispatch"] == "http://127.0.0.1:8102" and "console" not in urls
    assert service_urls("dispatch=http://dispatch:9000/, console=http://x:1")["dispatch"] == "http://dispatch:9000"
    with pytest.raises(ValueError):
        service_urls("nosuch=http://x:1")


def test_cookies_stay_https_only_unless_the_deployment_says_otherwise() -> None:
    from services.console.service_layer.config import load_config
    from shared.settings import Settings

    assert load_config(Settings()).secure_cookie is True
    assert load_config(Settings(gongdan_console_secure_cookie=False)).secure_cookie is False
