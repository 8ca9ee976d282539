"""Policy loader: shipped packs, include + override, and errors naming file and key path."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.policy.loader import PACKS_DIR, SHIPPED_PACKS, load_pack, load_policy
from tests.unit.sla.helpers import fails, write


@pytest.mark.parametrize("pack", SHIPPED_PACKS)
def test_every_shipped_pack_loads(pack):
    policy = load_pack(pack)
    assert policy.pack == pack
    assert (PACKS_DIR / f"{pack}.yaml").exists()
    assert len({r.rule_id for r in policy.timers}) == len(policy.timers)
    assert "default" in policy.calendars


def test_include_and_override(tmp_path):
    path = write(
        tmp_path,
        """
pack: my-operator
include: [tietong-jianghan, telecom-lyg-sameday]
calendars:
  default: {holidays: [2025-06-09]}
overrides:
  TT-repair-22h: {deadline: {duration: 20h}}
  TT-callback-1h:
    deadline: {windows: ["08:00-20:00"]}
  CT-sameday-repair: {deadline: {after_hours: 36}, warning: 0.9}
disable: [TT-email-72h]
""",
    )
    policy = load_policy(path)
    assert policy.packs == ("tietong-jianghan", "telecom-lyg-sameday", "my-operator")
    assert policy.timer("TT-repair-22h").deadline.duration == timedelta(hours=20)
    assert policy.timer("TT-repair-22h").source.startswith("TT-6")  # untouched keys kept
    assert policy.timer("TT-callback-1h").deadline.windows == ("08:00-20:00",)
    assert policy.timer("TT-callback-1h").deadline.duration == timedelta(minutes=60)
    assert policy.timer("CT-sameday-repair").deadline.after_hours == 36
    assert policy.timer("CT-sameday-repair").warning == 0.9
    assert policy.calendars["default"].holidays == (date(2025, 6, 9),)
    assert policy.calendars["default"].hours == ("08:30-12:00", "13:30-17:30")
    with pytest.raises(KeyError):
        policy.timer("TT-email-72h")
    assert len(policy.files) == 3


def test_bad_override_value_names_file_and_key(tmp_path):
    path = write(
        tmp_path,
        "pack: op\ninclude: [tietong-jianghan]\noverrides:\n  TT-repair-22h: {deadline: {duration: soon}}\n",
    )
    err = fails(path)
    assert err.file == str(path)
    assert err.key == "overrides.TT-repair-22h.deadline.duration"
    assert "duration" in err.reason and str(path) in str(err)


def test_unknown_key_in_timer_names_dotted_path(tmp_path):
    path = write(
        tmp_path,
        """
pack: op
timers:
  - rule_id: XX-one
    source: XX-1
    start: TicketDispatched
    stop: Resolved
    deadline: {type: elapsed, duration: 1h}
  - rule_id: XX-two
    source: XX-2
    start: TicketDispatched
    stop: Resolved
    deadline: {type: elapsed, duraton: 1h}
""",
    )
    err = fails(path)
    assert err.key in {"timers[1].deadline.duraton", "timers[1].deadline.duration"}
    assert str(path) in str(err)


@pytest.mark.parametrize(
    ("deadline", "key", "why"),
    [
        ("{type: sometimes}", "timers[0].deadline.type", "tag"),
        (
            "{type: in_window, duration: 1h, windows: ['25:00-26:00']}",
            "timers[0].deadline.windows[0]",
            "HH:MM",
        ),
        ("{type: cutoff, before: '16:00', after_hours: 0}", "timers[0].deadline.after_hours", "greater"),
        ("{type: ahead_of, hours: 2, working_days: 1}", "timers[0].deadline", "exactly one"),
        (
            "{type: business, duration: 1h, calendar: night}",
            "timers[0].deadline.calendar",
            "unknown calendar",
        ),
    ],
)
def test_bad_deadline_errors(tmp_path, deadline, key, why):
    path = write(
        tmp_path,
        f"pack: op\ntimers:\n  - {{rule_id: XX-a, source: XX-1, start: TicketDispatched, stop: Resolved, deadline: {deadline}}}\n",
    )
    err = fails(path)
    assert (err.key, err.file) == (key, str(path))
    assert why in err.reason


def test_bad_calendar_names_key(tmp_path):
    path = write(tmp_path, "pack: op\ncalendars:\n  office: {zone: Mars/Base, hours: ['09:00-17:00']}\n")
    assert fails(path).key == "calendars.office.zone"
    path = write(
        tmp_path, "pack: op\ncalendars:\n  office: {holidays: [2025-06-09], workdays: [2025-06-09]}\n"
    )
    assert "both holiday and working day" in fails(path).reason


def test_error_in_included_file_blames_that_file(tmp_path):
    inner = write(tmp_path, "pack: inner\ncalendars:\n  default: {hours: ['12:00-09:00']}\n", "inner.yaml")
    outer = write(tmp_path, "pack: outer\ninclude: [inner.yaml]\n")
    err = fails(outer)
    assert (err.file, err.key) == (str(inner), "calendars.default.hours[0]")


def test_include_errors(tmp_path):
    assert fails(write(tmp_path, "pack: op\ninclude: [no-such-pack]\n")).key == "include[0]"
    a = write(tmp_path, "pack: a\ninclude: [b.yaml]\n", "a.yaml")
    write(tmp_path, "pack: b\ninclude: [a.yaml]\n", "b.yaml")
    assert "cycle" in fails(a).reason


def test_duplicate_and_unknown_overrides(tmp_path):
    dup = "pack: op\ninclude: [tietong-jianghan]\ntimers:\n  - {rule_id: TT-repair-22h, source: x}\n"
    assert fails(write(tmp_path, dup)).key == "timers[0].rule_id"
    assert (
        fails(write(tmp_path, "pack: op\noverrides:\n  TT-nope: {warning: 0.5}\n")).key == "overrides.TT-nope"
    )
    assert fails(write(tmp_path, "pack: op\ndisable: [TT-nope]\n")).key == "disable[0]"


def test_top_level_errors(tmp_path):
    assert fails(write(tmp_path, "pack: op\ntimerz: []\n")).key == "timerz"
    assert fails(write(tmp_path, "pack: Bad Name\n")).key == "pack"
    assert "invalid YAML" in fails(write(tmp_path, "pack: [unclosed\n")).reason
    assert "mapping" in fails(write(tmp_path, "- just a list\n")).reason
    assert "not found" in fails(tmp_path / "missing.yaml").reason
