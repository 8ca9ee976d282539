"""/docs and /redoc load nothing from outside Gongdan (issue 12): their assets come from the fastapi-offline wheel,
and a Content-Security-Policy keeps the browser from fetching what the bundles still name (ReDoc's logo)."""

from __future__ import annotations

from fastapi import FastAPI, Request

DOCS_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'")


def keep_docs_local(app: FastAPI, paths: tuple[str, ...] = ("/docs", "/redoc")) -> None:
    @app.middleware("http")
    async def docs_policy(request: Request, call_next):
        response = await call_next(request)
        if request.url.path in paths:
            response.headers["Content-Security-Policy"] = DOCS_POLICY
        return response
