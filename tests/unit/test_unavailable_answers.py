"""The database or the broker briefly away during a request is a 503 with Retry-After that says nothing was
changed, not a 500 (a client retries a 503 under the same Idempotency-Key); a handler bug is still a 500. Neither
shows a trace or the statement."""

from __future__ import annotations

import httpx
import pytest
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from shared.http.errors import install_error_handlers

SECRET = "INSERT INTO tickets (phone) VALUES ('13812345678')"


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/db-away")
    async def db_away() -> None:
        raise OperationalError(SECRET, {}, ConnectionRefusedError("connection refused"))

    @app.post("/broker-away")
    async def broker_away() -> None:
        raise KafkaConnectionError("no broker")

    @app.post("/bug")
    async def bug() -> None:
        raise KeyError(SECRET)

    return app


@pytest.mark.parametrize("path", ["/db-away", "/broker-away"])
async def test_infrastructure_away_is_503_with_retry_after(path: str) -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    error = response.json()["error"]
    assert "nothing was changed" in error["message"] and error["incident"]
    assert SECRET not in response.text and "Traceback" not in response.text


async def test_a_handler_bug_stays_500_without_its_trace() -> None:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/bug")
    assert response.status_code == 500
    assert SECRET not in response.text and "Traceback" not in response.text


def test_every_api_operation_documents_the_503_and_readiness_keeps_its_own() -> None:
    from services.catalog import load_spec
    from shared.service import create_app
    from shared.settings import Settings

    settings = Settings(database_url="postgresql+asyncpg://u@h/d", kafka_bootstrap_servers="h:1",
                        gongdan_api_keys="ops:admin:" + "k" * 20)
    paths = create_app(load_spec("intake"), settings).openapi()["paths"]
    secured = [op for item in paths.values() for op in item.values() if op.get("security")]
    assert secured and all("503" in op["responses"] for op in secured)
    unavailable = paths["/tickets"]["post"]["responses"]["503"]
    assert unavailable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}
    assert "content" not in paths["/readyz"]["get"]["responses"]["503"]  # its body is the checks, not an error
