"""What every console page shares: the signed session cookie, the signed-in user, templates with the view helpers,
and one route class that turns 'sign in first', 'not for your role' and an upstream error into a page."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeTimedSerializer

from services.console.adapters.upstream import UpstreamError, Upstreams
from services.console.domain import formatting, i18n, permissions
from services.console.service_layer.config import ConsoleConfig
from shared.identity import Principal, Role

SESSION_COOKIE = "gongdan_console"
LANG_COOKIE = "gongdan_lang"
SESSION_HOURS = 12
#: nothing from outside the console, no framing, no inline script: what the browser may do with our pages
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.filters["money"] = formatting.money
templates.env.globals["can"] = permissions.can
templates.env.globals["may_record_step"] = permissions.may_record_step


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    key: str
    csrf: str


class SignInFirst(Exception):
    pass


class NotAllowed(Exception):
    pass


def config(request: Request) -> ConsoleConfig:
    return request.app.state.runtime.config


def now(request: Request) -> datetime:
    """The platform's clock (the tests' controllable one in the test stack), in the operator's zone."""
    return request.app.state.runtime.clock.now().astimezone(ZoneInfo(config(request).tz))


def upstreams(request: Request) -> Upstreams:
    """The console's clients of the other services (the test stack routes them into its in-process apps)."""
    up: Upstreams = config(request).upstreams
    if not up.transports:
        up.transports = getattr(request.app.state, "upstream_transports", None) or {}
    return up


def _secret(request: Request) -> str:
    cfg = config(request)
    if cfg.secret:
        return cfg.secret
    keys: dict[str, Principal] = request.app.state.api_keys
    material = "\n".join(sorted(f"{p.name}:{p.role.value}:{k}" for k, p in keys.items()))
    return hashlib.sha256(b"gongdan-console-session\n" + material.encode()).hexdigest()


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_secret(request), salt="gongdan-console-session")


def _fingerprint(request: Request, key: str) -> str:
    """What the cookie holds instead of the key: a keyed hash the console maps back to the key it knows."""
    return hmac.new(_secret(request).encode(), key.encode(), hashlib.sha256).hexdigest()[:32]


def principal_for_key(request: Request, presented: str) -> Principal | None:
    for key, principal in request.app.state.api_keys.items():
        if hmac.compare_digest(key.encode(), presented.encode(errors="replace")):
            return principal
    return None


def start_session(request: Request, response: Response, key: str) -> None:
    token = _serializer(request).dumps({"k": _fingerprint(request, key), "csrf": secrets.token_urlsafe(16)})
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True,
                        secure=secure_cookies(request), samesite="strict", path="/")


def secure_cookies(request: Request) -> bool:
    """HTTPS-only cookies unless the deployment turned that off (GONGDAN_CONSOLE_SECURE_COOKIE=false)."""
    return request.app.state.runtime.config.secure_cookie


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=secure_cookies(request),
                           samesite="strict")


def current_user(request: Request) -> User | None:
    """The signed-in user, or None: no cookie, a forged or expired one, or a key no longer configured."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        data = _serializer(request).loads(token, max_age=SESSION_HOURS * 3600)
    except BadSignature:
        return None
    for key, principal in request.app.state.api_keys.items():
        if hmac.compare_digest(_fingerprint(request, key), str(data.get("k", ""))):
            return User(principal.name, principal.role, key, str(data.get("csrf", "")))
    return None


def user_for(request: Request, capability: str | None = None) -> User:
    """The signed-in user who may use `capability`; else sign in first (303) or not allowed (403)."""
    user = current_user(request)
    if user is None:
        raise SignInFirst()
    if capability is not None and not permissions.can(user.role, capability):
        raise NotAllowed()
    return user


async def form(request: Request, user: User) -> dict[str, str]:
    """A posted form (urlencoded), after its CSRF token is checked against the session's."""
    fields = dict(parse_qsl((await request.body()).decode("utf-8", errors="replace"), keep_blank_values=True))
    if not user.csrf or not hmac.compare_digest(fields.get("csrf", ""), user.csrf):
        raise NotAllowed()
    return fields


def lang(request: Request) -> str:
    return i18n.language(request.cookies.get(LANG_COOKIE))


def render(request: Request, template: str, http_status: int = 200, **context: Any) -> Response:
    language = lang(request)
    tz = config(request).tz
    user = context.get("user")
    helpers = {
        "t": lambda key: i18n.translate(key, language),
        "lang": language,
        "when": lambda value, seconds=False: formatting.local_time(value, tz, seconds),
        "span": lambda seconds: formatting.duration(seconds, language),
        "tz": tz,
        "now_local": formatting.local_time(now(request), tz),
        "screens": permissions.screens(user.role) if user else [],
        "token": lambda: uuid.uuid4().hex,  # a form's Idempotency-Key: submitting it twice does it once
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    response = templates.TemplateResponse(request, template, helpers | context, status_code=http_status)
    response.headers.update(SECURITY_HEADERS)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def flash_url(path: str, message: str, ok: bool = True) -> str:
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}{'done' if ok else 'refused'}={quote(message[:300])}"


class ConsoleRoute(APIRoute):
    """Pages answer as pages: sign in first (303 to /login), not allowed (403), or the upstream error shown."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(f"/login?next={quote(target)}")
            except NotAllowed:
                return render(request, "error.html", 403, user=current_user(request), title="forbidden",
                              message=None)
            except UpstreamError as exc:
                if exc.status == 401:  # the key was withdrawn since sign-in
                    response = redirect("/login")
                    end_session(request, response)
                    return response
                title = {403: "forbidden", 404: "not_found"}.get(exc.status, "unavailable")
                status = exc.status if exc.status in (403, 404) else 502
                return render(request, "error.html", status, user=current_user(request), title=title,
                              message=f"{exc.service}: {exc.message}")

        return page
