"""API keys, per-service database URLs and the controllable clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.clock import ControllableClock
from shared.http.auth import ApiKeyError, Role, ensure_dev_keys, parse_api_keys
from shared.persistence.database import admin_url, service_url

KEY = "k" * 24


def test_api_keys_parse_name_role_key() -> None:
    keys = parse_api_keys(f"ivr-1:ivr:{KEY}, fin:finance:{'f' * 20}")
    assert keys[KEY].name == "ivr-1" and keys[KEY].role is Role.IVR
    assert len(keys) == 2


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("ivr-1:ivr", "entry 1: expected name:role:key"),
        (f"a:ivr:{KEY},b:boss:{'b' * 20}", "entry 2 (b): unknown role 'boss'"),
        ("a:ivr:short", "shorter than 16"),
        (f"a:ivr:{KEY},b:ops:{KEY}", "already used"),
    ],
)
def test_bad_api_keys_fail_naming_the_entry(spec: str, message: str) -> None:
    with pytest.raises(ApiKeyError, match=re.escape(message)):
        parse_api_keys(spec)


def test_dev_keys_cover_every_role_and_survive_restart(tmp_path: Path) -> None:
    spec, path = ensure_dev_keys(tmp_path)
    assert {p.role for p in parse_api_keys(spec).values()} == set(Role)
    assert ensure_dev_keys(tmp_path) == (spec, path)
    assert oct(path.stat().st_mode)[-3:] == "600"


def test_each_service_gets_its_own_database_on_the_server() -> None:
    url = service_url("postgresql://u:p@db:5432/postgres", "penalty")
    assert url.database == "gongdan_penalty" and url.drivername == "postgresql+asyncpg"
    templated = service_url("postgresql://u:p@db/app_{service}?sslmode=require", "intake")
    assert templated.database == "app_intake"
    assert admin_url("postgresql://u:p@db/app_{service}").endswith("/postgres")
    assert admin_url("postgresql://u:p@db/ops") == "postgresql://u:p@db/ops"


def test_controllable_clock_moves_only_when_told() -> None:
    clock = ControllableClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.advance(timedelta(hours=22)) == datetime(2026, 1, 1, 22, tzinfo=UTC)
    with pytest.raises(ValueError):
        ControllableClock(datetime(2026, 1, 1))


def test_dev_key_file_from_an_older_version_gains_keys_for_new_roles(tmp_path: Path) -> None:
    old = f"dev-ivr:ivr:{KEY}"
    (tmp_path / "dev-api-keys.txt").write_text(f"GONGDAN_API_KEYS={old}\n")
    spec, _ = ensure_dev_keys(tmp_path)
    keys = parse_api_keys(spec)
    assert keys[KEY].role is Role.IVR  # kept
    assert {p.role for p in keys.values()} == set(Role)


@pytest.mark.parametrize("service", ["intake", "dispatch", "sla_monitor"])
async def test_a_bad_policy_file_stops_start_naming_the_key(service: str, tmp_path: Path) -> None:
    from services.catalog import load_spec
    from shared.clock import SystemClock
    from shared.policy import PolicyError
    from shared.service import ServiceRuntime
    from shared.settings import Settings

    bad = tmp_path / "policy.yaml"
    bad.write_text("pack: mine\nname: Mine\ninclude: [tietong-jianghan]\nfield_time:\n  max_backdate:\n    techie: 1h\n")
    runtime = ServiceRuntime(load_spec(service), Settings(gongdan_policy=bad, database_url="postgresql://x@nowhere/db"),
                             SystemClock())
    with pytest.raises(PolicyError, match="field_time.max_backdate.techie"):
        await runtime.start()  # fails before touching the database or the broker
