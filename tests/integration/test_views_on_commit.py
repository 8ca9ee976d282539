"""`UnitOfWork.changed(view)` makes the instance read the view again only once the transaction committed: a
rolled-back change (a retried batch, a refused request) leaves the held view alone (issue 13)."""

from __future__ import annotations

from sqlalchemy import MetaData

from shared.clock import SystemClock
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.database import create_engine, ensure_database, service_url
from shared.persistence.tables import platform_tables
from shared.persistence.views import CommittedViews


async def test_a_change_counts_on_commit_only(database_url: str) -> None:
    url = service_url(database_url, "views_on_commit")
    await ensure_database(database_url, url)
    engine = create_engine(url)
    views, reads = CommittedViews(max_age=60), []

    async def load(conn) -> int:
        reads.append(1)
        return len(reads)

    def uow() -> UnitOfWork:
        return UnitOfWork(engine, platform_tables(MetaData()), SystemClock(), lambda: None, views=views)

    try:
        async with uow() as u:
            assert await views.get("incidents", u.conn, load) == 1
        async with uow() as u:
            u.changed("incidents")  # rolled back: never committed
        async with uow() as u:
            assert await views.get("incidents", u.conn, load) == 1
            u.changed("incidents")
            await u.commit()
        async with uow() as u:
            assert await views.get("incidents", u.conn, load) == 2
    finally:
        await engine.dispose()
