"""The services started in-process against real infrastructure, with a controllable clock."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from services.catalog import SERVICE_NAMES, load_spec
from shared.clock import ControllableClock
from shared.devstack import TANSU_AUTO_PARTITIONS
from shared.http.auth import Role
from shared.service import ServiceRuntime, create_app
from shared.settings import Settings
from tests.support.directory import seed_directory

T = TypeVar("T")


@dataclass
class Stack:
    apps: dict[str, FastAPI]
    clients: dict[str, httpx.AsyncClient]
    keys: dict[Role, str]
    clock: ControllableClock
    settings: Settings

    def runtime(self, service: str) -> ServiceRuntime:
        return self.apps[service].state.runtime

    def auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    async def stop(self) -> None:
        for client in self.clients.values():
            await client.aclose()
        for app in self.apps.values():
            await app.state.runtime.stop()


def api_keys() -> dict[Role, str]:
    return {role: secrets.token_urlsafe(24) for role in Role}


async def start_stack(database_url: str, bootstrap: str, volatile_broker: bool) -> Stack:
    keys = api_keys()
    settings = Settings(
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        gongdan_volatile_broker=volatile_broker,
        # The embedded broker recreates a topic it lost with its own partition count when a client first asks
        # for it: use that count, or producers keep writing to partitions the new topic lacks (shared/devrun.py).
        **({"gongdan_topic_partitions": TANSU_AUTO_PARTITIONS} if volatile_broker else {}),
        gongdan_api_keys=",".join(f"test-{role}:{role}:{key}" for role, key in keys.items()),
    )
    clock = ControllableClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # Mon 09:00 Asia/Shanghai
    apps = {name: create_app(load_spec(name), settings, clock) for name in SERVICE_NAMES}
    # The console (issue 12) calls the other services over HTTP: here straight into their apps, in this process.
    apps["console"].state.upstream_transports = {
        name: httpx.ASGITransport(app=app, raise_app_exceptions=False) for name, app in apps.items() if name != "console"}
    await asyncio.gather(*(app.state.runtime.start() for app in apps.values()))
    clients = {
        name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                base_url=f"http://{name}")
        for name, app in apps.items()
    }
    await seed_directory(clients["dispatch"], keys[Role.ADMIN])  # issue 8: the departments the tests dispatch to
    return Stack(apps, clients, keys, clock, settings)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 10, every: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail with the last value after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")
