"""The other services' HTTP APIs as the console calls them, with the signed-in user's own key (so each API
still decides what that user may see and do)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

#: each service's own port (services/*/bootstrap.py); where the console looks when GONGDAN_SERVICE_URLS names none
DEFAULT_PORTS = {"intake": 8101, "dispatch": 8102, "sla_monitor": 8103, "penalty": 8104, "compensation": 8105}


def service_urls(spec: str | None) -> dict[str, str]:
    """GONGDAN_SERVICE_URLS (`name=url,...`) over the defaults; an unknown name or a bad entry fails start."""
    urls = {name: f"http://127.0.0.1:{port}" for name, port in DEFAULT_PORTS.items()}
    for entry in filter(None, (e.strip() for e in (spec or "").split(","))):
        name, sep, url = entry.partition("=")
        if not sep or name.strip() not in (*DEFAULT_PORTS, "console") or not url.strip().startswith(("http://",
                                                                                                      "https://")):
            raise ValueError(f"GONGDAN_SERVICE_URLS entry {entry!r}: expected name=http(s)://host:port, name one of "
                             f"{', '.join(DEFAULT_PORTS)}")
        urls[name.strip()] = url.strip().rstrip("/")
    urls.pop("console", None)
    return urls


class UpstreamError(Exception):
    """A service answered with an error (or not at all: status 503)."""

    def __init__(self, service: str, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{service}: {status} {message}")
        self.service, self.status, self.message, self.body = service, status, message, body


@dataclass
class Download:
    content: bytes
    media_type: str
    disposition: str | None


class Upstreams:
    """One HTTP client per service; `transports` (tests) routes a service straight into its ASGI app."""

    def __init__(self, urls: dict[str, str], transports: dict[str, httpx.AsyncBaseTransport] | None = None,
                 timeout: float = 10.0) -> None:
        self.urls, self.transports, self.timeout = urls, transports or {}, timeout
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client(self, service: str) -> httpx.AsyncClient:
        if service not in self._clients:
            self._clients[service] = httpx.AsyncClient(base_url=self.urls[service], timeout=self.timeout,
                                                       transport=self.transports.get(service))
        return self._clients[service]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def _send(self, service: str, method: str, path: str, key: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        try:
            response = await self.client(service).request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise UpstreamError(service, 503, f"unreachable ({type(exc).__name__})") from None
        if response.status_code >= 400:
            try:
                body = response.json()
                message = body.get("error", {}).get("message") or response.reason_phrase
            except ValueError:
                body, message = None, response.reason_phrase
            raise UpstreamError(service, response.status_code, message, body)
        return response

    async def get(self, service: str, path: str, key: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        return (await self._send(service, "GET", path, key, params=clean)).json()

    async def post(self, service: str, path: str, key: str, body: dict[str, Any] | None = None,
                   idempotency_key: str | None = None) -> Any:
        """A write; the Idempotency-Key (a form's own token) makes a double submit harmless."""
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return (await self._send(service, "POST", path, key, json=body or {}, headers=headers)).json()

    async def download(self, service: str, path: str, key: str, params: dict[str, Any] | None = None) -> Download:
        response = await self._send(service, "GET", path, key, params=params or {})
        return Download(response.content, response.headers.get("content-type", "application/octet-stream"),
                        response.headers.get("content-disposition"))
