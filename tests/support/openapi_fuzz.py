"""Schemathesis against a running service: its OpenAPI is loaded from the service, cases are generated from it
(examples, coverage of boundaries and invalid values, random fuzzing) and sent over HTTP, and every response is
checked against the schema. The app is served by uvicorn on the test's event loop, so it uses the shared stack's
database pools and consumers; the schemathesis engine runs in a worker thread."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import schemathesis
import uvicorn
from fastapi import FastAPI
from schemathesis import engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events


@dataclass
class FuzzReport:
    service: str
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, set[str]] = field(default_factory=dict)  # operation → distinct failure titles
    details: list[str] = field(default_factory=list)  # one full report per failing operation

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)

    def summary(self) -> str:
        kinds = "\n".join(f"  {op}: {', '.join(sorted(titles))}" for op, titles in sorted(self.failures.items()))
        return (f"{self.service}: {self.cases} cases, {sum(self.statuses.values())} requests, "
                f"{self.server_errors} 5xx, statuses {dict(sorted(self.statuses.items()))}"
                + (f"\n{kinds}" if kinds else ""))


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` on a loopback port, on the running loop; its lifespan (the runtime) stays the caller's."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def run_schemathesis(service: str, base_url: str, auth: dict[str, str], max_examples: int,
                     known: dict[str, list[str]]) -> FuzzReport:
    """Every operation of the service's OpenAPI, all phases but stateful; blocking (run it in a thread).
    `known` gives real values for path parameters (`ticket_id`: tickets that exist), used in most cases so that
    generated input reaches the handlers and the database rather than a 404."""
    config = SchemathesisConfig.from_dict({
        "seed": 7, "headers": auth, "continue-on-failure": True, "suppress-health-check": ["all"],
        "dictionaries": {name: {"values": values} for name, values in known.items()},
        "parameters": {f"path.{name}": {"dictionary": name, "probability": 0.8} for name in known},
        "generation": {"max-examples": max_examples, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        # Business rules (a phone's area code, `to` after `from`) may refuse schema-valid input with a documented
        # 4xx; every other check runs, including that invalid input is refused and that auth is enforced.
        "checks": {"positive_data_acceptance": {"enabled": False}},
    })
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    report = FuzzReport(service)
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record(report, event)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            info = getattr(event, "info", None)
            message = f"{info.title}: {info.message}" if info else repr(getattr(event, "exception", event))
            report.failures.setdefault(getattr(event, "label", "engine"), set()).add(message[:500])
    return report


def _record(report: FuzzReport, event: events.ScenarioFinished) -> None:
    recorder = event.recorder
    report.cases += len(recorder.cases)
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            report.statuses[interaction.response.status_code] += 1
    for checks in recorder.checks.values():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                titles = report.failures.setdefault(recorder.label, set())
                if failure.title not in titles:
                    report.details.append(f"{recorder.label}: {failure.title}\n{failure.message}\n"
                                          f"{check.failure_info.code_sample}"[:2000])
                titles.add(failure.title)
