"""Issue 13: pooled connections are pinged only after resting in the pool (`ping_when_idle`), not on every
checkout; one whose server side died while it rested is replaced before use, so no caller sees the dead one. A
write under an Idempotency-Key whose connection dies mid-way is run again on a fresh one; without a key it is not
(had its commit gone through, a second run would write twice)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from shared.clock import SystemClock
from shared.http.idempotency import StoredResponse, run_idempotent
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.database import admin_url, create_engine, ensure_database, ping_when_idle, service_url
from shared.persistence.tables import platform_tables


async def _engine(database_url: str, rest: float | None = None):
    """The services' engine; with `rest`, a bare pool pinging after that many seconds (a short test)."""
    url = service_url(database_url, "pool_ping")
    await ensure_database(database_url, url)
    if rest is None:
        return create_engine(url)
    engine = create_async_engine(url)
    ping_when_idle(engine, rest)
    return engine


async def _backend(engine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _kill(database_url: str, pid: int) -> None:
    admin = await asyncpg.connect(admin_url(database_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_that_died_while_resting_is_replaced_before_use(database_url: str) -> None:
    engine = await _engine(database_url)
    try:
        first = await _backend(engine)
        await _kill(database_url, first)
        await asyncio.sleep(1.2)  # longer than PING_AFTER_IDLE: the checkout pings, finds it dead, reconnects
        second = await _backend(engine)
        assert second != first
    finally:
        await engine.dispose()


async def test_a_busy_connection_is_not_pinged_but_a_rested_one_is(database_url: str) -> None:
    engine = await _engine(database_url, rest=0.3)
    pings = 0
    dialect_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection) -> bool:
        nonlocal pings
        pings += 1
        return dialect_ping(dbapi_connection)

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        for _ in range(5):  # back to back: reused at once, never pinged
            await _backend(engine)
        assert pings == 0
        await asyncio.sleep(0.5)
        await _backend(engine)
        assert pings == 1
    finally:
        await engine.dispose()


async def _killed_once(database_url: str, key: str | None) -> tuple[StoredResponse, int]:
    """run_idempotent over an operation whose first run loses its connection (its backend is terminated)."""
    engine = await _engine(database_url)
    tables = platform_tables(MetaData())
    async with engine.begin() as conn:
        await conn.run_sync(tables.idempotency_keys.metadata.create_all, tables=[tables.idempotency_keys])
    runs = 0

    async def operation(uow: UnitOfWork) -> StoredResponse:
        nonlocal runs
        runs += 1
        if runs == 1:
            await uow.conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return StoredResponse(201, {"run": runs})

    try:
        response, _ = await run_idempotent(lambda: UnitOfWork(engine, tables, SystemClock(), lambda: None),
                                           tables, "ivr-1", key, "fingerprint", operation)
        return response, runs
    finally:
        await engine.dispose()


async def test_a_keyed_write_whose_connection_died_runs_again(database_url: str) -> None:
    response, runs = await _killed_once(database_url, key=f"lost-{uuid.uuid4()}")
    assert (response.status_code, response.body, runs) == (201, {"run": 2}, 2)


async def test_an_unkeyed_write_whose_connection_died_is_not_run_again(database_url: str) -> None:
    with pytest.raises(DBAPIError) as raised:
        await _killed_once(database_url, key=None)
    assert raised.value.connection_invalidated
