"""Engines, per-service databases on one server, and migrations applied at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import URL, Connection, make_url
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


def create_engine(url: URL) -> AsyncEngine:
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


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
