"""POST /tickets in groups: calls that arrive together are logged in one transaction (issue 13; see
shared/http/group_commit.py), each answered exactly as it would be alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.intake.domain.intake import LogTicket
from services.intake.service_layer import handlers
from shared.errors import Invalid
from shared.http.group_commit import ALONE, GroupCommit, RunAlone
from shared.http.idempotency import KeyedRequest, StoredResponse, claim_many, remember_many, run_idempotent
from shared.identity import Principal
from shared.messaging.unit_of_work import UnitOfWork
from shared.metrics import ServiceMetrics
from shared.persistence.tables import Tables
from shared.policy.schema import FieldTimePolicy
from shared.settings import Settings

Logged = tuple[StoredResponse, bool]  # the answer, and whether it replays a stored one (Idempotency-Key)


@dataclass(frozen=True)
class TicketRequest:
    """One POST /tickets: the parsed call, who sent it, and its Idempotency-Key with the request's fingerprint."""

    cmd: LogTicket
    principal: Principal
    field_time: FieldTimePolicy
    key: str | None
    fingerprint: str

    @property
    def keyed(self) -> KeyedRequest | None:
        return KeyedRequest(self.principal.name, self.key, self.fingerprint) if self.key else None


def _stored(result: dict) -> StoredResponse:
    return StoredResponse(201 if result["outcome"] == "created" else 200, result)


class TicketWriter:
    """Logs POST /tickets calls, those that arrive together in one transaction."""

    def __init__(self, new_uow: Callable[[], UnitOfWork], tables: Tables, settings: Settings,
                 metrics: ServiceMetrics) -> None:
        self._new_uow, self._tables, self._settings = new_uow, tables, settings

        def observe(size: int, seconds: float) -> None:
            metrics.write_batch_size.labels("/tickets").observe(size)
            metrics.write_batch_seconds.labels("/tickets").observe(seconds)
        self.group = GroupCommit(self._write_many, self._write_one, replay_key=lambda r: r.keyed, on_batch=observe)

    async def log(self, request: TicketRequest) -> Logged:
        return await self.group.submit(request)

    async def _write_one(self, request: TicketRequest) -> Logged:
        """The call alone: its key claimed, checked, logged, answered (the path every call took before batches)."""
        async def log(uow: UnitOfWork) -> StoredResponse:
            return _stored(await handlers.log_ticket(uow, request.cmd, request.principal, self._settings,
                                                     request.field_time))
        return await run_idempotent(self._new_uow, self._tables, request.principal.name, request.key,
                                    request.fingerprint, log)

    async def _write_many(self, requests: list[TicketRequest]) -> list[Logged | BaseException | RunAlone]:
        outcomes: list[Logged | BaseException | RunAlone] = [ALONE] * len(requests)
        async with self._new_uow() as uow:
            intakes = {}
            for i, request in enumerate(requests):
                try:
                    intakes[i] = await handlers.check_intake(uow, request.cmd, request.principal, request.field_time)
                except Invalid:
                    # alone, its key's stored answer (if any) comes before the 422, and no key is taken for it
                    continue
            keyed = [i for i in intakes if requests[i].key]
            claims = await claim_many(uow, self._tables, [requests[i].keyed for i in keyed])  # type: ignore[misc]
            for i, claim in zip(keyed, claims, strict=True):
                if claim is not None:
                    outcomes[i] = claim if isinstance(claim, BaseException) else (claim, True)
                    del intakes[i]
            results = await handlers.log_tickets(uow, list(intakes.values()), self._settings)
            answers = {i: _stored(result) for i, result in zip(intakes, results, strict=True)}
            await remember_many(uow, self._tables, [(requests[i].keyed, a) for i, a in answers.items()
                                                    if requests[i].key])
            await uow.commit()
        for i, answer in answers.items():
            outcomes[i] = (answer, False)
        return outcomes
