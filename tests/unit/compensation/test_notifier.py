"""CT-4.6: the HTTP SMS-gateway adapter against a small gateway served on 127.0.0.1 in the test, and the dev one."""

from __future__ import annotations

import base64
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import pytest

from services.compensation.adapters.notifier import (
    DevNotifier,
    HttpSmsGateway,
    Notice,
    PermanentFailure,
    TransientFailure,
    notifier_from,
    send_with_retries,
)
from shared.settings import Settings

NOTICE = Notice(uuid.uuid4(), "13912345678", "zh", "您的工单 2026-KF-000001 当日修未按时修复, 将补偿 20.00元")


class Gateway:
    """Answers each POST with the next scripted status (the last one repeats) and keeps what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = statuses, []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = gateway.statuses.pop(0) if len(gateway.statuses) > 1 else gateway.statuses[0]
                answer = json.dumps({"message_id": f"m-{len(gateway.received)}"} if status < 300
                                    else {"error": "no"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/send"

    def __enter__(self) -> Self:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(request: pytest.FixtureRequest) -> Iterator[Gateway]:
    with Gateway(getattr(request, "param", [200])) as running:
        yield running


async def test_a_message_is_posted_with_basic_auth_and_its_id_as_idempotency_key(gateway: Gateway) -> None:
    sms = HttpSmsGateway(gateway.url, user="gongdan", password="s3cret-pass", sender="10001")
    delivery = await sms.send(NOTICE)
    assert (delivery.channel, delivery.reference) == ("sms", "m-1")
    [got] = gateway.received
    assert got["path"] == "/sms/send"
    assert got["body"] == {"to": "13912345678", "from": "10001", "message": NOTICE.message, "language": "zh",
                           "client_reference": str(NOTICE.notification_id)}
    assert got["headers"]["Authorization"] == "Basic " + base64.b64encode(b"gongdan:s3cret-pass").decode()
    assert got["headers"]["Idempotency-Key"] == str(NOTICE.notification_id)


async def test_a_token_without_a_user_is_sent_as_bearer(gateway: Gateway) -> None:
    await HttpSmsGateway(gateway.url, password="tok-123").send(NOTICE)
    assert gateway.received[0]["headers"]["Authorization"] == "Bearer tok-123"


@pytest.mark.parametrize("gateway", [[503, 429, 200]], indirect=True)
async def test_transient_answers_are_retried_until_delivered(gateway: Gateway) -> None:
    result = await send_with_retries(HttpSmsGateway(gateway.url), NOTICE, tries=3, wait_min=0.01, wait_max=0.02)
    assert result.delivery is not None and result.delivery.reference == "m-3"
    assert (result.tries, result.error) == (3, None)
    assert len({r["body"]["client_reference"] for r in gateway.received}) == 1  # the same notice each time


@pytest.mark.parametrize("gateway", [[500]], indirect=True)
async def test_a_gateway_that_keeps_failing_gives_up_after_the_tries(gateway: Gateway) -> None:
    result = await send_with_retries(HttpSmsGateway(gateway.url), NOTICE, tries=3, wait_min=0.01, wait_max=0.02)
    assert result.delivery is None and not result.permanent and result.tries == 3
    assert "500" in (result.error or "") and len(gateway.received) == 3


@pytest.mark.parametrize("gateway", [[400]], indirect=True)
async def test_a_refused_message_is_not_retried(gateway: Gateway) -> None:
    with pytest.raises(PermanentFailure):
        await HttpSmsGateway(gateway.url).send(NOTICE)
    result = await send_with_retries(HttpSmsGateway(gateway.url), NOTICE, tries=3, wait_min=0.01, wait_max=0.02)
    assert result.permanent and result.tries == 1 and len(gateway.received) == 2


async def test_an_unreachable_gateway_is_transient() -> None:
    with socket.socket() as s:  # a port on 127.0.0.1 that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransientFailure):
        await HttpSmsGateway(f"http://127.0.0.1:{port}/sms", timeout=2).send(NOTICE)


async def test_settings_choose_the_adapter() -> None:
    assert isinstance(notifier_from(Settings()), DevNotifier)
    sms = notifier_from(Settings(gongdan_sms_gateway_url="http://127.0.0.1:1/sms", gongdan_sms_gateway_user="u",
                                 gongdan_sms_gateway_password="p"))
    assert isinstance(sms, HttpSmsGateway) and (sms.user, sms.password) == ("u", "p")
    assert (await DevNotifier().send(NOTICE)).channel == "dev"
