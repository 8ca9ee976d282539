"""Policy `field_time` (issue 3): per-role backdating limits, their validation, composition and display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest
from typer.testing import CliRunner

from shared.http.acting import backdate_problem
from shared.http.auth import Role
from shared.policy.cli import policy_app
from shared.policy.deployment import DEFAULT_POLICY, load_deployment_policy, load_policy_config, policy_path
from shared.policy.loader import SHIPPED_PACKS, load_pack, load_policy
from shared.policy.schema import ApiRole, FieldTimePolicy
from shared.settings import Settings
from tests.unit.sla.helpers import fails, write

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)



def test_policy_roles_are_the_api_roles():
    assert set(get_args(ApiRole)) == {role.value for role in Role}


def test_default_policy_limits():
    limits = load_policy(DEFAULT_POLICY).field_time
    assert limits.limit("ivr") == timedelta(minutes=15)
    assert limits.limit("technician") == timedelta(days=3)
    assert limits.limit("handler") == timedelta(hours=24)
    assert limits.limit("admin") == timedelta(days=3650)
    assert limits.limit("finance") == timedelta(0)  # not listed: may not backdate


@pytest.mark.parametrize("pack", SHIPPED_PACKS)
def test_packs_set_no_limits(pack):
    assert load_pack(pack).field_time == FieldTimePolicy()


def test_including_file_overrides_role_by_role(tmp_path):
    write(tmp_path, "pack: op\ninclude: [tietong-jianghan]\n"
                            "field_time: {max_backdate: {technician: 2d, agent: 30m}}\n", "base.yaml")
    path = write(tmp_path, "pack: site\ninclude: [base.yaml]\nfield_time:\n  max_backdate:\n"
                           "    technician: 6h\n    ivr: 0\n")
    limits = load_policy(path).field_time
    assert limits.limit("technician") == timedelta(hours=6)
    assert limits.limit("agent") == timedelta(minutes=30)  # kept from the included file
    assert limits.limit("ivr") == timedelta(0)


@pytest.mark.parametrize("text, expected", [
    ("1h30m", timedelta(hours=1, minutes=30)), ("90s", timedelta(seconds=90)), (45, timedelta(minutes=45)),
    ("0m", timedelta(0)),
])
def test_durations_use_the_timer_format(tmp_path, text, expected):
    path = write(tmp_path, f"pack: op\nfield_time: {{max_backdate: {{handler: {text}}}}}\n")
    assert load_policy(path).field_time.limit("handler") == expected


def test_unknown_role_names_the_key(tmp_path):
    path = write(tmp_path, "pack: op\nfield_time:\n  max_backdate:\n    technician: 3d\n    techie: 1d\n")
    err = fails(path)
    assert err.file == str(path)
    assert err.key == "field_time.max_backdate.techie"
    assert "unknown role 'techie'" in err.reason and "technician" in err.reason


def test_error_blames_the_file_that_set_the_key(tmp_path):
    write(tmp_path, "pack: base\nfield_time: {max_backdate: {agent: soon}}\n", "base.yaml")
    path = write(tmp_path, "pack: site\ninclude: [base.yaml]\nfield_time: {max_backdate: {ivr: 5m}}\n")
    err = fails(path)
    assert err.file == str(tmp_path / "base.yaml")
    assert err.key == "field_time.max_backdate.agent"
    assert "duration" in err.reason


@pytest.mark.parametrize("body, key", [
    ("field_time: {max_backdate: {agent: -5m}}", "field_time.max_backdate.agent"),
    ("field_time: {max_backdate: 3d}", "field_time.max_backdate"),
    ("field_time: {backdate: {agent: 1h}}", "field_time.backdate"),
    ("field_time: 3d", "field_time"),
])
def test_malformed_sections_name_the_key(tmp_path, body, key):
    assert fails(write(tmp_path, f"pack: op\n{body}\n")).key == key


def test_backdate_problem_uses_the_policy():
    limits = FieldTimePolicy.model_validate({"max_backdate": {"technician": "3d"}})
    assert backdate_problem(None, NOW, Role.TECHNICIAN, limits) is None
    assert backdate_problem(NOW - timedelta(days=3), NOW, Role.TECHNICIAN, limits) is None  # inclusive
    assert "at most" in (backdate_problem(NOW - timedelta(days=3, seconds=1), NOW, Role.TECHNICIAN, limits) or "")
    assert "at most" in (backdate_problem(NOW - timedelta(seconds=1), NOW, Role.HANDLER, limits) or "")
    assert "future" in (backdate_problem(NOW + timedelta(seconds=1), NOW, Role.ADMIN, limits) or "")
    assert backdate_problem(NOW, NOW, Role.HANDLER, limits) is None


def test_deployment_policy_follows_settings(tmp_path):
    path = write(tmp_path, "pack: op\nfield_time: {max_backdate: {ops: 2h}}\n")
    settings = Settings(gongdan_policy=path)
    assert policy_path(Settings(gongdan_policy=None)) == DEFAULT_POLICY
    assert load_deployment_policy(settings).field_time.limit("ops") == timedelta(hours=2)
    assert load_policy_config(settings).policy.field_time.limit("ops") == timedelta(hours=2)  # what a runtime holds


def test_settings_have_no_backdate_field():
    assert "gongdan_max_backdate" not in Settings.model_fields


def test_explain_prints_field_time():
    result = CliRunner().invoke(policy_app, ["explain", str(DEFAULT_POLICY)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("rule id")
    technician = next(line for line in lines if line.startswith("technician "))
    assert technician.split() == ["technician", "72h"]
    assert any(line.startswith("field time (field_time.max_backdate") for line in lines)


def test_explain_without_field_time_says_nobody_backdates():
    result = CliRunner().invoke(policy_app, ["explain", str(load_pack("nanjing-catv").files[-1])])
    assert result.exit_code == 0, result.output
    assert "no role may backdate occurred_at" in result.output
