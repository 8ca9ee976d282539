"""Browser tests (issue 12): the system's headless Chromium (Debian's `chromium`, installed here when missing and
we may), driven by Playwright for Python; an app served by uvicorn on a loopback port inside the test's loop; every
request outside that host recorded and refused."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    listed = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(listed.stdout.strip())


def ensure_chromium() -> tuple[str | None, str]:
    """The system Chromium (and a Chinese font, so screenshots are legible), installed with apt-get (Debian's
    `chromium`, `fonts-wqy-microhei`) when missing and we are root; else why not. Playwright's own browser download
    is never used."""
    found = find_chromium()
    wanted = ([] if found else ["chromium"]) + ([] if _has_cjk_font() else ["fonts-wqy-microhei"])
    if not wanted:
        return found, ""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        if found:
            return found, ""  # no Chinese font: the tests still run, screenshots show boxes for 汉字
        return None, "no chromium on PATH, and apt-get as root is not available to install Debian's `chromium`"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *wanted]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            return found, "" if found else f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}"
    found = find_chromium()
    return found, "" if found else "apt-get installed chromium but no chromium binary is on PATH"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serving(app: FastAPI, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """`app` on a free loopback port, on the running loop; its runtime stays the stack's (lifespan off)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning",
                                           access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task


class OutsideRequests:
    """Records, and aborts, every request a page makes to any host but the ones allowed."""

    def __init__(self, *allowed_urls: str) -> None:
        self.allowed = {urlsplit(u).netloc for u in allowed_urls}
        self.seen: list[str] = []

    async def route(self, route, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc in self.allowed:
            await route.continue_()
        else:
            self.seen.append(request.url)
            await route.abort()
