"""/docs and /redoc load nothing from outside Gongdan (issue 12): their assets come from the fastapi-offline wheel,
and a Content-Security-Policy keeps the browser from fetching what the bundles still name (ReDoc's logo)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'")

Message = MutableMapping[str, Any]


class _DocsPolicy:
    """ASGI middleware adding the policy header to the docs pages; every other request passes straight through
    (a plain ASGI middleware: no task and stream per request, as `@app.middleware("http")` would cost)."""

    def __init__(self, app: Callable[..., Awaitable[None]], paths: tuple[str, ...]) -> None:
        self.app, self.paths = app, paths

    async def __call__(self, scope: Message, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            return await self.app(scope, receive, send)

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-security-policy"]
                message["headers"] = [*headers, (b"content-security-policy", DOCS_POLICY.encode())]
            await send(message)

        await self.app(scope, receive, with_policy)


def keep_docs_local(app: FastAPI, paths: tuple[str, ...] = ("/docs", "/redoc")) -> None:
    app.add_middleware(_DocsPolicy, paths=paths)
