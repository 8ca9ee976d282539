"""Idempotency-Key: the same key from the same caller replays the first response and changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy import Insert, Select, Table, TextClause, Update, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from shared import limits
from shared.http.errors import DomainError
from shared.inputs import Line
from shared.messaging.transient import sqlstate
from shared.messaging.unit_of_work import UnitOfWork
from shared.persistence.tables import Tables
from shared.persistence.unnest import Unnest

IdempotencyKey = Annotated[Line(limits.IDEMPOTENCY_KEY) | None, Header(
    alias="Idempotency-Key", description="Retries with the same key return the first result and change nothing")]


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


@cache
def _statements(t: Table) -> tuple[Insert, Select, Update]:
    """(take a key, read its stored answer, store the answer) for a service's key table: built once, bound per
    request."""
    by_key = (t.c.principal == bindparam("b_principal")) & (t.c.key == bindparam("b_key"))
    take = (insert(t).values(principal=bindparam("b_principal"), key=bindparam("b_key"),
                             request_hash=bindparam("b_hash"), status_code=0,
                             response=func.jsonb_build_object(), created_at=func.now())
            .on_conflict_do_nothing().returning(t.c.key))
    read = select(t.c.request_hash, t.c.status_code, t.c.response).where(by_key)
    store = update(t).where(by_key).values(status_code=bindparam("b_status"), response=bindparam("b_response"))
    return take, read, store


async def claim(uow: UnitOfWork, tables: Tables, principal: str, key: str, fingerprint: str) -> StoredResponse | None:
    """Take the key for this transaction, or return the answer stored under it.

    The key's row is inserted first (its answer is filled in by `remember` before commit): a concurrent request
    with the same key waits on that row until this transaction ends, then finds the answer (or, after a rollback,
    takes the key itself). One statement for a new key, where an advisory lock and a read took two (issue 13)."""
    take, read, _ = _statements(tables.idempotency_keys)
    params = {"b_principal": principal, "b_key": key}
    if (await uow.conn.execute(take, params | {"b_hash": fingerprint})).first() is not None:
        return None
    row = (await uow.conn.execute(read, params)).one()  # its first request committed: the insert waited for it
    answer = _answer_stored(row, fingerprint)
    if isinstance(answer, DomainError):
        raise answer
    return answer


def _answer_stored(row: Any, fingerprint: str) -> StoredResponse | DomainError:
    """The answer stored under a key, or the 422 when the key came with a different request."""
    if row.request_hash != fingerprint:
        return DomainError(422, "Idempotency-Key was already used with a different request",
                           fields=[{"field": "Idempotency-Key", "in": "header", "rule": "idempotency",
                                    "message": "reuse only for retries of the identical request"}])
    return StoredResponse(row.status_code, row.response)


async def remember(uow: UnitOfWork, tables: Tables, principal: str, key: str, response: StoredResponse) -> None:
    """The answer to the request that took the key (`claim`), stored in the same transaction as its effects."""
    _, _, store = _statements(tables.idempotency_keys)
    await uow.conn.execute(store, {"b_principal": principal, "b_key": key, "b_status": response.status_code,
                                   "b_response": response.body})


@cache
def _set_statements(t: Table) -> tuple[TextClause, TextClause, TextClause, Unnest, Unnest]:
    """`claim_many` and `remember_many`'s statements for a service's key table, each for any number of keys."""
    keys, answers = Unnest(t, ["principal", "key", "request_hash"]), Unnest(t, ["principal", "key", "status_code",
                                                                               "response"])
    take = text(f"INSERT INTO {t.name} (principal, key, request_hash, status_code, response, created_at) "
                f"SELECT v.principal, v.key, v.request_hash, 0, '{{}}'::jsonb, now() FROM {keys.source} "
                f"ON CONFLICT DO NOTHING RETURNING principal, key")
    read = text(f"SELECT t.principal, t.key, t.request_hash, t.status_code, t.response FROM {t.name} t "
                f"JOIN {keys.source} ON t.principal = v.principal AND t.key = v.key")
    store = text(f"UPDATE {t.name} t SET status_code = v.status_code, response = {answers.value('response')} "
                 f"FROM {answers.source} WHERE t.principal = v.principal AND t.key = v.key")
    return take, read, store, keys, answers


@dataclass(frozen=True)
class KeyedRequest:
    """A write under an Idempotency-Key: who sent it, the key, and the request's fingerprint."""

    principal: str
    key: str
    fingerprint: str


async def claim_many(uow: UnitOfWork, tables: Tables,
                     requests: list[KeyedRequest]) -> list[StoredResponse | DomainError | None]:
    """`claim` for many keys in two statements at most: for each request None (its key is taken for this
    transaction), the answer stored under its key, or the 422 for a key used with a different request. The keys
    must differ from one another."""
    if not requests:
        return []
    take, read, _, keys, _ = _set_statements(tables.idempotency_keys)
    in_order = sorted(requests, key=lambda r: (r.principal, r.key))  # two batches sharing keys wait, not deadlock
    rows = keys.params([{"principal": r.principal, "key": r.key, "request_hash": r.fingerprint} for r in in_order])
    taken = {(row.principal, row.key) for row in await uow.conn.execute(take, rows)}
    used = [r for r in requests if (r.principal, r.key) not in taken]
    stored = {}
    if used:
        params = keys.params([{"principal": r.principal, "key": r.key, "request_hash": r.fingerprint} for r in used])
        stored = {(row.principal, row.key): row for row in await uow.conn.execute(read, params)}
    return [None if (r.principal, r.key) in taken else _answer_stored(stored[r.principal, r.key], r.fingerprint)
            for r in requests]


async def remember_many(uow: UnitOfWork, tables: Tables, answers: list[tuple[KeyedRequest, StoredResponse]]) -> None:
    """`remember` for many requests, in one statement."""
    if not answers:
        return
    _, _, store, _, columns = _set_statements(tables.idempotency_keys)
    await uow.conn.execute(store, columns.params([
        {"principal": r.principal, "key": r.key, "status_code": a.status_code, "response": a.body}
        for r, a in answers]))


async def run_idempotent(
    new_uow: Callable[[], UnitOfWork],
    tables: Tables,
    principal: str,
    key: str | None,
    fingerprint: str,
    operation: Callable[[UnitOfWork], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    """Run `operation` once per (caller, key) in one transaction; returns (response, replayed). A transaction the
    database gave up on (deadlock, serialization failure) is run again, a few times: nothing of it was committed;
    so is one whose connection was lost, when there is a key."""
    for attempt in range(1, _TRIES + 1):
        try:
            return await _run_once(new_uow, tables, principal, key, fingerprint, operation)
        except DBAPIError as exc:
            # a connection lost mid-way is run again only under a key: had its commit gone through, the key
            # replays the stored answer instead of doing the write twice
            lost = exc.connection_invalidated and key is not None
            if (sqlstate(exc) not in _RUN_AGAIN and not lost) or attempt == _TRIES:
                raise
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


_TRIES = 3
_RUN_AGAIN = {"40001", "40P01"}  # serialization failure, deadlock detected


async def _run_once(
    new_uow: Callable[[], UnitOfWork],
    tables: Tables,
    principal: str,
    key: str | None,
    fingerprint: str,
    operation: Callable[[UnitOfWork], Awaitable[StoredResponse]],
) -> tuple[StoredResponse, bool]:
    async with new_uow() as uow:
        if key:
            stored = await claim(uow, tables, principal, key, fingerprint)
            if stored is not None:
                return stored, True
        response = await operation(uow)
        if key:
            await remember(uow, tables, principal, key, response)
        await uow.commit()
    return response, False


async def idempotent_json(
    new_uow: Callable[[], UnitOfWork],
    tables: Tables,
    principal: str,
    key: str | None,
    request: tuple[str, str, Any],
    status: int,
    work: Callable[[UnitOfWork], Awaitable[dict[str, Any]]],
) -> JSONResponse:
    """One write under Idempotency-Key, answered as JSON: `request` is (method, path, body as JSON) — what a
    retry must repeat exactly; a replay carries `Idempotent-Replayed: true`."""
    async def operation(uow: UnitOfWork) -> StoredResponse:
        return StoredResponse(status, await work(uow))

    response, replayed = await run_idempotent(new_uow, tables, principal, key, request_fingerprint(*request),
                                              operation)
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(response.body, status_code=response.status_code, headers=headers)
