"""Ofcom automatic compensation (issue 11): the qualifying period, dated amounts, appointments, suspension."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.compensation.domain.claims import DUE, EXEMPT, MET, OPEN
from services.compensation.domain.decide import Inputs, decide
from services.compensation.domain.facts import Fact, fold
from services.compensation.domain.ofcom import WorkingDays, repair_deadline
from shared.policy import load_pack

LON = ZoneInfo("Europe/London")
POLICY = load_pack("uk-ofcom-acs")
SCHEME = POLICY.compensation.schemes["OF-acs"]


def uk(*args: int) -> datetime:
    return datetime(*args, tzinfo=LON)  # type: ignore[misc]


def ticket(entered: datetime, kind: str = "fault", done: datetime | None = None, extra: list[Fact] | None = None,
           product: str = "landline") -> list[Fact]:
    payload = {"number": "2026-00002", "kind": kind, "product": product, "customer": {"name": "Ann", "phone": "1",
                                                                                     "account": "UK-1"}}
    facts = [Fact("TicketCreated", entered, entered, payload)]
    facts += extra or []
    if done is not None:
        facts.append(Fact("Resolved", done, done, {"round": 1, "department": "d"}))
    return facts


def claims_of(facts: list[Fact], now: datetime | None = None):
    return decide(POLICY.compensation, {}, fold("t-2", facts), Inputs(), now or uk(2026, 12, 31),
                  timedelta(hours=1))


def by_promise(facts: list[Fact], now: datetime | None = None) -> dict:
    return {c.promise: c for c in claims_of(facts, now)}


def test_working_days_skip_weekends_and_bank_holidays() -> None:
    cal = WorkingDays()
    assert not cal.working(uk(2026, 4, 3).date()) and not cal.working(uk(2026, 4, 6).date())  # Good Friday, Easter Mon
    assert repair_deadline(SCHEME, uk(2026, 3, 6, 10, 0)) == uk(2026, 3, 11)  # Fri → Mon, Tue → 24:00 Tue
    assert repair_deadline(SCHEME, uk(2026, 4, 2, 10, 0)) == uk(2026, 4, 9)  # Thu → (Fri, w/e, Mon off) Tue, Wed


def test_repair_over_easter_pays_from_the_first_day_after_the_qualifying_period() -> None:
    reported = uk(2026, 4, 2, 10, 0)
    assert by_promise(ticket(reported, done=uk(2026, 4, 8, 23, 59)))["repair"].status == MET
    late = by_promise(ticket(reported, done=uk(2026, 4, 9, 10, 0)))["repair"]
    assert (late.status, late.days_late, late.amount) == (DUE, 1, 1034)


def test_a_delay_spanning_1_april_uses_the_rate_in_force_each_day() -> None:
    late = by_promise(ticket(uk(2026, 3, 26, 10, 0), done=uk(2026, 4, 2, 12, 0)))["repair"]
    assert late.deadline == uk(2026, 3, 31)  # Fri 27, Mon 30
    assert (late.days_late, late.amount) == (3, 933 + 1034 * 2)
    assert "1 day(s) × 933 pence" in late.arithmetic and "2 day(s) × 1,034 pence" in late.arithmetic


def test_provision_counts_the_missed_start_date() -> None:
    booked = Fact("AppointmentBooked", uk(2026, 3, 20, 9), uk(2026, 3, 20, 9),
                  {"window_start": uk(2026, 3, 30, 8).isoformat(), "window_end": uk(2026, 3, 30, 12).isoformat()})
    on_time = by_promise(ticket(uk(2026, 3, 20, 9), "install", done=uk(2026, 3, 30, 17), extra=[booked]))
    assert on_time["provision"].status == MET
    late = by_promise(ticket(uk(2026, 3, 20, 9), "install", done=uk(2026, 4, 2, 11), extra=[booked]))["provision"]
    assert (late.days_late, late.amount) == (3, 583 * 2 + 646)  # 30, 31 March, 1 April


def rebooked(at: datetime, previous: datetime, by: str = "staff") -> Fact:
    return Fact("AppointmentRebooked", at, at, {
        "window_start": (previous + timedelta(days=3)).isoformat(),
        "window_end": (previous + timedelta(days=3, hours=4)).isoformat(),
        "previous_start": previous.isoformat(), "previous_end": (previous + timedelta(hours=4)).isoformat(),
        "requested_by": by, "customer_consent": True})


def test_cancellation_with_23h59_notice_is_a_missed_appointment_and_24h_is_not() -> None:
    slot = uk(2026, 5, 12, 8, 0)
    short = claims_of(ticket(uk(2026, 5, 1, 9), extra=[rebooked(slot - timedelta(hours=23, minutes=59), slot)],
                             done=uk(2026, 5, 2, 9)))
    appointment = [c for c in short if c.promise.startswith("appointment:")]
    assert len(appointment) == 1 and appointment[0].amount == 3231
    assert appointment[0].promise == "appointment:2026-05-12T08:00"
    enough = claims_of(ticket(uk(2026, 5, 1, 9), extra=[rebooked(slot - timedelta(hours=24), slot)],
                              done=uk(2026, 5, 2, 9)))
    assert not [c for c in enough if c.promise.startswith("appointment:")]
    customer = claims_of(ticket(uk(2026, 5, 1, 9), extra=[rebooked(slot - timedelta(hours=1), slot, "customer")],
                                done=uk(2026, 5, 2, 9)))
    assert not [c for c in customer if c.promise.startswith("appointment:")]


def test_no_show_by_the_engineer_pays_the_amount_in_force_that_day() -> None:
    missed = Fact("AppointmentMissed", uk(2023, 3, 31, 13), uk(2023, 3, 31, 13),
                  {"cause": "staff", "window_start": uk(2023, 3, 31, 8).isoformat(),
                   "window_end": uk(2023, 3, 31, 12).isoformat()})
    found = claims_of(ticket(uk(2023, 3, 30, 9), extra=[missed]))
    assert [c.amount for c in found if c.promise.startswith("appointment:")] == [2500]


def test_suspension_dates_accrue_nothing() -> None:
    during = by_promise(ticket(uk(2020, 4, 1, 10), done=uk(2020, 4, 20, 10)))["repair"]
    assert during.status == MET and "suspension" in during.arithmetic
    straddle = by_promise(ticket(uk(2020, 6, 1, 10), done=uk(2020, 6, 8, 10)))["repair"]
    assert (straddle.days_late, straddle.amount) == (3, 2400)  # due 24:00 3 June; 4–5 suspended; 6, 7, 8 June count
    for day, status in ((uk(2020, 6, 5, 8), EXEMPT), (uk(2020, 6, 6, 8), DUE)):
        missed = Fact("AppointmentMissed", day, day, {"cause": "staff", "window_start": day.isoformat(),
                                                      "window_end": (day + timedelta(hours=4)).isoformat()})
        found = [c for c in claims_of(ticket(uk(2020, 6, 1, 9), extra=[missed])) if c.promise.startswith("appointment")]
        assert found[0].status == status


def test_days_the_customer_caused_do_not_count_and_there_is_no_cap() -> None:
    pause = [Fact("TicketPaused", uk(2026, 3, 11, 9), uk(2026, 3, 11, 9), {"reason": "customer-not-home"}),
             Fact("TicketResumed", uk(2026, 3, 13, 9), uk(2026, 3, 13, 9), {"paused_seconds": 172800})]
    late = by_promise(ticket(uk(2026, 3, 6, 10), extra=pause, done=uk(2026, 3, 16, 10)))["repair"]
    assert late.days_late == 4 and late.amount == 4 * 933  # 11–16 March less 11, 12
    long = by_promise(ticket(uk(2026, 4, 7, 10), done=uk(2026, 7, 1, 10)))["repair"]
    assert long.amount == long.days_late * 1034 and long.amount > 10000


def test_open_repair_accrues_and_other_products_are_not_covered() -> None:
    open_ = by_promise(ticket(uk(2026, 3, 6, 10)), now=uk(2026, 3, 12, 10))["repair"]
    assert (open_.status, open_.days_late) == (OPEN, 2)
    assert claims_of(ticket(uk(2026, 3, 6, 10), product="electricity", done=uk(2026, 3, 20))) == []
