"""`gongdan dev` supervises its stack: kill -9 of any service or of the broker during a run is recovered without a
human and loses or doubles no ticket; SIGTERM and SIGHUP stop everything like Ctrl-C; a second stack beside a
running one is refused and touches nothing of the first."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from shared.devstack import port_open
from tests.e2e.harness import SERVICES, DevStack, FaultInjector, TicketLoad, census

pytestmark = pytest.mark.e2e

TICKETS = 300
# one kill -9 of each service and of the broker, spread over the run (ticket number at which it happens)
KILLS = [(30, "intake"), (70, "dispatch"), (110, "broker"), (150, "sla_monitor"), (190, "penalty"),
         (230, "compensation")]


def _assert_all_stopped(stack: DevStack) -> None:
    for port in [stack.broker_port, *stack.ports.values()]:
        assert not port_open("127.0.0.1", port), f"port {port} still open after the stack stopped"
    assert not (stack.data_dir / "pg" / "postmaster.pid").exists(), "PostgreSQL still running"


@pytest.mark.timeout(420)
def test_kill_9_of_each_service_and_the_broker_loses_and_doubles_nothing(tmp_path: Path) -> None:
    stack = DevStack(tmp_path / "data")
    stack.start()
    try:
        injector = FaultInjector(stack, KILLS, wait_back=True)
        load = TicketLoad(stack, TICKETS, workers=6, rate=25, gate=injector.gate)
        injector.start()
        load.run()
        injector.join(timeout=120)
        assert not injector.errors, injector.errors
        assert [name for name, _ in injector.recoveries] == [name for _, name in KILLS]

        assert all(len(s.ids_seen) == 1 for s in load.sent), "a retried request created a second ticket"
        result = census(stack, [s.ticket_id for s in load.sent if s.ticket_id], wait=120)
        report = (f"present {result.present}, missing {({s: m[:3] for s, m in result.missing.items() if m})}, "
                  f"duplicated {({s: d[:3] for s, d in result.duplicated.items() if d})}, parked {result.parked}, "
                  f"recoveries {injector.recoveries}, longest unavailability {load.longest_unavailability:.1f}s")
        assert result.present == {s: TICKETS for s in SERVICES}, report
        assert result.duplicates == 0, report
        assert all(n == 0 for n in result.parked.values()), report
        for _, name in KILLS:
            assert f"{name} was killed by SIGKILL" in stack.output, stack.output
    finally:
        code = stack.stop(signal.SIGHUP)  # closing the terminal stops everything too
    assert code == 0, stack.output
    assert "SIGHUP received" in stack.output and "gongdan dev: stopped" in stack.output
    _assert_all_stopped(stack)


@pytest.mark.timeout(240)
def test_a_second_stack_is_refused_and_sigterm_stops_everything(tmp_path: Path) -> None:
    stack = DevStack(tmp_path / "data")
    stack.start()
    try:
        pids = stack.pids()
        same_dir = subprocess.run(stack.command(), env=stack.env, capture_output=True, text=True, timeout=60)
        assert same_dir.returncode == 1
        assert "already running" in same_dir.stderr, same_dir.stderr

        other = DevStack(tmp_path / "other")
        other.port_base, other.broker_port = stack.port_base, stack.broker_port
        same_ports = subprocess.run(other.command(), env=stack.env, capture_output=True, text=True, timeout=60)
        assert same_ports.returncode == 1
        assert "already in use" in same_ports.stderr, same_ports.stderr
        assert not (tmp_path / "other" / "pg").exists(), "the refused stack started PostgreSQL"

        # the first stack did not notice
        assert stack.pids() == pids
        assert stack.process is not None and stack.process.poll() is None
        assert (stack.data_dir / "pg" / "postmaster.pid").exists()
        for service in stack.ports:
            assert httpx.get(f"{stack.url(service)}/readyz", timeout=5).status_code == 200
        assert "restarting" not in stack.output
    finally:
        code = stack.stop(signal.SIGTERM)
    assert code == 0, stack.output
    assert "SIGTERM received" in stack.output and "gongdan dev: stopped" in stack.output
    _assert_all_stopped(stack)
