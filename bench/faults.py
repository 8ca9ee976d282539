"""Fault benchmark: tickets through a real `gongdan dev` while random processes get kill -9 at random moments.

Starts its own stack (free ports, a temporary data directory), logs N tickets through intake as an IVR does
(the same Idempotency-Key again after a failure), kills services and the broker K times, lets the supervisor
recover, then counts what every service holds: present, duplicated (an event applied twice), lost. Also the
longest time a client could not log a ticket. Bounded: gives up after --timeout seconds and stops the stack.

Run: .venv/bin/python bench/faults.py [--tickets 5000] [--kills 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the harness lives with the e2e tests

from tests.e2e.harness import SERVICES, DevStack, FaultInjector, TicketLoad, census  # noqa: E402

TARGETS = (*SERVICES, "broker")


def plan(tickets: int, kills: int, rng: random.Random) -> list[tuple[int, str]]:
    """`kills` distinct moments (ticket numbers) in the middle 90 % of the run, each with a random victim."""
    moments = sorted(rng.sample(range(tickets // 20, tickets - tickets // 20), kills))
    return [(at, rng.choice(TARGETS)) for at in moments]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--workers", type=int, default=8, help="concurrent clients")
    parser.add_argument("--rate", type=float, default=None, help="tickets per second at most (default: flat out)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=1500, help="give up after this many seconds in all")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (logs) afterwards")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    kills = plan(args.tickets, args.kills, rng)
    began = time.monotonic()
    deadline = began + args.timeout

    signal.signal(signal.SIGTERM, _exit_on_signal)  # stop the stack on the way out
    signal.signal(signal.SIGHUP, _exit_on_signal)
    tmp = Path(tempfile.mkdtemp(prefix="gongdan-faults-"))
    stack = DevStack(tmp / "data")
    print(f"faults: {args.tickets} tickets, {args.kills} kill -9s (seed {seed}); data in {tmp}", flush=True)
    stack.start()
    print(f"faults: stack up in {time.monotonic() - began:.0f}s on ports {stack.port_base + 1}-"
          f"{stack.port_base + 5}, broker {stack.broker_port}", flush=True)
    injector = FaultInjector(stack, kills, wait_back=False, jitter=1.5, seed=seed)
    load = TicketLoad(stack, args.tickets, workers=args.workers, rate=args.rate, gate=injector.gate,
                      give_up_after=300)
    outcome = "complete"
    try:
        injector.start()
        sender = threading.Thread(target=_run_load, args=(load,), daemon=True)
        load_began = time.monotonic()
        sender.start()
        while sender.is_alive() and time.monotonic() < deadline - 300:  # keep time for the census
            sender.join(5)
            print(f"faults: {sum(s.ticket_id is not None for s in load.sent)} tickets accepted, "
                  f"{injector.done}/{len(kills)} kills", flush=True)
        load_seconds = time.monotonic() - load_began
        if sender.is_alive():
            outcome = "timed out while sending"
            load.aborted.set()
            injector.abort(outcome)
            sender.join(30)
        injector.join(timeout=max(10.0, min(180.0, deadline - time.monotonic() - 200)))
        if injector.done < len(kills):
            injector.abort("run over")
        accepted = [s for s in load.sent if s.ticket_id]
        print(f"faults: sending done in {load_seconds:.0f}s; waiting for every service to catch up …", flush=True)
        result = census(stack, [s.ticket_id for s in accepted],  # type: ignore[misc]
                        wait=max(30.0, deadline - time.monotonic() - 60))
    finally:
        load.aborted.set()  # clients still retrying (only when cut short) give up
        if injector.done < len(kills) and not injector.errors:
            injector.abort("stopped early")
        code = stack.stop(signal.SIGINT)
    restarts = Counter(line.split(" gongdan dev: ")[1].split()[0] for line in stack.lines
                       if " was killed by " in line or " exited with code " in line or " is gone " in line)
    victims = Counter(name for _, name in kills[:injector.done])
    doubled_keys = sum(1 for s in load.sent if len(s.ids_seen) > 1)
    print()
    print(f"tickets sent (accepted by intake): {len(accepted)} of {args.tickets}   [{outcome}]")
    print(f"kill -9s: {injector.done} ({', '.join(f'{n} {c}' for n, c in sorted(victims.items()))}); "
          f"restarts by the supervisor: {sum(restarts.values())}")
    if injector.errors:
        print(f"fault injector: {injector.errors[0]}")
    print("present per service: " + ", ".join(f"{s} {result.present[s]}" for s in SERVICES))
    print(f"lost: {result.lost}  (missing in: {({s: len(m) for s, m in result.missing.items() if m}) or 'none'})")
    print(f"duplicated: {result.duplicates + doubled_keys}  (events applied twice: {result.duplicates}, "
          f"second ticket for one Idempotency-Key: {doubled_keys}); parked events: {result.parked}")
    print(f"longest unavailability seen by a client: {load.longest_unavailability:.1f}s; "
          f"requests retried: {sum(1 for s in load.sent if s.attempts > 1)}")
    print(f"sending: {load_seconds:.0f}s ({len(accepted) / max(load_seconds, 0.001):.0f} tickets/s); "
          f"total {time.monotonic() - began:.0f}s; stack exit code {code}")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"logs: {tmp / 'data' / 'logs'}")
    clean = result.lost == 0 and result.duplicates + doubled_keys == 0 and outcome == "complete"
    return 0 if clean else 1


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(f"faults: {signal.Signals(signum).name}; stopping")


def _run_load(load: TicketLoad) -> None:
    try:
        load.run()
    except Exception as exc:  # noqa: BLE001 - the report says what arrived
        print(f"faults: load stopped: {exc}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
