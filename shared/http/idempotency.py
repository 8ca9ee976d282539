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
from sqlalchemy import Table, TextClause, text
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
def _statements(t: Table) -> tuple[TextClause, TextClause, TextClause, Unnest, Unnest]:
    """(take keys, read their stored answers, store answers) for a service's key table, each one statement of
    constant text for any number of keys, and the row sources they read their parameters from."""
    keys = Unnest(t, ["principal", "key", "request_hash"])
    answers = Unnest(t, ["principal", "key", "status_code", "response"])
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
    """Take each request's key for this transaction, or find the answer stored under it: for each request None
    (taken), the stored answer, or the 422 for a key used with a different request. The keys must differ.

    A key's row is inserted first (its answer is filled in by `remember_many` before commit): a concurrent request
    with the same key waits on that row until this transaction ends, then finds the answer (or, after a rollback,
    takes the key itself). One statement when every key is new, where an advisory lock and a read took two per key
    (issue 13); a second reads the answers of keys already used."""
    if not requests:
        return []
    take, read, _, keys, _ = _statements(tables.idempotency_keys)

    def rows(these: list[KeyedRequest]) -> dict[str, list[Any]]:
        return keys.params([{"principal": r.principal, "key": r.key, "request_hash": r.fingerprint} for r in these])
    in_order = sorted(requests, key=lambda r: (r.principal, r.key))  # two batches sharing keys wait, not deadlock
    taken = {(row.principal, row.key) for row in await uow.conn.execute(take, rows(in_order))}
    used = [r for r in requests if (r.principal, r.key) not in taken]
    stored = {(row.principal, row.key): row for row in await uow.conn.execute(read, rows(used))} if used else {}
    return [None if (r.principal, r.key) in taken else _answer_stored(stored[r.principal, r.key], r.fingerprint)
            for r in requests]


def _answer_stored(row: Any, fingerprint: str) -> StoredResponse | DomainError:
    """The answer stored under a key, or the 422 when the key came with a different request."""
    if row.request_hash != fingerprint:
        return DomainError(422, "Idempotency-Key was already used with a different request",
                           fields=[{"field": "Idempotency-Key", "in": "header", "rule": "idempotency",
                                    "message": "reuse only for retries of the identical request"}])
    return StoredResponse(row.status_code, row.response)


async def remember_many(uow: UnitOfWork, tables: Tables, answers: list[tuple[KeyedRequest, StoredResponse]]) -> None:
    """The answers to requests whose keys this transaction took (`claim_many`), stored with their effects, in one
    statement."""
    if not answers:
        return
    _, _, store, _, columns = _statements(tables.idempotency_keys)
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
    keyed = [KeyedRequest(principal, key, fingerprint)] if key else []
    async with new_uow() as uow:
        for stored in await claim_many(uow, tables, keyed):
            if isinstance(stored, DomainError):
                raise stored
            if stored is not None:
                return stored, True
        response = await operation(uow)
        await remember_many(uow, tables, [(request, response) for request in keyed])
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
