"""`gongdan dev` (what `make run` starts) as a user runs it: everything embedded, one ticket through, Ctrl-C stops
every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.devstack import free_port, port_open

pytestmark = pytest.mark.e2e


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"{needle!r} not printed within {timeout}s:\n{''.join(seen[-40:])}")


def _key(key_file: Path, role: str) -> str:
    for line in key_file.read_text().splitlines():
        if line.split() and line.split()[0] == role:
            return line.split()[1]
    raise AssertionError(f"no {role} key in {key_file}")


def _free_port_block(size: int = 6) -> int:
    for _ in range(50):
        base = free_port() // 10 * 10 % 40000 + 20000
        if not any(port_open("127.0.0.1", base + i) for i in range(size)):
            return base
    raise AssertionError("no free block of ports")


def test_dev_stack_serves_a_ticket_and_stops_cleanly(tmp_path: Path) -> None:
    port_base, broker_port = _free_port_block(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "GONGDAN_API_KEYS"}}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "dev", "--port-base", str(port_base), "--broker-port",
         str(broker_port), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    try:
        lines = _wait_for_line(process, "API keys", timeout=120)
        assert any("Gongdan is running" in line for line in lines)
        key_file = tmp_path / "data" / "dev-api-keys.txt"
        ivr, dispatcher = _key(key_file, "ivr"), _key(key_file, "dispatcher")
        body = {"customer": {"name": "王五", "phone": "13812345678", "address": "鼓楼区中山路1号",
                             "account": "CATV-778899"}, "kind": "fault", "description": "电视无信号"}
        created = httpx.post(f"http://127.0.0.1:{port_base + 1}/tickets", json=body,
                             headers={"Authorization": f"Bearer {ivr}", "Idempotency-Key": "e2e-1"}, timeout=10)
        assert created.status_code == 201, created.text
        ticket_id = created.json()["ticket_id"]
        deadline = time.monotonic() + 10
        while True:
            seen = httpx.get(f"http://127.0.0.1:{port_base + 2}/tickets/{ticket_id}",
                             headers={"Authorization": f"Bearer {dispatcher}"}, timeout=5)
            if seen.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert seen.status_code == 200, seen.text
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "gongdan dev: stopped" in output
    for port in [broker_port, *range(port_base + 1, port_base + 6)]:
        assert not port_open("127.0.0.1", port), f"port {port} still open after Ctrl-C"
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists(), "PostgreSQL still running"
