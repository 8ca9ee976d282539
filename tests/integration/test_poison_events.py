"""Issue 7: no event can stop a consumer. A permanent failure is parked after a bounded number of attempts and the
partition moves on; a transient one is retried and reported (readyz, metrics) until it clears; parked events are
listed and replayed by ops, exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from shared.events import Envelope, encode, new_envelope
from shared.events.catalog import Customer, TicketCreated
from shared.events.topics import TOPICS
from shared.http.auth import Role
from shared.messaging.consumer import HANDLER_ATTEMPTS, EventConsumer, call_handler
from shared.messaging.parking import ReplayFailed, replay
from shared.messaging.unit_of_work import UnitOfWork
from tests.integration.test_walking_skeleton import DOWNSTREAM, seen_by, seen_everywhere
from tests.support.stack import Stack, eventually
from tests.support.tickets import post_ticket

pytestmark = pytest.mark.integration


def ticket_created(description: str, authority: str | None = None) -> Envelope:
    now = datetime.now(UTC)
    payload = TicketCreated(ticket_id=uuid.uuid4(), number=f"2026-KF-{uuid.uuid4().int % 10**6:06d}",
                            kind="fault", description=description, created_by="test", authority=authority,
                            customer=Customer(name="n", phone="13812345678", address="a", account="ACC-1"))
    return new_envelope(payload, ticket_id=payload.ticket_id, sequence=1, occurred_at=now, recorded_at=now,
                        producer="intake")


def record(envelope: Envelope, offset: int) -> ConsumerRecord:
    value = encode(envelope)
    return ConsumerRecord(TOPICS.tickets, 0, offset, int(datetime.now(UTC).timestamp() * 1000), 0,
                          str(envelope.ticket_id).encode(), value, None, 0, len(value), ())


async def parked_rows(stack: Stack, service: str, event_id: uuid.UUID) -> list:
    runtime = stack.runtime(service)
    parked = runtime.spec.tables.parked_events
    async with runtime.engine.connect() as conn:
        return (await conn.execute(select(parked).where(parked.c.event_id == event_id))).all()


async def test_event_postgres_cannot_store_is_parked_everywhere_and_the_next_ticket_still_arrives(
    stack: Stack,
) -> None:
    # What a NUL in a text field did before intake refused it: every downstream store failed on it, forever.
    poison = ticket_created("宽带断线", authority="rec\u0000")
    producer = AIOKafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(TOPICS.tickets, encode(poison), key=str(poison.ticket_id).encode())
    finally:
        await producer.stop()

    following = (await post_ticket(stack)).json()["ticket_id"]
    await seen_everywhere(stack, following, timeout=30)

    for service in DOWNSTREAM:
        seen = await seen_by(stack, service, str(poison.ticket_id))
        parked = await parked_rows(stack, service, poison.event_id)
        assert seen is None or not parked, service  # either stored or parked, never both
        if parked:
            assert parked[0].attempts == HANDLER_ATTEMPTS
            assert parked[0].reason.startswith("handler failed: DBAPIError [22"), parked[0].reason  # data exception
            listed = await stack.clients[service].get("/dead-letters", headers=stack.auth(Role.OPS))
            assert listed.status_code == 200
            assert str(poison.event_id) in {item["event_id"] for item in listed.json()["items"]}
            # Still poison: the replay fails, says why, and the event stays parked.
            again = await stack.clients[service].post(f"/dead-letters/{parked[0].id}/replay",
                                                      headers=stack.auth(Role.OPS))
            assert again.status_code == 409 and again.json()["error"]["reason"].startswith("handler failed")
            assert (await parked_rows(stack, service, poison.event_id))[0].replayed_at is None
        ready = (await stack.clients[service].get("/readyz")).json()
        assert ready["consumer"]["state"] == "ok", (service, ready)
    assert any([await parked_rows(stack, s, poison.event_id) for s in DOWNSTREAM])


async def test_dead_letters_are_for_ops_only(stack: Stack) -> None:
    assert (await stack.clients["dispatch"].get("/dead-letters")).status_code == 401
    refused = await stack.clients["dispatch"].get("/dead-letters", headers=stack.auth(Role.DISPATCHER))
    assert refused.status_code == 403
    missing = await stack.clients["dispatch"].post("/dead-letters/999999999/replay", headers=stack.auth(Role.OPS))
    assert missing.status_code == 404


def probe_consumer(stack: Stack, handler) -> EventConsumer:
    runtime = stack.runtime("penalty")
    return EventConsumer(group_id=f"test-{uuid.uuid4().hex[:8]}", topics=[TOPICS.tickets], bootstrap="unused",
                         handlers={"TicketCreated": handler}, new_uow=runtime.new_uow, metrics=runtime.metrics)


async def test_a_fixed_handler_replays_a_parked_event_exactly_once(stack: Stack) -> None:
    applied: list[uuid.UUID] = []
    broken = {"yes": True}

    async def handler(uow: UnitOfWork, event: Envelope) -> None:
        if broken["yes"]:
            raise ValueError("unknown product code")  # a bug in this version of the handler
        applied.append(event.event_id)

    consumer = probe_consumer(stack, handler)
    event = ticket_created("needs the fix")
    await consumer.apply({TopicPartition(TOPICS.tickets, 0): [record(event, 7)]})
    [parked] = await parked_rows(stack, "penalty", event.event_id)
    assert parked.reason == "handler failed: ValueError: unknown product code"

    runtime = stack.runtime("penalty")
    handlers = {"TicketCreated": handler}
    with pytest.raises(ReplayFailed):
        await replay(runtime.new_uow, handlers, call_handler, parked.id, "ops-1")
    broken["yes"] = False  # the fix is deployed
    first = await replay(runtime.new_uow, handlers, call_handler, parked.id, "ops-1")
    second = await replay(runtime.new_uow, handlers, call_handler, parked.id, "ops-1")
    assert (first.outcome, second.outcome) == ("applied", "already-replayed")
    assert first.parked["replay_attempts"] == 2 and first.parked["replayed_by"] == "ops-1"
    # A redelivery of the original message after the replay is a duplicate, not a second apply.
    await consumer.apply({TopicPartition(TOPICS.tickets, 0): [record(event, 7)]})
    assert applied == [event.event_id]


async def test_transient_failure_is_retried_reported_and_never_dropped(stack: Stack) -> None:
    failures = {"left": 3}
    applied: list[uuid.UUID] = []

    async def handler(uow: UnitOfWork, event: Envelope) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("SELECT 1", {}, ConnectionResetError("server closed the connection"))
        applied.append(event.event_id)

    consumer = probe_consumer(stack, handler)
    event = ticket_created("arrives after an outage")
    health: list[dict] = []

    async def watch() -> None:
        while not applied:
            health.append(consumer.health() | {"age": consumer.oldest_unapplied_seconds()})
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    assert await consumer._apply_until_done({TopicPartition(TOPICS.tickets, 3): [record(event, 41)]})
    await watcher
    assert applied == [event.event_id]  # retried until it went through, not parked
    assert not await parked_rows(stack, "penalty", event.event_id)
    degraded = [h for h in health if h["state"] == "degraded"]
    assert degraded and degraded[-1]["partitions"] == f"{TOPICS.tickets}[3]@41"
    assert degraded[-1]["reason"].startswith("transient: OperationalError")
    assert degraded[-1]["attempts"] >= 2
    assert consumer.health() == {"state": "ok"} and consumer.oldest_unapplied_seconds() == 0


async def test_parked_count_and_consumer_age_are_metrics(stack: Stack) -> None:
    runtime = stack.runtime("penalty")
    parked = runtime.spec.tables.parked_events
    async with runtime.engine.connect() as conn:
        waiting = (await conn.execute(select(func.count()).where(parked.c.replayed_at.is_(None)))).scalar_one()
    assert await eventually(lambda: _equal(stack, "gongdan_parked_events_waiting", waiting), timeout=10)
    assert _metric(stack, "gongdan_consumer_oldest_unapplied_seconds") is not None


def _metric(stack: Stack, name: str) -> float | None:
    return stack.runtime("penalty").metrics.registry.get_sample_value(name)


async def _equal(stack: Stack, name: str, value: float) -> bool:
    return _metric(stack, name) == value  # the watchdog refreshes it every few seconds


async def test_cli_lists_and_replays_through_the_api(stack: Stack) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from services.cli import app as cli
    from shared.devstack import free_port

    async def handler(uow: UnitOfWork, event: Envelope) -> None:
        raise ValueError("always fails")

    event = ticket_created("for the command line")
    await probe_consumer(stack, handler).apply({TopicPartition(TOPICS.tickets, 1): [record(event, 9)]})
    [parked] = await parked_rows(stack, "penalty", event.event_id)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(stack.apps["penalty"], port=port, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: asyncio.sleep(0, server.started), timeout=10)
    try:
        args = ["--url", f"http://127.0.0.1:{port}", "--key", stack.keys[Role.OPS]]
        listed = await asyncio.to_thread(CliRunner().invoke, cli, ["dead-letter", "list", "penalty", *args])
        assert listed.exit_code == 0, listed.output
        assert f"{parked.id:>6}  TicketCreated" in listed.output and "always fails" in listed.output
        # The penalty service's real handler stores it (the probe handler was the broken one).
        replayed = await asyncio.to_thread(CliRunner().invoke, cli,
                                           ["dead-letter", "replay", "penalty", str(parked.id), *args])
        assert replayed.exit_code == 0, replayed.output
        assert replayed.output.strip() == f"{parked.id}: applied"
        seen = await seen_by(stack, "penalty", str(event.ticket_id))
        assert seen is not None and seen["events_applied"] == 1
    finally:
        server.should_exit = True
        await serving
