"""A unit of work happens at one instant: everything it records (inbox, events, outbox) carries the time it began,
even if the clock moves while it runs. Found by the compensation replay test (issue 11): a consumer logged an event
as applied before a test moved the clock, then priced the accruing claim after it, so the replay (which sets the
clock to `applied_at`) priced it a day earlier and the two databases differed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, select

from shared.clock import ControllableClock
from shared.events import decode
from shared.events.lifecycle.aftercare import TicketArchived
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.database import create_engine, ensure_database, service_url
from shared.persistence.tables import platform_tables


async def test_the_clock_moving_mid_transaction_does_not_split_its_time(database_url: str) -> None:
    url = service_url(database_url, "unit_of_work_time")
    await ensure_database(database_url, url)
    engine = create_engine(url)
    metadata = MetaData()
    tables = platform_tables(metadata)
    began = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    clock = ControllableClock(began)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
            await conn.run_sync(metadata.create_all)
        event_id, ticket = uuid.uuid4(), uuid.uuid4()
        async with UnitOfWork(engine, tables, clock, lambda: None) as uow:
            await uow.mark_all_consumed([(event_id, "TicketCreated", "gongdan.tickets")])
            clock.advance(timedelta(days=1, hours=2))  # a test (or NTP) moves the clock meanwhile
            assert uow.now() == began
            archived = TicketArchived(ticket_id=ticket, actor="agent-1", role="agent")
            [sent] = uow.emit([archived], stream=ticket, first_sequence=1, occurred_at=uow.now())
            await uow.commit()
        assert sent.recorded_at == began
        async with engine.connect() as conn:
            applied = (await conn.execute(select(tables.inbox.c.applied_at))).scalar_one()
            outbox = (await conn.execute(select(tables.outbox.c.created_at, tables.outbox.c.value))).one()
        assert applied == began and outbox.created_at == began and decode(outbox.value).recorded_at == began
        async with UnitOfWork(engine, tables, clock, lambda: None) as uow:  # the next one begins at the new time
            assert uow.now() == began + timedelta(days=1, hours=2)
    finally:
        await engine.dispose()
