"""`gongdan policy check|explain` commands."""

from __future__ import annotations

from typer.testing import CliRunner

from shared.policy.cli import policy_app
from shared.policy.loader import PACKS_DIR

RUN = CliRunner()


def test_check_ok():
    result = RUN.invoke(policy_app, ["check", str(PACKS_DIR / "gx-power-966022.yaml")])
    assert result.exit_code == 0, result.output
    assert "6 timer rules" in result.output


def test_check_error_exits_1_naming_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: op\ninclude: [tietong-jianghan]\noverrides:\n  TT-repair-22h: {warning: 2}\n")
    result = RUN.invoke(policy_app, ["check", str(bad)])
    assert result.exit_code == 1
    assert "overrides.TT-repair-22h.warning" in result.output


def test_explain_table():
    result = RUN.invoke(policy_app, ["explain", str(PACKS_DIR / "tietong-jianghan.yaml")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("rule id") and "source" in lines[0]
    callback = next(line for line in lines if line.startswith("TT-callback-1h"))
    assert "in_window 1h in 09:00-12:00, 14:30-18:00 (every day)" in callback
    assert "Resolved → CallbackDone" in callback and "TT-8.14" in callback
    repair = next(line for line in lines if line.startswith("TT-repair-22h"))
    assert "elapsed 22h" in repair and "customer-not-home" in repair
