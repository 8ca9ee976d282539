"""Real PostgreSQL and a real Kafka-protocol broker for tests: from env URLs, else testcontainers when a Docker
engine answers, else the embedded processes. Never mocks."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port


def docker_available() -> bool:
    with suppress(Exception):
        import docker

        docker.from_env(timeout=2).ping()
        return True
    return False


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL whose `{service}` placeholder names each service's test database."""
    if url := os.environ.get("DATABASE_URL"):
        yield _test_databases(url)
    elif docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine") as pg:
            yield _test_databases(pg.get_connection_url())
    else:
        with tempfile.TemporaryDirectory(prefix="gongdan-pg-") as tmp:
            server = EmbeddedPostgres(Path(tmp) / "pg")
            try:
                yield _test_databases(server.start())
            finally:
                server.stop()


@contextmanager
def kafka_broker() -> Iterator[tuple[str, EmbeddedBroker | None]]:
    """(bootstrap servers, the embedded broker if we run one — tests may restart it)."""
    if bootstrap := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield bootstrap, None
    elif docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            yield kafka.get_bootstrap_server(), None
    else:
        with tempfile.TemporaryDirectory(prefix="gongdan-broker-") as tmp:
            broker = EmbeddedBroker(free_port(), log_file=Path(tmp) / "broker.log")
            try:
                yield broker.start(), broker
            finally:
                broker.stop()


def _test_databases(server_url: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(database="gongdan_test_{service}")
    return url.render_as_string(hide_password=False).replace("%7B", "{").replace("%7D", "}")
