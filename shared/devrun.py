"""`gongdan dev` / `make run`: the whole platform on one machine, nothing installed system-wide.

A small supervisor: embedded PostgreSQL, the embedded broker and the services (console included) run as its
children (or, for PostgreSQL, under its watch); one that dies is started again with backoff, and said so in one line. Ctrl-C, SIGTERM
and SIGHUP all stop everything. One stack per data directory (a lock file) and per set of ports."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from shared.devstack import (
    TANSU_AUTO_PARTITIONS,
    EmbeddedBroker,
    EmbeddedPostgres,
    die_with_parent,
    port_open,
    stop_process,
)
from shared.events.topics import TOPICS
from shared.http.auth import ensure_dev_keys
from shared.messaging.kafka import ensure_topics
from shared.settings import Settings

log = logging.getLogger("gongdan.dev")

FIRST_BACKOFF, MAX_BACKOFF = 0.5, 30.0
STEADY_AFTER = 10.0  # ready this long before it died: bad luck, not a crash loop; the backoff starts over
START_ATTEMPTS = 3  # a service that dies this often before it was ever ready: give up (a bug, not bad luck)
LOG_ROTATE_BYTES = 20 * 1024 * 1024
STATE_FILE, LOCK_FILE = "dev-stack.json", "dev.lock"


def say(message: str) -> None:
    """One line for the person at the terminal (and the same in logs/dev.log). A closed terminal is no error."""
    log.info(message)
    try:
        print(f"{time.strftime('%H:%M:%S')} gongdan dev: {message}", flush=True)
    except OSError:  # SIGHUP: the terminal is gone
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the rest of the process


class StackLock:
    """An exclusive lock on DATA_DIR/dev.lock for as long as this process lives (released by the kernel even
    after kill -9). The file names the holder's pid."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the lock
            self._fd = None


class Unit:
    """Something the supervisor keeps running."""

    name: str
    log_path: Path

    def launch(self) -> None: ...
    def alive(self) -> bool: ...
    def ready(self) -> bool: ...
    def pid(self) -> int | None: ...
    def ending(self) -> str: return "stopped"
    def stop(self) -> None: ...


class ServiceUnit(Unit):
    def __init__(self, name: str, port: int, env: dict[str, str], log_path: Path) -> None:
        self.name, self.port, self.env, self.log_path = name, port, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self) -> None:
        _rotate(self.log_path)
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", self.name, "--port", str(self.port)], env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                process_group=0,  # Ctrl-C and a closing terminal reach only us; we stop them in order
                preexec_fn=die_with_parent(),  # and if we are killed outright, they stop too
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def ending(self) -> str:
        return _ending(self.process)

    def terminate(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]

    def stop(self) -> None:
        stop_process(self.process, grace=20)


class BrokerUnit(Unit):
    """The embedded broker, always on the same port (clients reconnect to it); topics created again after a
    restart (the services also notice and recreate them, and republish what consumers may not have applied)."""

    name = "broker"

    def __init__(self, broker: EmbeddedBroker, partitions: int) -> None:
        self.broker, self.partitions = broker, partitions
        self.log_path = broker.log_file  # type: ignore[assignment]

    def launch(self) -> None:
        if self.log_path:
            _rotate(self.log_path)
        try:
            self.broker.start()
        except Exception:
            self.broker.stop()  # started but never listened: not half-running
            raise
        try:
            asyncio.run(ensure_topics(self.broker.bootstrap, TOPICS.all(), self.partitions, give_up_after=15))
        except Exception as exc:  # noqa: BLE001 - the services recreate missing topics themselves
            say(f"broker: could not create the topics yet ({_one_line(exc)}); the services will")

    def alive(self) -> bool:
        return self.broker.process is not None and self.broker.process.poll() is None

    def ready(self) -> bool:
        return port_open("127.0.0.1", self.broker.port)

    def pid(self) -> int | None:
        return self.broker.process.pid if self.broker.process is not None else None

    def ending(self) -> str:
        return _ending(self.broker.process)

    def stop(self) -> None:
        self.broker.stop()


class PostgresUnit(Unit):
    """Embedded PostgreSQL (pg_ctl daemonizes it, so it is watched by pid, not waited for)."""

    name = "postgres"

    def __init__(self, postgres: EmbeddedPostgres) -> None:
        self.postgres = postgres
        self.log_path = postgres.data_dir / "log"

    def launch(self) -> None:
        self.postgres.restart()

    def alive(self) -> bool:
        return self.postgres.alive()

    def ready(self) -> bool:
        return self.postgres.alive()

    def pid(self) -> int | None:
        return self.postgres.pid

    def ending(self) -> str:
        return f"is gone (postmaster pid {self.pid()})"

    def stop(self) -> None:
        self.postgres.stop()


class Slot:
    """A unit and where it stands: starting (launched, not yet ready), up, or waiting to be started again."""

    def __init__(self, unit: Unit, state: str = "starting") -> None:
        self.unit, self.state = unit, state
        self.since = time.monotonic()
        self.restart_at = 0.0
        self.backoff = FIRST_BACKOFF
        self.restarts = 0
        self.ever_ready = state == "up"
        self.ready_at: float | None = time.monotonic() if state == "up" else None
        self.deaths_before_ready = 0


class DevStack:
    def __init__(self, settings: Settings, services: Sequence[str], *, port_base: int, broker_port: int,
                 data_dir: Path) -> None:
        self.settings, self.data_dir = settings, data_dir
        self.logs = data_dir / "logs"
        self.ports = {name: port_base + i for i, name in enumerate(services)}  # the first (console) on port_base
        self.postgres = None if settings.database_url else EmbeddedPostgres(data_dir / "pg")
        self.broker = None if "kafka_bootstrap_servers" in settings.model_fields_set else EmbeddedBroker(
            broker_port, log_file=self.logs / "broker.log", tied_to_parent=True)
        self.slots: dict[str, Slot] = {}
        self.stop_signal: int | None = None
        # After a restart the broker is reachable a moment before we have created the topics, and a client that
        # asks for one first gets it created by the broker, with Tansu's own partition count. Any other count
        # would leave producers writing to partitions the new topic does not have.
        self.partitions = settings.gongdan_topic_partitions
        if self.broker and "gongdan_topic_partitions" not in settings.model_fields_set:
            self.partitions = TANSU_AUTO_PARTITIONS

    # -- signals -------------------------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        def on_signal(signum: int, frame: object) -> None:
            if self.stop_signal is None:
                self.stop_signal = signum

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, on_signal)

    @property
    def stopping(self) -> bool:
        return self.stop_signal is not None

    # -- start ---------------------------------------------------------------------------------------------------
    def taken_ports(self) -> str | None:
        """None when every port we need is free, else which are taken and (best effort) by whom."""
        wanted = {port: name for name, port in self.ports.items()}
        if self.broker:
            wanted[self.broker.port] = "broker"
        taken = [port for port in sorted(wanted) if port_open("127.0.0.1", port)]
        if not taken:
            low = _ephemeral_low()
            if risky := [str(port) for port in sorted(wanted) if port >= low]:
                say(f"note: port {', '.join(risky)} lies in the kernel's ephemeral range (from {low}): while a "
                    "process is down, an outgoing connection may take its port and delay its restart")
            return None
        return ", ".join(f"{port} ({wanted[port]})" for port in taken) + _listener(taken[0])

    def start(self) -> str:
        """Start everything; returns the API key note. Raises RuntimeError when it cannot."""
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.postgres:
            say(f"starting PostgreSQL (embedded, data in {self.postgres.data_dir}) …")
            database_url = self.postgres.start()
            self.slots["postgres"] = Slot(PostgresUnit(self.postgres), state="up")
        else:
            database_url = self.settings.database_url  # type: ignore[assignment]
        if self.stopping:
            return ""
        if self.broker:
            say(f"starting the broker (embedded Tansu, in memory) on {self.broker.bootstrap} …")
            unit = BrokerUnit(self.broker, self.partitions)
            unit.launch()
            self.slots["broker"] = Slot(unit, state="up")
            bootstrap = self.broker.bootstrap
        else:
            bootstrap = self.settings.kafka_bootstrap_servers
            asyncio.run(ensure_topics(bootstrap, TOPICS.all(), self.settings.gongdan_topic_partitions))
        self.database_url, self.bootstrap = database_url, bootstrap
        env = {**os.environ, "DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "GONGDAN_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1",
               # the console (issue 12) calls the other services where this stack started them
               "GONGDAN_SERVICE_URLS": ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in self.ports.items())}
        if self.broker:
            env["GONGDAN_VOLATILE_BROKER"] = "true"
            env["GONGDAN_TOPIC_PARTITIONS"] = str(self.partitions)
        key_note = "from GONGDAN_API_KEYS"
        if not self.settings.gongdan_api_keys:
            env["GONGDAN_API_KEYS"], key_file = ensure_dev_keys(self.data_dir)
            key_note = str(key_file.resolve())
        if self.stopping:
            return key_note
        say(f"starting {', '.join(self.ports)} (logs in {self.logs.resolve()}/) …")
        for name, port in self.ports.items():
            unit = ServiceUnit(name, port, env, self.logs / f"{name}.log")
            unit.launch()
            self.slots[name] = Slot(unit)
        self.write_state()
        self.wait_until_ready()
        return key_note

    def wait_until_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not self.stopping and not all(s.state == "up" for s in self.slots.values()):
            self.tick(quiet_start=True)
            for name, slot in self.slots.items():
                if slot.deaths_before_ready >= START_ATTEMPTS:
                    raise RuntimeError(f"{name} could not start ({slot.unit.ending()}, {START_ATTEMPTS} times); "
                                       f"its log, {slot.unit.log_path.resolve()}, ends with:\n{_tail(slot.unit.log_path)}")
            if time.monotonic() > deadline:
                late = [n for n, s in self.slots.items() if s.state != "up"]
                raise RuntimeError(f"not ready after {timeout:.0f}s: {', '.join(late)} (logs in {self.logs.resolve()}/)")
            time.sleep(0.3)

    # -- supervise -----------------------------------------------------------------------------------------------
    def supervise(self) -> None:
        while not self.stopping:
            self.tick()
            time.sleep(0.25)

    def tick(self, quiet_start: bool = False) -> None:
        """Look at every unit once: notice deaths, start the ones whose backoff is over, notice readiness."""
        for name, slot in self.slots.items():
            if self.stopping:
                return
            now = time.monotonic()
            unit = slot.unit
            if slot.state in ("starting", "up") and not unit.alive():
                ran = now - slot.since
                if slot.ready_at is not None and now - slot.ready_at >= STEADY_AFTER:
                    slot.backoff = FIRST_BACKOFF
                if not slot.ever_ready:
                    slot.deaths_before_ready += 1
                slot.restarts += 1
                slot.state, slot.restart_at = "waiting", now + slot.backoff
                say(f"{name} {unit.ending()} after {_duration(ran)}; restarting in {slot.backoff:g} s "
                    f"(restart {slot.restarts}; log: {unit.log_path})")
                slot.backoff = min(slot.backoff * 2, MAX_BACKOFF)
            elif slot.state == "waiting" and now >= slot.restart_at:
                try:
                    unit.launch()
                except Exception as exc:  # noqa: BLE001 - any failure to start is retried the same way
                    slot.restart_at = time.monotonic() + slot.backoff
                    say(f"{name} did not start again ({_one_line(exc)}); next try in {slot.backoff:g} s")
                    slot.backoff = min(slot.backoff * 2, MAX_BACKOFF)
                    continue
                slot.state, slot.since, slot.ready_at = "starting", time.monotonic(), None
                self.write_state()
            elif slot.state == "starting" and unit.ready():
                first = not slot.ever_ready
                slot.state, slot.ever_ready, slot.ready_at = "up", True, time.monotonic()
                if not (first and quiet_start):
                    say(f"{name} is back (ready {_duration(time.monotonic() - slot.since)} after its restart)")

    def write_state(self) -> None:
        """DATA_DIR/dev-stack.json: who runs where (for people and for the fault tests)."""
        state = {"pid": os.getpid(), "ports": self.ports,
                 "broker": self.bootstrap if hasattr(self, "bootstrap") else None,
                 "processes": {name: slot.unit.pid() for name, slot in self.slots.items()}}
        tmp = self.data_dir / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.data_dir / STATE_FILE)

    # -- stop ----------------------------------------------------------------------------------------------------
    def stop(self) -> None:
        services = [s.unit for s in self.slots.values() if isinstance(s.unit, ServiceUnit)]
        for unit in services:
            unit.terminate()
        for unit in services:
            unit.stop()
        if self.broker:
            self.broker.stop()
        if self.postgres:
            self.postgres.stop()
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)

    def summary(self, key_note: str) -> str:
        lines = ["", "Gongdan is running. Ctrl-C stops everything; a process that dies is started again.", ""]
        lines += [f"  {name:<13} http://127.0.0.1:{port}   (docs: /docs)" for name, port in self.ports.items()]
        pg = f"embedded, data in {self.postgres.data_dir}" if self.postgres else _hide_password(self.database_url)
        kafka = f"{self.bootstrap} (embedded Tansu, in memory)" if self.broker else self.bootstrap
        lines += ["", f"  PostgreSQL    {pg}", f"  Kafka         {kafka}", f"  API keys      {key_note}",
                  f"  Logs          {self.logs.resolve()}/  (<service>.log, broker.log, dev.log"
                  + ("; PostgreSQL's own: pg/log)" if self.postgres else ")"), ""]
        return "\n".join(lines)


def run_dev_stack(settings: Settings, services: Sequence[str], *, port_base: int, broker_port: int, data_dir: Path,
                  setup_logging: Callable[[], None] | None = None) -> int:
    """Run `services` (names `python -m services.cli serve` knows) on port_base, port_base+1 … with an embedded
    PostgreSQL and broker, supervised, until a signal stops it all."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = StackLock(data_dir)
    if not lock.acquire():
        print(f"gongdan dev: a dev stack is already running on {data_dir.resolve()} (pid {lock.holder()}); "
              "nothing was started or changed. Stop that one first (Ctrl-C in its terminal).", file=sys.stderr,
              flush=True)
        return 1
    stack = DevStack(settings, services, port_base=port_base, broker_port=broker_port, data_dir=data_dir)
    try:
        if taken := stack.taken_ports():
            print(f"gongdan dev: already in use: port {taken}. Is another dev stack running? Nothing was started; "
                  "stop it, or choose other ports (--port-base, --broker-port).", file=sys.stderr, flush=True)
            return 1
        if setup_logging is not None:
            setup_logging()
        stack.install_signal_handlers()
        try:
            key_note = stack.start()
            if not stack.stopping:
                print(stack.summary(key_note), flush=True)
                stack.supervise()
            return 0
        except Exception as exc:
            log.exception("gongdan dev failed")
            say(f"{exc if isinstance(exc, RuntimeError) else _one_line(exc)}; stopping everything "
                f"(details in {stack.logs.resolve() / 'dev.log'})")
            return 1
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            if stack.stop_signal is not None:
                say(f"{signal.Signals(stack.stop_signal).name} received; stopping …")
            stack.stop()
            say("stopped")
    finally:
        lock.release()


def _ending(process: subprocess.Popen[bytes] | None) -> str:
    code = None if process is None else process.returncode
    if code is None:
        return "stopped"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _rotate(path: Path) -> None:
    try:
        if path.stat().st_size > LOG_ROTATE_BYTES:
            os.replace(path, path.with_suffix(path.suffix + ".1"))
    except FileNotFoundError:
        pass


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join("    " + line for line in path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "    (no log)"


def _listener(port: int) -> str:
    """Best effort: which process listens on the port (needs the rights to see it)."""
    try:
        import psutil

        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                command = " ".join(psutil.Process(conn.pid).cmdline()[:6])
                return f"; {port} is held by pid {conn.pid} ({command[:100]})"
    except Exception:  # noqa: BLE001 - only a hint
        pass
    return ""


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url
