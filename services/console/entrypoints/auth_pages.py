"""Sign in and out, the language switch, and the console's own static files (nothing comes from elsewhere)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from services.console.domain import i18n, permissions
from services.console.entrypoints import web

router = APIRouter(route_class=web.ConsoleRoute, include_in_schema=False)
STATIC = Path(__file__).parent.parent / "static"
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}


def _local(target: str | None) -> str | None:
    """Only a path of this console is a place to go after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _home(request: Request) -> str:
    user = web.current_user(request)
    if user is None:
        return "/login"
    screen = permissions.home(user.role)
    return f"/{screen.replace('_', '-')}" if screen else "/nothing"


@router.get("/")
async def root(request: Request) -> Response:
    return web.redirect(_home(request))


@router.get("/nothing")
async def nothing(request: Request) -> Response:
    return web.render(request, "error.html", 403, user=web.user_for(request), title="forbidden", message=None)


@router.get("/login")
async def login_page(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    return web.render(request, "login.html", user=None, next=_local(next) or "", error=False)


@router.post("/login")
async def login(request: Request) -> Response:
    from urllib.parse import parse_qsl

    fields = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace")))
    key = fields.get("key", "").strip()
    principal = web.principal_for_key(request, key) if key else None
    if principal is None:
        return web.render(request, "login.html", 401, user=None, next=_local(fields.get("next")) or "", error=True)
    screen = permissions.home(principal.role)
    target = _local(fields.get("next")) or (f"/{screen.replace('_', '-')}" if screen else "/nothing")
    response = web.redirect(target)
    web.start_session(request, response, key)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    user = web.user_for(request)
    await web.form(request, user)
    response = web.redirect("/login")
    web.end_session(request, response)
    return response


@router.get("/lang/{code}")
async def switch_language(request: Request, code: str,
                          next: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    response = web.redirect(_local(next) or "/")
    response.set_cookie(web.LANG_COOKIE, i18n.language(code), max_age=365 * 86400, httponly=True,
                        secure=web.secure_cookies(request), samesite="strict", path="/")
    return response


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if name in STATIC_FILES:
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name],
                            headers={"Cache-Control": "public, max-age=300"})
    return Response(status_code=404)
