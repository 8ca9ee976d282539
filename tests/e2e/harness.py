"""Drive a real `gongdan dev` from outside, as its users and a hostile world do: start it on free ports, send
tickets the way an IVR does (the same Idempotency-Key again after a failure), kill -9 its processes, and count
what every service holds afterwards. Used by tests/e2e and bench/faults.py."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.devstack import die_with_parent, port_open

SERVICES = ("intake", "dispatch", "sla_monitor", "penalty", "compensation")
CONSUMERS = SERVICES  # every service consumes gongdan.tickets
# where each service shows what it holds of a ticket
VIEWS = {"intake": "/tickets/{id}", "dispatch": "/tickets/{id}", "sla_monitor": "/tickets/{id}/sla",
         "penalty": "/tickets/{id}/penalties", "compensation": "/tickets/{id}/compensation"}
RETRY_STATUS = {409, 429, 500, 502, 503, 504}


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 20) -> int:
    """A block of free ports below the ephemeral range. A port in that range (what free_port() returns) can be
    taken, while its server is down, by any outgoing connection on the machine (the kernel picks local ports
    there), and a service restarted by the supervisor then cannot bind it again."""
    high = _ephemeral_low() - size - 1
    for _ in range(100):
        base = random.randrange(15000, high) // 10 * 10
        if all(_bindable(base + i) and not port_open("127.0.0.1", base + i) for i in range(size)):
            return base
    raise AssertionError("no free block of ports")


class DevStack:
    """`python -m services.cli dev` in a subprocess; its output collected by a thread (so the pipe never fills)."""

    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port_base = free_port_block()
        self.broker_port = self.port_base + 19  # services on port_base+1, +2, …
        self.ports: dict[str, int] = {}
        self.env = {k: v for k, v in (env or os.environ).items()
                    if k not in {"DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "GONGDAN_API_KEYS"}}
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "services.cli", "dev", "--port-base", str(self.port_base), "--broker-port",
                str(self.broker_port), "--data-dir", str(self.data_dir)]

    def start(self, timeout: float = 150) -> None:
        self.process = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env=self.env, preexec_fn=die_with_parent())  # we die: it stops all
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for_line("API keys", timeout)
        self.ports = json.loads((self.data_dir / "dev-stack.json").read_text())["ports"]

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for_line(self, needle: str, timeout: float, after: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                if needle in line:
                    return line
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not printed within {timeout}s:\n{''.join(self.lines[-40:])}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 90) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def database_url(self) -> str:
        """The embedded PostgreSQL server's URL (its socket directory in the data dir; no password)."""
        return f"postgresql://postgres@/postgres?host={self.data_dir / 'pg'}"

    def key(self, role: str) -> str:
        for line in (self.data_dir / "dev-api-keys.txt").read_text().splitlines():
            if line.split() and line.split()[0] == role:
                return line.split()[1]
        raise AssertionError(f"no {role} key")

    def pids(self) -> dict[str, int]:
        return json.loads((self.data_dir / "dev-stack.json").read_text())["processes"]

    def alive(self, name: str) -> int | None:
        """The pid of `name` if that process runs now (and is what it should be: pids get reused)."""
        import psutil

        pid = self.pids().get(name)
        try:
            process = psutil.Process(pid)
            command = " ".join(process.cmdline())
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
        except (psutil.Error, TypeError, ValueError):
            return None
        expected = {"broker": "tansu", "postgres": str(self.data_dir.resolve())}.get(name, f"serve {name} ")
        return pid if expected in command else None

    def kill(self, name: str, timeout: float = 60) -> int:
        """kill -9 one process of the stack (a service, the broker or postgres) as soon as it runs; its pid."""
        deadline = time.monotonic() + timeout
        while (pid := self.alive(name)) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} not running: nothing to kill")
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        return pid

    def back(self, name: str, old_pid: int) -> bool:
        """The supervisor started a new process in place of old_pid and it answers."""
        pid = self.pids().get(name)
        if pid is None or pid == old_pid:
            return False
        if name == "broker":
            return port_open("127.0.0.1", self.broker_port)
        if name == "postgres":
            return True
        try:
            return httpx.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_back(self, name: str, old_pid: int, timeout: float = 90) -> float:
        started = time.monotonic()
        while not self.back(name, old_pid):
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{name} not back {timeout}s after kill -9:\n{''.join(self.lines[-20:])}")
            time.sleep(0.2)
        return time.monotonic() - started


def ticket_body(i: int, run: str) -> dict:
    # distinct customer per ticket: a repeated fault (GX-5.3.1) would answer with the open ticket instead
    return {"customer": {"name": f"压测{i}", "phone": f"139{i:08d}", "address": f"测试路{i}号",
                         "account": f"FLT-{run}-{i}"}, "kind": "fault", "description": "故障注入测试"}


@dataclass
class Sent:
    key: str
    ticket_id: str | None = None
    attempts: int = 0
    unavailable: float = 0.0  # from the first failed attempt until it went through
    ids_seen: set[str] = field(default_factory=set)


class TicketLoad:
    """Log `count` tickets through intake with `workers` concurrent clients at most `rate` per second. A client
    that fails (connection refused or reset, timeout, 5xx) tries again with the same Idempotency-Key until it
    gets an answer. `gate(i)` is called before ticket i is sent (the fault injector uses it to interleave)."""

    def __init__(self, stack: DevStack, count: int, *, workers: int = 8, rate: float | None = None,
                 give_up_after: float = 180, gate: Callable[[int], None] | None = None) -> None:
        self.stack, self.count, self.workers, self.rate = stack, count, workers, rate
        self.give_up_after, self.gate = give_up_after, gate
        self.run_id = uuid.uuid4().hex[:8]
        self.sent = [Sent(key=f"fault-{self.run_id}-{i}") for i in range(count)]
        self.started_count = 0
        self.aborted = threading.Event()  # set to make every client give up at once
        self._lock = threading.Lock()
        self._local = threading.local()
        self._started = time.monotonic()

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.stack.key('ivr')}"}
        self._started = time.monotonic()
        with ThreadPoolExecutor(self.workers) as pool:
            clients = [httpx.Client(headers=headers, timeout=10) for _ in range(self.workers)]
            try:
                for result in pool.map(lambda i: self._send(i, clients), range(self.count)):
                    del result
            finally:
                for client in clients:
                    client.close()

    def _send(self, i: int, clients: list[httpx.Client]) -> None:
        if self.gate is not None:
            self.gate(i)
        if self.aborted.is_set():
            return
        if self.rate:
            wait = self._started + i / self.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        with self._lock:
            self.started_count += 1
            client = clients[self.started_count % len(clients)]
        sent = self.sent[i]
        first_failure: float | None = None
        deadline = time.monotonic() + self.give_up_after
        while not self.aborted.is_set():
            sent.attempts += 1
            try:
                reply = client.post(f"{self.stack.url('intake')}/tickets", json=ticket_body(i, self.run_id),
                                    headers={"Idempotency-Key": sent.key})
                if reply.status_code in (200, 201):
                    sent.ticket_id = reply.json()["ticket_id"]
                    sent.ids_seen.add(sent.ticket_id)
                    if first_failure is not None:
                        sent.unavailable = time.monotonic() - first_failure
                    return
                if reply.status_code not in RETRY_STATUS:
                    raise AssertionError(f"ticket {i}: {reply.status_code} {reply.text[:300]}")
            except httpx.TransportError:
                pass
            first_failure = first_failure or time.monotonic()
            if time.monotonic() > deadline:
                raise AssertionError(f"ticket {i} not accepted within {self.give_up_after}s")
            time.sleep(0.2)

    @property
    def longest_unavailability(self) -> float:
        return max((s.unavailable for s in self.sent), default=0.0)


@dataclass
class Census:
    """What every service holds of the tickets sent."""

    present: dict[str, int]
    missing: dict[str, list[str]]
    duplicated: dict[str, list[str]]  # TicketCreated applied more than once, or another event counted twice
    parked: dict[str, int]

    @property
    def lost(self) -> int:
        return len({t for ids in self.missing.values() for t in ids})

    @property
    def duplicates(self) -> int:
        return len({t for ids in self.duplicated.values() for t in ids})


def _applied_once(service: str, view: dict) -> bool:
    events = view.get("events") if "events" in view else view.get("timeline")
    if events is None:
        return True  # intake: its own ticket; duplicates there would show as two ids for one key
    created = sum(1 for e in events if e["type"] == "TicketCreated")
    return created == 1 and view.get("events_applied", len(events)) == len(events)


def census(stack: DevStack, ticket_ids: Iterable[str], *, wait: float = 120, workers: int = 8) -> Census:
    """Poll until every ticket is in every service (or `wait` runs out), then read each view once more."""
    ids = list(ticket_ids)
    admin = {"Authorization": f"Bearer {stack.key('admin')}"}
    missing = {s: list(ids) for s in SERVICES}
    duplicated: dict[str, list[str]] = {s: [] for s in SERVICES}
    deadline = time.monotonic() + wait
    with httpx.Client(headers=admin, timeout=10, limits=httpx.Limits(max_connections=workers * 2)) as client:

        def look(job: tuple[str, str]) -> tuple[str, str, dict | None]:
            service, ticket = job
            for _ in range(5):
                try:
                    reply = client.get(stack.url(service) + VIEWS[service].format(id=ticket))
                except httpx.TransportError:
                    time.sleep(0.5)
                    continue
                if reply.status_code == 200:
                    return service, ticket, reply.json()
                if reply.status_code == 404:
                    return service, ticket, None
                time.sleep(0.5)
            return service, ticket, None

        with ThreadPoolExecutor(workers) as pool:
            while True:
                for service, pending in missing.items():
                    # in chunks; a chunk with a ticket still missing ends this round for the service (it is
                    # behind), so a lagging service costs a few requests per round, not one per ticket
                    still: list[str] = []
                    for start in range(0, len(pending), workers * 4):
                        chunk = pending[start:start + workers * 4]
                        if still:
                            still += chunk
                            continue
                        for _, ticket, view in pool.map(look, [(service, t) for t in chunk]):
                            if view is None:
                                still.append(ticket)
                            elif not _applied_once(service, view):
                                duplicated[service].append(ticket)
                    missing[service] = still
                if not any(missing.values()) or time.monotonic() > deadline:
                    break
                time.sleep(2)
        parked = {}
        for service in CONSUMERS:
            try:
                reply = client.get(f"{stack.url(service)}/dead-letters")
                parked[service] = len(reply.json().get("items", [])) if reply.status_code == 200 else -1
            except (httpx.HTTPError, ValueError):
                parked[service] = -1
    present = {s: len(ids) - len(missing[s]) for s in SERVICES}
    return Census(present, missing, duplicated, parked)


class FaultInjector:
    """kill -9 processes of the stack while tickets flow. Kill k happens once ticket `at[k]` is about to be sent;
    sending waits for it, so every kill lands inside the run. With `wait_back`, the next kill waits until the
    supervisor has the previous victim back (one fault at a time); without, faults may pile up."""

    def __init__(self, stack: DevStack, plan: list[tuple[int, str]], *, wait_back: bool = True,
                 jitter: float = 0.0, seed: int | None = None) -> None:
        self.stack, self.plan, self.wait_back, self.jitter = stack, sorted(plan), wait_back, jitter
        self.random = random.Random(seed)
        self.done = 0
        self.recoveries: list[tuple[str, float]] = []
        self.errors: list[BaseException] = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._progress = 0

    def gate(self, i: int) -> None:
        with self._cond:
            self._progress = max(self._progress, i)
            self._cond.notify_all()
            while self.done < len(self.plan) and self.plan[self.done][0] <= i and not self.errors:
                self._cond.wait(1)

    def start(self) -> None:
        self._thread.start()

    def abort(self, reason: str) -> None:
        with self._cond:
            self.errors.append(AssertionError(reason))
            self._cond.notify_all()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        pending: list[tuple[str, int, float]] = []
        try:
            for at, name in self.plan:
                with self._cond:
                    while self._progress < at and not self.errors:
                        self._cond.wait(1)
                if self.errors:
                    return
                if self.jitter:
                    time.sleep(self.random.uniform(0, self.jitter))
                pid = self.stack.kill(name)
                killed_at = time.monotonic()
                with self._cond:  # tickets flow on while the supervisor recovers
                    self.done += 1
                    self._cond.notify_all()
                if self.wait_back:
                    self.recoveries.append((name, self.stack.wait_back(name, pid)))
                else:
                    pending.append((name, pid, killed_at))
            for name, pid, killed_at in pending:
                self.stack.wait_back(name, pid, timeout=max(5.0, 120 - (time.monotonic() - killed_at)))
                self.recoveries.append((name, time.monotonic() - killed_at))
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            with self._cond:
                self.errors.append(exc)
                self._cond.notify_all()
