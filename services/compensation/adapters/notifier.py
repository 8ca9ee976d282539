"""Customer notifiers (CT-4.6): how a compensation notice reaches the customer.

- `HttpSmsGateway`: a real SMS gateway over HTTP(S), configured by URL and credentials (GONGDAN_SMS_GATEWAY_URL,
  _USER, _PASSWORD, GONGDAN_SMS_SENDER). It POSTs one JSON message per notice and carries the notice's id as
  `client_reference` (and `Idempotency-Key`), so a gateway that deduplicates never texts a customer twice when
  we retry after a timeout.
- `DevNotifier`: sends nothing; the message stays in `compensation_notifications`, which `GET /notifications`
  shows. The default when no gateway URL is set.

A gateway answer is transient (connection refused or reset, timeout, 408, 429, 5xx: try again) or permanent
(any other 4xx: the request itself is wrong; trying again cannot help).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from shared.settings import Settings


@dataclass(frozen=True)
class Notice:
    notification_id: uuid.UUID
    phone: str
    language: str  # zh | en
    message: str


@dataclass(frozen=True)
class Delivery:
    channel: str  # sms | dev
    reference: str | None = None  # the gateway's message id


class NotifierError(Exception):
    """The notice was not delivered."""


class TransientFailure(NotifierError):
    """Worth trying again: the gateway is away, slow or overloaded."""


class PermanentFailure(NotifierError):
    """Trying again cannot help: the gateway refused the message itself."""


class Notifier(Protocol):
    channel: str

    async def send(self, notice: Notice) -> Delivery: ...


class DevNotifier:
    """Keeps the message where it is (the notifications table, `GET /notifications`): nothing leaves the host."""

    channel = "dev"

    async def send(self, notice: Notice) -> Delivery:
        return Delivery("dev")


TRANSIENT_STATUS = frozenset({408, 425, 429})


class HttpSmsGateway:
    """POST {url} {"to", "from", "message", "language", "client_reference"} -> 2xx {"message_id": ...}.

    Credentials: HTTP basic when a user is given, else the password as a bearer token, else none."""

    channel = "sms"

    def __init__(self, url: str, *, user: str | None = None, password: str | None = None, sender: str = "10000",
                 timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url, self.user, self.password, self.sender = url, user, password, sender
        self.timeout, self.transport = timeout, transport

    def _auth(self) -> tuple[httpx.Auth | None, dict[str, str]]:
        if self.user:
            return httpx.BasicAuth(self.user, self.password or ""), {}
        if self.password:
            return None, {"Authorization": f"Bearer {self.password}"}
        return None, {}

    async def send(self, notice: Notice) -> Delivery:
        auth, headers = self._auth()
        body = {"to": notice.phone, "from": self.sender, "message": notice.message, "language": notice.language,
                "client_reference": str(notice.notification_id)}
        headers["Idempotency-Key"] = str(notice.notification_id)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.post(self.url, json=body, headers=headers, auth=auth)
        except httpx.TransportError as exc:  # connect, read, write, timeouts, protocol errors
            raise TransientFailure(f"gateway unreachable: {type(exc).__name__}: {exc}") from exc
        if response.is_success:
            try:
                reference = response.json().get("message_id")
            except ValueError:
                reference = None
            return Delivery("sms", str(reference) if reference is not None else None)
        why = f"gateway answered {response.status_code}: {response.text[:200]}"
        if response.status_code >= 500 or response.status_code in TRANSIENT_STATUS:
            raise TransientFailure(why)
        raise PermanentFailure(why)


@dataclass(frozen=True)
class Attempts:
    """The outcome of one delivery round: the delivery, or the last error, and how many tries it took."""

    delivery: Delivery | None
    tries: int
    error: str | None
    permanent: bool = False


async def send_with_retries(notifier: Notifier, notice: Notice, *, tries: int = 3, wait_min: float = 0.5,
                            wait_max: float = 4.0) -> Attempts:
    """Up to `tries` sends with exponential backoff while the failure is transient; never raises."""
    count = 0
    try:
        async for attempt in AsyncRetrying(retry=retry_if_exception_type(TransientFailure),
                                           stop=stop_after_attempt(tries),
                                           wait=wait_exponential(min=wait_min, max=wait_max), reraise=True):
            with attempt:
                count += 1
                delivery = await notifier.send(notice)
        return Attempts(delivery, count, None)
    except PermanentFailure as exc:
        return Attempts(None, count, str(exc), permanent=True)
    except TransientFailure as exc:
        return Attempts(None, count, str(exc))


def notifier_from(settings: Settings) -> Notifier:
    """The HTTP gateway when GONGDAN_SMS_GATEWAY_URL is set, else the dev notifier."""
    if not settings.gongdan_sms_gateway_url:
        return DevNotifier()
    password = settings.gongdan_sms_gateway_password
    return HttpSmsGateway(settings.gongdan_sms_gateway_url, user=settings.gongdan_sms_gateway_user,
                          password=password.get_secret_value() if password else None,
                          sender=settings.gongdan_sms_sender)
