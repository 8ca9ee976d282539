"""A route class whose 405 names every method of its path (`Allow`), not only its own.

Starlette answers a method a path does not take with the `Allow` of the *first* route of that path, so a path
served by two routes (`POST /mail` and `GET /mail`) would say `Allow: POST` to an OPTIONS or PUT. Routers that put
several methods on one path use `APIRouter(route_class=same_path_routes())`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import HTTPException
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send


def same_path_routes() -> type[APIRoute]:
    """A route class sharing one method table among the routes of a router (and their copies in the app)."""
    methods: dict[str, set[str]] = defaultdict(set)

    class SamePathRoute(APIRoute):
        def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
            super().__init__(path, endpoint, **kwargs)
            methods[self.path_format].update(self.methods or ())

        async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
            if self.methods and scope["method"] not in self.methods:
                raise HTTPException(405, headers={"Allow": ", ".join(sorted(methods[self.path_format]))})
            await super().handle(scope, receive, send)

    return SamePathRoute
