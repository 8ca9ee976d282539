"""Engines, per-service databases on one server, and migrations applied at start."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_MIGRATION_LOCK = 7_410_001  # pg advisory lock id: two instances of a service never migrate at once
# alembic's `context` and `op` are process-wide proxies: services sharing a process (tests) migrate one at a time.
_IN_PROCESS = asyncio.Lock()


def service_url(server_url: str, service: str) -> URL:
    """The service's own database on the configured server.

    `{service}` in DATABASE_URL is replaced by the service name; otherwise the database is gongdan_<service>.
    """
    if "{service}" in server_url:
        url = make_url(server_url.replace("{service}", service))
    else:
        url = make_url(server_url).set(database=f"gongdan_{service}")
    return url.set(drivername="postgresql+asyncpg")


def admin_url(server_url: str) -> str:
    """A libpq URL of the server's maintenance database, for creating service databases."""
    if "{service}" in server_url:
        url = make_url(server_url.replace("{service}", "postgres")).set(database="postgres")
    else:
        url = make_url(server_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


#: A pooled connection idle longer than this is pinged before use (see `ping_when_idle`).
PING_AFTER_IDLE = 1.0  # seconds


def create_engine(url: URL) -> AsyncEngine:
    engine = create_async_engine(url, pool_size=10, max_overflow=10)
    ping_when_idle(engine, PING_AFTER_IDLE)
    return engine


def ping_when_idle(engine: AsyncEngine, idle: float) -> None:
    """Pessimistic disconnect handling, only where it can matter: a connection that sat in the pool longer than
    `idle` seconds (the server may have restarted meanwhile) is pinged when checked out, and a dead one is
    replaced (DisconnectionError: the pool connects again). `pool_pre_ping` pings on every checkout, a round trip
    on every transaction of a busy service (issue 13). A connection that dies within `idle` of its last use fails
    its first statement instead; consumers, the relay and the workers retry that, HTTP answers 503."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _rested(dbapi_connection: object, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_rested(dbapi_connection: object, record: Any, proxy: object) -> None:
        since = record.info.get("idle_since")  # set at every checkin; a new connection has none
        if since is None or time.monotonic() - since <= idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection idle {time.monotonic() - since:.0f} s is gone") from exc


async def ensure_database(server_url: str, url: URL) -> None:
    """Create the service database if the server lacks it (managed servers may pre-create it instead)."""
    conn = await asyncpg.connect(admin_url(server_url))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", url.database)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{url.database}"')
            except asyncpg.DuplicateDatabaseError:
                pass
    finally:
        await conn.close()


async def migrate(engine: AsyncEngine, migrations_dir: Path) -> None:
    """`alembic upgrade head` for one service, serialised across instances by an advisory lock."""
    async with _IN_PROCESS, engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK})
        try:
            await conn.run_sync(_upgrade, migrations_dir)
            await conn.commit()
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _MIGRATION_LOCK})
            await conn.commit()


def _upgrade(conn: Connection, migrations_dir: Path) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


async def wait_for_database(server_url: str, attempts: int = 30) -> None:
    """At start, wait for the server to accept connections (it may be starting beside us)."""
    for attempt in range(attempts):
        try:
            conn = await asyncpg.connect(admin_url(server_url))
            await conn.close()
            return
        except (OSError, asyncpg.PostgresError):
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.2 * 2**attempt, 2.0))
