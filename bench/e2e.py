"""End-to-end benchmark (issue 13): tickets through a real `gongdan dev`, from intake HTTP to every service.

Starts its own stack (free ports, a temporary data directory) and runs two phases:

1. Latency at a fixed offered rate, open loop: a request is sent at its scheduled moment whether or not the
   earlier ones have been answered, and its latency counts from that moment (no coordinated omission).
   Reports intake's p50/p99/max and, sampled every second from each service's /metrics, how far behind each
   consumer was (TicketCreated events not yet applied, and the age of the oldest fetched-but-unapplied event).
2. Throughput: `--burst` tickets offered as fast as `--clients` concurrent clients go; the figure is tickets per
   second from the first send until every consuming service has applied every one of them.

Consumers are counted from `gongdan_events_consumed_total{type="TicketCreated"}` (applied or ignored: read
by the service and done with); the broker's end offsets are not used (the embedded broker misreports them).

Run: .venv/bin/python bench/e2e.py [--rate 200] [--seconds 30] [--burst 5000] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness lives with the e2e tests

from tests.e2e.harness import DevStack, ticket_body  # noqa: E402

CONSUMERS = ("dispatch", "sla_monitor", "penalty", "compensation")
DONE_WITH = {"applied", "ignored"}


@dataclass
class Lag:
    """The worst a consumer fell behind during a phase."""

    events: int = 0
    oldest_unapplied_s: float = 0.0


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    lag: dict[str, Lag] = field(default_factory=lambda: {s: Lag() for s in CONSUMERS})


async def consumed(client: httpx.AsyncClient, stack: DevStack, service: str) -> tuple[int, float]:
    """(TicketCreated events the service is done with, age of its oldest fetched but unapplied event)."""
    text = (await client.get(f"{stack.url(service)}/metrics")).text
    done, oldest = 0, 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "gongdan_events_consumed_total" and sample.labels.get("type") == "TicketCreated"
                    and sample.labels.get("outcome") in DONE_WITH):
                done += int(sample.value)
            elif sample.name == "gongdan_consumer_oldest_unapplied_seconds":
                oldest = sample.value
    return done, oldest


async def census(client: httpx.AsyncClient, stack: DevStack) -> dict[str, tuple[int, float]]:
    answers = await asyncio.gather(*(consumed(client, stack, s) for s in CONSUMERS))
    return dict(zip(CONSUMERS, answers, strict=True))


async def watch(client: httpx.AsyncClient, stack: DevStack, phase: Phase, base: dict[str, int],
                accepted: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for service, (done, oldest) in (await census(client, stack)).items():
            lag = phase.lag[service]
            lag.events = max(lag.events, accepted[0] - (done - base[service]))
            lag.oldest_unapplied_s = max(lag.oldest_unapplied_s, oldest)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def send(client: httpx.AsyncClient, stack: DevStack, i: int, run: str, phase: Phase, accepted: list[int],
               scheduled: float) -> None:
    try:
        reply = await client.post(f"{stack.url('intake')}/tickets", json=ticket_body(i, run),
                                  headers={"Idempotency-Key": f"e2e-{run}-{i}"})
        ok = reply.status_code in (200, 201)
    except httpx.HTTPError:
        ok = False
    phase.latencies.append(time.perf_counter() - scheduled)
    if ok:
        accepted[0] += 1
    else:
        phase.failures += 1


async def wait_applied(client: httpx.AsyncClient, stack: DevStack, base: dict[str, int], count: int,
                       timeout: float) -> dict[str, float]:
    """Seconds (from now) until each consumer has applied `count` more TicketCreated events than `base`."""
    began, caught_up = time.perf_counter(), {}
    while len(caught_up) < len(CONSUMERS) and time.perf_counter() - began < timeout:
        for service, (done, _) in (await census(client, stack)).items():
            if service not in caught_up and done - base[service] >= count:
                caught_up[service] = time.perf_counter() - began
        await asyncio.sleep(0.2)
    return caught_up


async def open_loop(stack: DevStack, client: httpx.AsyncClient, rate: float, seconds: float) -> tuple[Phase, dict]:
    phase, run, accepted = Phase(), uuid.uuid4().hex[:8], [0]
    base = {s: done for s, (done, _) in (await census(client, stack)).items()}
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(client, stack, phase, base, accepted, stop))
    start, total, pending = time.perf_counter(), int(rate * seconds), []
    for i in range(total):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        pending.append(asyncio.create_task(send(client, stack, i, run, phase, accepted, scheduled)))
    await asyncio.gather(*pending)
    caught_up = await wait_applied(client, stack, base, accepted[0], timeout=120)
    stop.set()
    await watcher
    return phase, caught_up


async def burst(stack: DevStack, client: httpx.AsyncClient, count: int, clients: int) -> tuple[float, float, dict]:
    phase, run, accepted = Phase(), uuid.uuid4().hex[:8], [0]
    base = {s: done for s, (done, _) in (await census(client, stack)).items()}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            await send(client, stack, i, run, phase, accepted, time.perf_counter())

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    sent_in = time.perf_counter() - start
    caught_up = await wait_applied(client, stack, base, accepted[0], timeout=600)
    everything = sent_in + max(caught_up.values(), default=float("nan"))
    if len(caught_up) < len(CONSUMERS):
        everything = float("nan")
    return accepted[0] / sent_in, accepted[0] / everything, caught_up


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1] if len(values) > 1 else float("nan")


async def measure(stack: DevStack, args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {stack.key('ivr')}"}
    limits = httpx.Limits(max_connections=max(args.clients, 64), max_keepalive_connections=64)
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
        await open_loop(stack, client, rate=20, seconds=3)  # warm-up: connections, caches, consumer groups
        phase, caught_up = await open_loop(stack, client, args.rate, args.seconds)
        ms = [x * 1000 for x in phase.latencies]
        print(f"open loop {args.rate:.0f} req/s for {args.seconds:.0f}s: {len(ms)} requests, {phase.failures} failed; "
              f"intake p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")
        for service in CONSUMERS:
            lag = phase.lag[service]
            behind = f"{caught_up[service]:.1f}s" if service in caught_up else "not within 120s"
            print(f"  {service:<13} most behind {lag.events:>6} events, oldest unapplied "
                  f"{lag.oldest_unapplied_s:.2f}s; caught up {behind} after the last answer")
        offered, end_to_end, caught = await burst(stack, client, args.burst, args.clients)
        print(f"burst of {args.burst} tickets, {args.clients} clients: intake accepted {offered:.0f} tickets/s; "
              f"end to end (every consumer applied every ticket) {end_to_end:.0f} tickets/s")
        for service in CONSUMERS:
            print(f"  {service:<13} done {caught.get(service, float('nan')):.1f}s after the last ticket was accepted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200, help="offered requests per second in the open loop")
    parser.add_argument("--seconds", type=float, default=30, help="length of the open-loop phase")
    parser.add_argument("--burst", type=int, default=5000, help="tickets in the throughput phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the throughput phase")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _exit_on_signal)
    tmp = Path(tempfile.mkdtemp(prefix="gongdan-e2e-"))
    stack = DevStack(tmp / "data")
    try:
        stack.start()
        print(f"e2e: stack up on ports {stack.port_base + 1}-{stack.port_base + 5}", flush=True)
        asyncio.run(measure(stack, args))
    finally:
        stack.stop(signal.SIGINT)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(f"e2e: {signal.Signals(signum).name}; stopping")


if __name__ == "__main__":
    sys.exit(main())
