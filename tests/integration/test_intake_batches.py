"""Issue 13: calls posted together share one transaction (group commit), and each is answered as if it came alone:
its own number, GX-5.3.1 repeats found within the batch, its Idempotency-Key, its own 422."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.intake.entrypoints.api import _writer
from services.intake.service_layer import handlers
from shared.events import decode
from shared.http.auth import Role
from shared.identity import Principal
from tests.support.stack import Stack
from tests.support.tickets import fault_report, post_ticket

pytestmark = pytest.mark.integration


async def _stream(stack: Stack, ticket_id: str) -> list[tuple[int, str]]:
    """(sequence, type) of intake's events of one ticket, in the order its outbox holds them."""
    runtime = stack.runtime("intake")
    outbox = runtime.spec.tables.outbox
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(select(outbox.c.value).where(outbox.c.key == ticket_id)
                                   .order_by(outbox.c.id))).scalars().all()
    return [(e.sequence, e.type) for e in map(decode, rows)]


async def test_calls_posted_together_share_transactions_and_each_gets_its_own_ticket(stack: Stack) -> None:
    group = _writer(stack.runtime("intake")).group
    batches_before = group.batches
    bodies = [fault_report() for _ in range(24)]
    answers = await asyncio.gather(*(post_ticket(stack, body) for body in bodies))
    assert [a.status_code for a in answers] == [201] * 24, [a.text for a in answers if a.status_code != 201]
    assert group.batches - batches_before < 24 and group.largest > 1  # some calls did share a transaction
    created = [a.json() for a in answers]
    assert len({c["number"] for c in created}) == 24 and len({c["ticket_id"] for c in created}) == 24
    for body, c in zip(bodies, created, strict=True):
        ticket = (await stack.clients["intake"].get(f"/tickets/{c['ticket_id']}", headers=stack.auth(Role.AGENT))).json()
        assert ticket["number"] == c["number"] and ticket["customer"]["account"] == body["customer"]["account"]
        assert await _stream(stack, c["ticket_id"]) == [(1, "TicketCreated")]


async def test_a_repeat_within_one_batch_links_to_the_ticket_made_earlier_in_it(stack: Stack) -> None:
    """GX-5.3.1 within one transaction: the second report of the account links to the first's new ticket, whose
    stream goes on after its creation events; a third report of another service is a new ticket."""
    runtime = stack.runtime("intake")
    ivr = Principal("ivr-batch", Role.IVR)
    field_time = runtime.config.policy.field_time
    first = handlers.parse(fault_report(product="ftth-broadband", recording_ref="rec-1"))
    repeat = handlers.parse({**fault_report(product="ftth-broadband", description="还是不通"),
                             "customer": first.customer.model_dump() | {"phone": "13912345678"}})
    other = handlers.parse({**fault_report(product="itv-hd"), "customer": first.customer.model_dump()})
    async with runtime.new_uow() as uow:
        intakes = [await handlers.check_intake(uow, cmd, ivr, field_time) for cmd in (first, repeat, other)]
        answers = await handlers.log_tickets(uow, intakes, runtime.settings)
        await uow.commit()
    made, linked, new = answers
    assert made["outcome"] == "created" and new["outcome"] == "created" and new["ticket_id"] != made["ticket_id"]
    assert linked | {"event_id": None, "incidents": None} == {  # the stack's other tests may have outages open here
        "outcome": "duplicate-linked", "rule": "GX-5.3.1", "ticket_id": made["ticket_id"], "number": made["number"],
        "state": "received", "event_id": None, "occurred_at": made["occurred_at"], "incidents": None}
    assert linked["incidents"] == made["incidents"]
    assert await _stream(stack, made["ticket_id"]) == [(1, "TicketCreated"), (2, "CallRecordingAttached"),
                                                       (3, "DuplicateReportLinked")]
    # the next report, in its own transaction, continues the stream where the batch left it
    stack.clock.advance(timedelta(minutes=5))
    later = await post_ticket(stack, {**fault_report(product="ftth-broadband"),
                                      "customer": first.customer.model_dump()})
    assert later.status_code == 200 and later.json()["ticket_id"] == made["ticket_id"]
    assert (await _stream(stack, made["ticket_id"]))[-1] == (4, "DuplicateReportLinked")


async def test_keys_and_refusals_in_a_batch_are_answered_one_by_one(stack: Stack) -> None:
    """One key sent twice at once makes one ticket (the second replays it); a key reused for another call is a 422;
    a call backdated beyond the IVR's limit is its own 422; the calls beside them are logged."""
    key, used_key = f"k-{uuid.uuid4().hex}", f"k-{uuid.uuid4().hex}"
    assert (await post_ticket(stack, fault_report(), key=used_key)).status_code == 201
    twice = fault_report()
    too_old = fault_report(occurred_at=(stack.clock.now() - timedelta(days=3)).isoformat())
    answers = await asyncio.gather(
        post_ticket(stack, twice, key=key), post_ticket(stack, twice, key=key),
        post_ticket(stack, fault_report(), key=used_key), post_ticket(stack, too_old),
        *(post_ticket(stack, fault_report()) for _ in range(6)))
    first, again, reused, old, *fine = answers
    assert sorted([first.status_code, again.status_code]) == [201, 201]
    assert first.json() == again.json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in (first, again)) == ["", "true"]
    assert reused.status_code == 422 and reused.json()["error"]["fields"][0]["field"] == "Idempotency-Key"
    assert old.status_code == 422 and old.json()["error"]["fields"][0]["rule"] == "field-time"
    assert [a.status_code for a in fine] == [201] * 6
    found = await stack.clients["intake"].get("/tickets", params={"account": twice["customer"]["account"]},
                                              headers=stack.auth(Role.AGENT))
    assert len(found.json()["items"]) == 1  # one ticket for the key sent twice


async def test_bad_input_posted_with_others_is_refused_on_its_own_and_leaves_nothing(stack: Stack) -> None:
    """NUL bytes, an over-long field, deep JSON, a naive or far-off date and a wrong content type, sent in one
    concurrent burst with good calls: each bad one is a 4xx naming its field, the good ones are logged."""
    intake, auth = stack.clients["intake"], stack.auth(Role.IVR)
    nul = fault_report(description="断网\x00")
    long_name = fault_report()
    long_name["customer"] = long_name["customer"] | {"name": "张" * 5000}
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    naive = fault_report(occurred_at="2026-01-01T08:00:00")
    far_off = fault_report(occurred_at="2300-01-01T08:00:00+08:00")
    future = fault_report(occurred_at=(stack.clock.now() + timedelta(days=30)).isoformat())
    bad = [nul, long_name, fault_report(description=deep), naive, far_off, future]
    answers = await asyncio.gather(
        *(post_ticket(stack, body) for body in bad),
        intake.post("/tickets", content=b"kind=fault", headers=auth | {"Content-Type": "text/plain"}),
        *(post_ticket(stack, fault_report()) for _ in range(4)))
    *refused, wrong_type = answers[:len(bad) + 1]
    assert [a.status_code for a in answers[len(bad) + 1:]] == [201] * 4
    assert wrong_type.status_code == 415
    for body, answer in zip(bad, refused, strict=True):
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["fields"], answer.text
        assert "Traceback" not in answer.text
    for body in (nul, long_name, naive, far_off, future):
        found = await intake.get("/tickets", params={"account": body["customer"]["account"]},
                                 headers=stack.auth(Role.AGENT))
        assert found.status_code == 200 and found.json()["items"] == []
