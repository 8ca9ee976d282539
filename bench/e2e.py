"""End-to-end benchmark (issue 13): tickets through a real `gongdan dev`, from intake HTTP to every service.

Starts its own stack (free ports, a temporary data directory) and runs two phases:

1. Latency at a fixed offered rate, open loop: each request has its scheduled moment and its latency counts from
   that moment whether or not the earlier ones have been answered (no coordinated omission). At most
   `--connections` are in flight; a request scheduled while all are busy waits for one, and that wait counts.
   Reports intake's p50/p99/max and, sampled every second from each service's /metrics (in a thread of its own,
   off the loop that times the answers), how far behind each consumer was (TicketCreated events not yet applied,
   and the age of the oldest fetched-but-unapplied event), and how many cores each process of the stack kept busy
   and how many milliseconds of CPU it spent per ticket (where the time went: at 200 req/s it was intake).
2. Throughput: `--burst` tickets offered as fast as `--clients` concurrent clients go; the figure is tickets per
   second from the first send until every consuming service has applied every one of them.

Consumers (every service that reads the ticket topic, intake's own status view included) are counted from
`gongdan_events_consumed_total{type="TicketCreated"}` (applied or ignored: read by the service and done with); the
broker's end offsets are not used (the embedded broker misreports them). Only tickets intake answered 201 (created)
are waited for: a 200 links a repeat report to an open ticket (GX-5.3.1) and makes no TicketCreated, so every
customer and address is unique per run, and such answers are counted apart.

The load comes from a minimal HTTP/1.1 keep-alive client (`Connection` below), not httpx: on the 2 cores the stack
shares with it, httpx spent ~1.7 ms CPU per request (a third of a core at 200 req/s), and its pool rescans every
waiting request whenever one finishes, so once intake fell behind the generator itself took a core. Each phase
prints the CPU the generator spent per request.

Before both, `--warmup` tickets go through and every database is vacuumed and analysed (as bench/pipeline.py does
before each stage): the phases measure a system in steady state, not one whose tables have never been analysed.

Run: .venv/bin/python bench/e2e.py [--warmup 3000] [--rate 200 [100 ...]] [--seconds 30] [--burst 5000] [--clients 16] [--connections 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness lives with the e2e tests

from bench.pipeline import settle
from tests.e2e.harness import DevStack

CONSUMERS = ("intake", "dispatch", "sla_monitor", "penalty", "compensation")
DONE_WITH = {"applied", "ignored"}
TIMEOUT = 30.0  # seconds a request may take before it counts as failed


@dataclass
class Lag:
    """The worst a consumer fell behind during a phase."""

    events: int = 0
    oldest_unapplied_s: float = 0.0


@dataclass
class Phase:
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    latencies: list[float] = field(default_factory=list)
    created: int = 0  # answered 201: a new ticket, whose TicketCreated every consumer must apply
    linked: int = 0  # answered 200: linked to an open ticket as a repeat report, no new ticket
    failures: int = 0
    lag: dict[str, Lag] = field(default_factory=lambda: {s: Lag() for s in CONSUMERS})
    client_cpu: float = field(default_factory=time.process_time)  # this process's CPU seconds at the start

    def client_ms_per_request(self) -> float:
        """CPU this load generator spent per request (it shares the machine with the stack it measures)."""
        return (time.process_time() - self.client_cpu) * 1000 / max(len(self.latencies), 1)


class Connection:
    """One keep-alive HTTP/1.1 connection to intake, a request at a time; reconnects after any failure."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, body: dict, idempotency_key: str) -> int | None:
        """The status of POST `path`, or None when it failed (refused, reset, timed out, not HTTP)."""
        payload = json.dumps(body, ensure_ascii=False).encode()
        request = (f"POST {path} HTTP/1.1\r\n{self.head}Idempotency-Key: {idempotency_key}\r\n"
                   f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload
        for attempt in (1, 2):
            reused = self.streams is not None
            try:
                return await asyncio.wait_for(self._exchange(request), TIMEOUT)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                self.close()
                # a kept-alive connection the server closed meanwhile (uvicorn closes one idle for 5 s, e.g.
                # between phases): sent again on a new one, as HTTP clients do; the Idempotency-Key makes it safe
                if not (reused and attempt == 1 and isinstance(exc, ConnectionError | asyncio.IncompleteReadError)):
                    return None
        return None

    async def _exchange(self, request: bytes) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
        if "content-length" not in headers:  # intake's JSON answers all carry one
            raise ValueError(f"an answer without Content-Length: {head[0]}")
        await reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def samples(text: str, names: tuple[str, ...]) -> list[Sample]:
    """The samples of the metrics named `names` in a /metrics page. Only their lines are parsed: parsing whole pages
    of five services every second held the load generator's event loop for tens of milliseconds, and that wait
    counted in the latencies it measures (p99 at 25 req/s: 55-75 ms with it, 23-28 ms without, same day)."""
    lines = "\n".join(line for line in text.splitlines() if line.startswith(names))
    return [sample for family in text_string_to_metric_families(lines) for sample in family.samples]


CONSUMPTION = ("gongdan_events_consumed_total", "gongdan_consumer_oldest_unapplied_seconds")


def consumption(text: str) -> tuple[int, float]:
    """(TicketCreated events the service is done with, age of its oldest fetched but unapplied event)."""
    done, oldest = 0, 0.0
    for sample in samples(text, CONSUMPTION):
        if (sample.name == "gongdan_events_consumed_total" and sample.labels.get("type") == "TicketCreated"
                and sample.labels.get("outcome") in DONE_WITH):
            done += int(sample.value)
        elif sample.name == "gongdan_consumer_oldest_unapplied_seconds":
            oldest = sample.value
    return done, oldest


async def consumed(probe: httpx.AsyncClient, stack: DevStack, service: str) -> tuple[int, float]:
    return consumption((await probe.get(f"{stack.url(service)}/metrics")).text)


WRITE_BATCHES = ("gongdan_write_batch_requests_count", "gongdan_write_batch_requests_sum",
                 "gongdan_write_batch_seconds_sum")


async def write_batches(probe: httpx.AsyncClient, stack: DevStack) -> tuple[float, float, float]:
    """Intake's group-committed POST /tickets so far: (batches, requests in them, seconds writing them)."""
    text = (await probe.get(f"{stack.url('intake')}/metrics")).text
    seen = {sample.name: sample.value for sample in samples(text, WRITE_BATCHES)}
    return (seen.get(WRITE_BATCHES[0], 0.0), seen.get(WRITE_BATCHES[1], 0.0), seen.get(WRITE_BATCHES[2], 0.0))


def batching(before: tuple[float, float, float], after: tuple[float, float, float]) -> str:
    batches, requests, seconds = (a - b for a, b in zip(after, before, strict=True))
    return (f"{batches:.0f} transactions, {requests / max(batches, 1):.1f} tickets and "
            f"{seconds * 1000 / max(batches, 1):.1f} ms each")


async def census(probe: httpx.AsyncClient, stack: DevStack) -> dict[str, tuple[int, float]]:
    answers = await asyncio.gather(*(consumed(probe, stack, s) for s in CONSUMERS))
    return dict(zip(CONSUMERS, answers, strict=True))


def watch(stack: DevStack, phase: Phase, base: dict[str, int], stop: threading.Event) -> None:
    """Every second until `stop`, how far behind each consumer is. In a thread of its own, with a blocking client:
    on the load generator's event loop, its requests and parsing delayed the answers being timed."""
    with httpx.Client(timeout=TIMEOUT) as probe:
        while True:
            for service in CONSUMERS:
                try:
                    done, oldest = consumption(probe.get(f"{stack.url(service)}/metrics").text)
                except httpx.HTTPError:  # a sample missed (a service restarting): the next one counts
                    continue
                lag = phase.lag[service]
                lag.events = max(lag.events, phase.created - (done - base[service]))
                lag.oldest_unapplied_s = max(lag.oldest_unapplied_s, oldest)
            if stop.wait(1.0):
                return


def ticket_body(i: int, run: str) -> dict:
    """A fault of a customer of its own: account and address unique per run and ticket, so it is never linked to
    an earlier run's open ticket as a repeat (GX-5.3.1 matches on the address too)."""
    return {"customer": {"name": f"压测{i}", "phone": f"139{i:08d}", "address": f"测试路{i}号{run}室",
                         "account": f"FLT-{run}-{i}"}, "kind": "fault", "description": "故障注入测试"}


async def send(conn: Connection, i: int, phase: Phase, scheduled: float) -> None:
    """POST ticket i of the phase and note how it went; its latency counts from `scheduled`."""
    status = await conn.post("/tickets", ticket_body(i, phase.run), f"e2e-{phase.run}-{i}")
    phase.latencies.append(time.perf_counter() - scheduled)
    if status == 201:
        phase.created += 1
    elif status == 200:
        phase.linked += 1
    else:
        phase.failures += 1


async def wait_applied(probe: httpx.AsyncClient, stack: DevStack, base: dict[str, int], count: int,
                       timeout: float) -> dict[str, float]:
    """Seconds (from now) until each consumer has applied `count` more TicketCreated events than `base`."""
    began, caught_up = time.perf_counter(), {}
    while len(caught_up) < len(CONSUMERS) and time.perf_counter() - began < timeout:
        for service, (done, _) in (await census(probe, stack)).items():
            if service not in caught_up and done - base[service] >= count:
                caught_up[service] = time.perf_counter() - began
        await asyncio.sleep(0.2)
    return caught_up


async def open_loop(stack: DevStack, probe: httpx.AsyncClient, connections: list[Connection], rate: float,
                    seconds: float) -> tuple[Phase, dict[str, float]]:
    """Requests at `rate` per second on a fixed schedule, each taken by the next free connection."""
    phase = Phase()
    base = {s: done for s, (done, _) in (await census(probe, stack)).items()}
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(stack, phase, base, stop), name="lag-watch")
    watcher.start()
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()

    async def worker(conn: Connection) -> None:
        while (item := await due.get()) is not None:
            await send(conn, item[0], phase, scheduled=item[1])

    workers = [asyncio.create_task(worker(conn)) for conn in connections]
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        due.put_nowait((i, scheduled))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    caught_up = await wait_applied(probe, stack, base, phase.created, timeout=120)
    stop.set()
    await asyncio.to_thread(watcher.join)
    return phase, caught_up


async def burst(stack: DevStack, probe: httpx.AsyncClient, connections: list[Connection], count: int
                ) -> tuple[Phase, float, float, dict[str, float]]:
    """`count` tickets as fast as the connections go: (phase, accepted/s, end to end/s, catch-up per consumer)."""
    phase = Phase()
    base = {s: done for s, (done, _) in (await census(probe, stack)).items()}
    todo = iter(range(count))

    async def worker(conn: Connection) -> None:
        for i in todo:
            await send(conn, i, phase, scheduled=time.perf_counter())

    start = time.perf_counter()
    await asyncio.gather(*(worker(conn) for conn in connections))
    sent_in = time.perf_counter() - start
    caught_up = await wait_applied(probe, stack, base, phase.created, timeout=600)
    everything = sent_in + max(caught_up.values(), default=float("nan"))
    if len(caught_up) < len(CONSUMERS):
        everything = float("nan")
    return phase, phase.created / sent_in, phase.created / everything, caught_up


def cpu_seconds(stack: DevStack) -> dict[str, float]:
    """CPU seconds each process of the stack has used so far (postgres: the server and its backends)."""
    used = {}
    for name, pid in stack.pids().items():
        try:
            process = psutil.Process(pid)
            family = [process, *process.children(recursive=True)] if name == "postgres" else [process]
        except psutil.Error:
            continue
        total = 0.0
        for member in family:
            try:
                times = member.cpu_times()
            except psutil.Error:  # a backend that ended meanwhile: its time is in the server's children_* now
                continue
            total += times.user + times.system
        if name == "postgres":  # backends that ended, reaped by the server
            total += family[0].cpu_times().children_user + family[0].cpu_times().children_system
        used[name] = total
    return used


def cores(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """How many cores each process kept busy between two `cpu_seconds`, busiest first."""
    busy = {name: (after[name] - before.get(name, 0.0)) / seconds for name in after}
    return ", ".join(f"{name} {share:.2f}" for name, share in sorted(busy.items(), key=lambda kv: -kv[1]))


def cpu_per_ticket(before: dict[str, float], after: dict[str, float], phase: Phase) -> tuple[str, float]:
    """Milliseconds of CPU each process spent per ticket created, the load generator's own included (it shares the
    machine), and their sum: where the time went (issue 13). At a low offered rate this includes what the stack
    does whatever the load (polling, housekeeping: ~0.2 of a core when idle)."""
    tickets = max(phase.created, 1)
    spent = {name: (after[name] - before.get(name, 0.0)) * 1000 / tickets for name in after}
    spent["load generator"] = phase.client_ms_per_request()
    total = sum(spent.values())
    listed = ", ".join(f"{name} {ms:.2f}" for name, ms in sorted(spent.items(), key=lambda kv: -kv[1]))
    return f"{listed}; in all {total:.2f} ms", total


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[round(q * 1000) - 1] if len(values) > 1 else float("nan")


def answers(phase: Phase) -> str:
    ms = [x * 1000 for x in phase.latencies]
    return (f"{len(ms)} requests, {phase.failures} failed, {phase.linked} linked as repeats; intake p50 "
            f"{percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms, default=0):.1f} ms; "
            f"the client used {phase.client_ms_per_request():.2f} ms CPU per request")


async def measure_rate(stack: DevStack, probe: httpx.AsyncClient, load: list[Connection], rate: float,
                       seconds: float) -> None:
    """The open-loop phase at one offered rate, and what it cost."""
    # warm-up at the measured rate: consumer groups, caches, and the services' database pools grown to what the
    # rate needs (at 20 req/s they were not, and the measured phase began with connections being opened)
    await open_loop(stack, probe, load, rate, seconds=3)
    before, started, written = cpu_seconds(stack), time.perf_counter(), await write_batches(probe, stack)
    phase, caught_up = await open_loop(stack, probe, load, rate, seconds)
    after = cpu_seconds(stack)
    used = cores(before, after, time.perf_counter() - started)
    print(f"open loop {rate:.0f} req/s for {seconds:.0f}s: {answers(phase)}")
    print(f"  cores busy (until every consumer caught up): {used}")
    print(f"  ms of CPU per ticket: {cpu_per_ticket(before, after, phase)[0]}")
    print(f"  intake wrote {batching(written, await write_batches(probe, stack))}")
    for service in CONSUMERS:
        lag = phase.lag[service]
        behind = f"{caught_up[service]:.1f}s" if service in caught_up else "not within 120s"
        print(f"  {service:<13} most behind {lag.events:>6} events, oldest unapplied "
              f"{lag.oldest_unapplied_s:.2f}s; caught up {behind} after the last answer")


async def measure(stack: DevStack, args: argparse.Namespace) -> None:
    key = stack.key("ivr")
    port = int(stack.url("intake").rsplit(":", 1)[1])

    def connections(n: int) -> list[Connection]:
        return [Connection("127.0.0.1", port, key) for _ in range(n)]

    async with httpx.AsyncClient(timeout=TIMEOUT) as probe:  # /metrics, beside the load
        load = connections(args.connections)
        # steady state, as a system that has been running: tables that hold tickets and have been analysed. On
        # never-analysed tables each service's first cached (generic) plans stay with what suited an empty table,
        # e.g. intake's open-fault lookup scanning the whole tickets table, until autovacuum's first ANALYZE
        if args.warmup:
            await burst(stack, probe, connections(args.clients), args.warmup)
            await settle(stack.database_url)
        for rate in args.rate:
            await measure_rate(stack, probe, load, rate, args.seconds)
        before, started, written = cpu_seconds(stack), time.perf_counter(), await write_batches(probe, stack)
        phase, offered, end_to_end, caught = await burst(stack, probe, connections(args.clients), args.burst)
        after = cpu_seconds(stack)
        used = cores(before, after, time.perf_counter() - started)
        print(f"burst of {args.burst} tickets, {args.clients} clients: {answers(phase)}")
        print(f"  cores busy: {used}")
        spent, total = cpu_per_ticket(before, after, phase)
        cores_here = psutil.cpu_count() or 1
        print(f"  ms of CPU per ticket: {spent}, so {cores_here} cores allow at most {cores_here * 1000 / total:.0f} "
              f"tickets/s with every core busy")
        print(f"  intake wrote {batching(written, await write_batches(probe, stack))}")
        print(f"  intake accepted {offered:.0f} tickets/s; end to end (every consumer applied every ticket) "
              f"{end_to_end:.0f} tickets/s")
        for service in CONSUMERS:
            print(f"  {service:<13} done {caught.get(service, float('nan')):.1f}s after the last ticket was accepted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, nargs="+", default=[200.0],
                        help="offered requests per second in the open loop; several values run one after another")
    parser.add_argument("--seconds", type=float, default=30, help="length of the open-loop phase")
    parser.add_argument("--warmup", type=int, default=3000,
                        help="tickets sent (then every database analysed) before anything is measured")
    parser.add_argument("--burst", type=int, default=5000, help="tickets in the throughput phase")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the throughput phase")
    parser.add_argument("--connections", type=int, default=64, help="most requests in flight in the open loop")
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
