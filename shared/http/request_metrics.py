"""Requests counted and timed per method, route and status (`gongdan_http_requests_total`, `…_seconds`)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from shared.metrics import ServiceMetrics

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class RequestMetrics:
    """ASGI middleware: a plain wrapper of `send` that notes the status. (`@app.middleware("http")` did the same
    with a task, a stream and a wrapped `receive` per request: a quarter of intake's CPU per POST, issue 13.)

    The route is the matched route's path template (the router, or the edge's refusal, puts it in the scope), or
    `unmatched`; a request that fails before an answer started counts as 500."""

    def __init__(self, app: Callable[[Message, Receive, Send], Awaitable[None]], metrics: ServiceMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.http_requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.http_seconds.labels(scope["method"], route).observe(time.perf_counter() - started)
