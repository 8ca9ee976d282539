"""The plain ASGI middlewares every service runs (issue 13 replaced `@app.middleware("http")` for CPU): request
metrics per route template and status, and the docs' Content-Security-Policy."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, HTTPException

from shared.http.docs import DOCS_POLICY, keep_docs_local
from shared.http.request_metrics import RequestMetrics
from shared.metrics import ServiceMetrics


def _app(metrics: ServiceMetrics) -> FastAPI:
    app = FastAPI()
    keep_docs_local(app)
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get("/tickets/{ticket_id}")
    async def ticket(ticket_id: str) -> dict[str, str]:
        if ticket_id == "gone":
            raise HTTPException(404, "no such ticket")
        if ticket_id == "bug":
            raise RuntimeError("a handler bug")
        return {"id": ticket_id}

    return app


def _count(metrics: ServiceMetrics, route: str, status: str) -> float:
    value = metrics.registry.get_sample_value(
        "gongdan_http_requests_total", {"method": "GET", "route": route, "status": status})
    return value or 0.0


async def test_requests_are_counted_and_timed_by_route_template_and_status() -> None:
    metrics = ServiceMetrics("test")
    transport = httpx.ASGITransport(app=_app(metrics), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/tickets/1")).status_code == 200
        assert (await client.get("/tickets/2")).status_code == 200
        assert (await client.get("/tickets/gone")).status_code == 404
        assert (await client.get("/nowhere")).status_code == 404
        assert (await client.get("/tickets/bug")).status_code == 500
    assert _count(metrics, "/tickets/{ticket_id}", "200") == 2
    assert _count(metrics, "/tickets/{ticket_id}", "404") == 1
    assert _count(metrics, "unmatched", "404") == 1
    assert _count(metrics, "/tickets/{ticket_id}", "500") == 1  # failed before answering: still counted
    timed = metrics.registry.get_sample_value(
        "gongdan_http_request_seconds_count", {"method": "GET", "route": "/tickets/{ticket_id}"})
    assert timed == 4


@pytest.mark.parametrize(("path", "policy"), [("/docs", DOCS_POLICY), ("/redoc", DOCS_POLICY), ("/tickets/1", None)])
async def test_only_the_docs_pages_carry_the_content_security_policy(path: str, policy: str | None) -> None:
    transport = httpx.ASGITransport(app=_app(ServiceMetrics("test")))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers.get("content-security-policy") == policy
