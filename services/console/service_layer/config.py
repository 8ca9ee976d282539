"""What the console builds once from the settings: where the other services are, the operator's zone, the
session key (None: derived from the API keys)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from services.console.adapters.upstream import Upstreams, service_urls
from shared.settings import Settings


@dataclass
class ConsoleConfig:
    tz: str
    secret: str | None
    upstreams: Upstreams
    secure_cookie: bool = True


def load_config(settings: Settings) -> ConsoleConfig:
    ZoneInfo(settings.gongdan_tz)  # an unknown zone stops start, naming it
    return ConsoleConfig(tz=settings.gongdan_tz, secret=settings.gongdan_console_secret,
                         upstreams=Upstreams(service_urls(settings.gongdan_service_urls)),
                         secure_cookie=settings.gongdan_console_secure_cookie)
