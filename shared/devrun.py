"""`gongdan dev` / `make run`: the whole platform on one machine, nothing installed system-wide."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.catalog import SERVICE_NAMES
from shared.devstack import EmbeddedBroker, EmbeddedPostgres, stop_process
from shared.events.topics import TOPICS
from shared.http.auth import ensure_dev_keys
from shared.messaging.kafka import ensure_topics
from shared.settings import Settings


class _Stop(Exception):
    pass


def run_dev_stack(settings: Settings, *, port_base: int, broker_port: int, data_dir: Path) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    postgres = None if settings.database_url else EmbeddedPostgres(data_dir / "pg")
    broker = None if "kafka_bootstrap_servers" in settings.model_fields_set else EmbeddedBroker(
        broker_port, log_file=data_dir / "broker.log")
    children: dict[str, subprocess.Popen[bytes]] = {}

    def on_signal(signum: int, frame: object) -> None:
        raise _Stop

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        database_url = settings.database_url or postgres.start()  # type: ignore[union-attr]
        bootstrap = broker.start() if broker else settings.kafka_bootstrap_servers
        asyncio.run(ensure_topics(bootstrap, TOPICS.all(), settings.gongdan_topic_partitions))
        env = {**os.environ, "DATABASE_URL": database_url, "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
               "GONGDAN_DATA_DIR": str(data_dir)}
        if broker:
            env["GONGDAN_VOLATILE_BROKER"] = "true"
        key_note = "from GONGDAN_API_KEYS"
        if not settings.gongdan_api_keys:
            env["GONGDAN_API_KEYS"], key_file = ensure_dev_keys(data_dir)
            key_note = str(key_file.resolve())
        ports = {name: port_base + i for i, name in enumerate(SERVICE_NAMES, start=1)}
        for name, port in ports.items():
            children[name] = subprocess.Popen(
                [sys.executable, "-m", "shared.cli", "serve", name, "--port", str(port)], env=env,
                stdin=subprocess.DEVNULL, process_group=0,  # Ctrl-C reaches only us; we stop them in order
            )
        _wait_ready(children, ports)
        _print_summary(ports, database_url, bootstrap, key_note)
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    print(f"gongdan dev: {name} exited with {child.returncode}; stopping everything", flush=True)
                    return 1
            time.sleep(0.5)
    except _Stop:
        print("\ngongdan dev: stopping…", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"gongdan dev: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            stop_process(child, grace=20)
        if broker:
            broker.stop()
        if postgres:
            postgres.stop()
        print("gongdan dev: stopped", flush=True)


def _wait_ready(children: dict[str, subprocess.Popen[bytes]], ports: dict[str, int], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(ports)
    while pending:
        for name, port in list(pending.items()):
            if children[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {children[name].returncode} during start")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"not ready after {timeout}s: {', '.join(pending)}")
        time.sleep(0.3)


def _print_summary(ports: dict[str, int], database_url: str, bootstrap: str, key_note: str) -> None:
    lines = ["", "Gongdan is running. Ctrl-C stops everything.", ""]
    lines += [f"  {name:<13} http://127.0.0.1:{port}   (docs: /docs)" for name, port in ports.items()]
    lines += ["", f"  PostgreSQL    {database_url}", f"  Kafka         {bootstrap}", f"  API keys      {key_note}", ""]
    print("\n".join(lines), flush=True)
