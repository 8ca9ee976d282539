"""CT-5 same-day figures and the CT-4.9.1 contractor split (pure, hand-computed rows)."""

from __future__ import annotations

from datetime import date

from services.compensation.domain.reports import ClaimFact, contractor_split, same_day_figures, split

DAY = date(2026, 3, 2)


def fact(status: str, district: str = "suohe", promise: str = "repair", amount: int = 0,
         month: str = "2026-03") -> ClaimFact:
    return ClaimFact("t", "n", promise, status, district, DAY, month, amount)


def test_same_day_figures_keep_exempt_outside_the_rate() -> None:
    rows = same_day_figures([fact("met"), fact("met"), fact("met"), fact("due", amount=1000), fact("exempt"),
                             fact("open"), fact("met", promise="install"), fact("met", promise="appointment:x")])
    assert rows == [
        {"day": "2026-03-02", "district": "suohe", "promise": "install", "on_time": 1, "late": 0, "late_exempt": 0,
         "open": 0, "rate": 1.0},
        {"day": "2026-03-02", "district": "suohe", "promise": "repair", "on_time": 3, "late": 1, "late_exempt": 1,
         "open": 1, "rate": 0.75},
    ]


def test_at_or_below_five_percent_the_operator_bears_it_all() -> None:
    assert split(20, 1, 1000)[0] == 0  # exactly 5%
    assert split(0, 0, 0)[0] == 0


def test_the_share_above_five_percent_is_charged_to_the_contractor() -> None:
    charged, words = split(40, 4, 4000)  # allowance 2: 2 of 4 above it -> half
    assert charged == 2000 and "charged to the contractor" in words
    assert split(30, 2, 1000)[0] == 250  # allowance 1.5: 0.5 / 2 of 1000 fen
    assert split(7, 1, 1000)[0] == 650  # allowance 0.35: 0.65 of 1000


def test_contractor_split_per_area_and_month() -> None:
    claims = ([fact("met") for _ in range(16)] + [fact("due", amount=1000) for _ in range(3)] + [fact("exempt")]
              + [fact("due", amount=5000, month="2026-04"), fact("due", district="own-area", amount=9000)])
    [row] = contractor_split(claims, {"caidian-install": ["suohe"]}, "2026-03")
    assert (row["tickets"], row["installer_overtime"], row["late_exempt"], row["compensation"]) == (20, 3, 1, 3000)
    assert (row["contractor_share"], row["operator_share"]) == (2000, 1000)  # (3 - 1) / 3 of 3000
