"""Compensation schemes as policy (issue 11): merged across includes, validated, explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from shared.policy import PolicyError, load_policy


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "operator.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_operator_file_changes_an_amount_and_opts_districts_in(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, """
pack: lyg-operator
include: [telecom-lyg-sameday]
compensation:
  schemes:
    CT-sameday:
      repair: {cap_fen: 5000}
      eligibility: {opt_in_districts: [guanyun]}
"""))
    scheme = policy.compensation.schemes["CT-sameday"]
    assert scheme.repair.cap_fen == 5000 and scheme.repair.fen_per_day == 1000
    assert scheme.eligibility.opt_in_districts == ("guanyun",)


def test_a_ct_promise_must_name_a_cutoff_timer(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy(write(tmp_path, """
pack: lyg-operator
include: [telecom-lyg-sameday]
compensation:
  schemes:
    CT-sameday: {repair: {timer: CT-declined-repair-48h}}
"""))
    assert err.value.key == "compensation.schemes.CT-sameday.repair.timer" and "cutoff" in err.value.reason


def test_ofcom_amount_tables_must_be_in_date_order(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as err:
        load_policy(write(tmp_path, """
pack: uk-operator
include: [uk-ofcom-acs]
compensation:
  schemes:
    OF-acs:
      amounts:
        - {from: 2026-04-01, repair: 1, provision: 1, appointment: 1}
        - {from: 2019-04-01, repair: 1, provision: 1, appointment: 1}
"""))
    assert "date order" in err.value.reason


def test_disable_drops_a_scheme(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "pack: x\ninclude: [telecom-lyg-sameday]\n"
                                         "compensation: {disable: [CT-sameday]}\n"))
    assert policy.compensation.schemes == {}


def test_policy_explain_shows_schemes_and_amounts() -> None:
    root = Path(__file__).resolve().parents[3] / "policies"
    out = CliRunner().invoke(app, ["policy", "explain", str(root / "uk-ofcom-acs.yaml")]).output
    assert "1,034 pence/day" in out and "2020-03-23" in out
    out = CliRunner().invoke(app, ["policy", "explain", str(root / "telecom-lyg-sameday.yaml")]).output
    assert "cap 10,000 fen" in out and "2,000 fen once" in out
