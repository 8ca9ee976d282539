"""What every service is made of, and the runtime that starts it: DB + migrations, relay, consumer, HTTP."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData, text

from shared.clock import Clock, SystemClock
from shared.events.topics import TOPICS
from shared.http.auth import ApiKeyError, ensure_dev_keys, parse_api_keys
from shared.http.docs import keep_docs_local
from shared.http.edge import EdgeGuard, document_errors
from shared.http.errors import install_error_handlers
from shared.http.request_metrics import RequestMetrics
from shared.messaging.consumer import EventConsumer, Handler
from shared.messaging.delivery import DeliveryTracker
from shared.messaging.kafka import (
    broker_reachable,
    delete_topics,
    ensure_topics,
    missing_topics,
    new_producer,
)
from shared.messaging.parking import count_waiting
from shared.messaging.relay import OutboxRelay
from shared.messaging.transient import TRANSIENT_ERRORS, reraise_if_cancelling
from shared.messaging.unit_of_work import UnitOfWork
from shared.metrics import ServiceMetrics
from shared.persistence.database import (
    create_engine,
    ensure_database,
    migrate,
    service_url,
    wait_for_database,
)
from shared.persistence.tables import Tables
from shared.persistence.views import CommittedViews
from shared.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    title: str
    metadata: MetaData
    tables: Tables
    migrations_dir: Path
    consumes: list[str] = field(default_factory=list)
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)
    # Long-running loops beside the consumer (e.g. the SLA timer scanner); each gets the runtime.
    workers: dict[str, Callable[[ServiceRuntime], Awaitable[None]]] = field(default_factory=dict)
    # Checks that must pass before the service takes traffic (e.g. the policy file loads); raising stops start.
    on_start: Callable[[ServiceRuntime], Awaitable[None]] | None = None
    # Builds what this service's handlers, workers and API need from the settings (e.g. the SLA policy and its
    # calendars), once per runtime; raising stops start. Handlers read it as `uow.config`, the rest as
    # `runtime.config`.
    configure: Callable[[Settings], Any] | None = None
    # Facts /readyz reports without failing readiness (e.g. deadlines computed on a provisional calendar).
    readiness_details: Callable[[ServiceRuntime], Awaitable[dict[str, Any]]] | None = None
    # For each topic, the consumer groups of the whole platform that must apply its events (services/catalog.py
    # fills it in): what the delivery watermark waits for.
    consumer_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


GC_THRESHOLDS = (20_000, 50, 100)  # young, middle, old; Python's default is (700, 10, 10)


def consumer_group(service: str) -> str:
    return f"gongdan-{service}"


class ServiceRuntime:
    """Owns the engine, producer, outbox relay and consumer of one service instance."""

    def __init__(self, spec: ServiceSpec, settings: Settings, clock: Clock) -> None:
        self.spec, self.settings, self.clock = spec, settings, clock
        self.metrics = ServiceMetrics(spec.name)
        self.views = CommittedViews(settings.gongdan_view_max_age)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.consumer: EventConsumer | None = None
        # A memory broker forgets everything when it restarts; our own presence topic vanishing is how we notice.
        self.presence_topic = (f"gongdan.presence.{spec.name}.{uuid.uuid4().hex[:8]}"
                               if settings.gongdan_volatile_broker else None)
        self.topics = TOPICS.all() + ([self.presence_topic] if self.presence_topic else [])

    async def start(self) -> None:
        self.config = self.spec.configure(self.settings) if self.spec.configure is not None else None
        if self.spec.on_start is not None:
            await self.spec.on_start(self)
        server_url = self.settings.database_url
        if not server_url:
            raise RuntimeError("DATABASE_URL is not set (make run / gongdan dev sets it for the embedded server)")
        await wait_for_database(server_url)
        url = service_url(server_url, self.spec.name)
        await ensure_database(server_url, url)
        self.engine = create_engine(url)
        await migrate(self.engine, self.spec.migrations_dir)
        await self.ensure_topics()
        self.producer = new_producer(self.settings.kafka_bootstrap_servers, f"gongdan-{self.spec.name}")
        await self.producer.start()
        self.relay = OutboxRelay(self.engine, self.spec.tables, self.producer, self.clock, self.metrics)
        self.delivery = DeliveryTracker(self.engine, self.spec.tables, self.settings.kafka_bootstrap_servers,
                                        self.spec.consumer_groups)
        if self.settings.gongdan_volatile_broker:
            # The memory broker may have restarted while we were away (or the whole stack did): publish again
            # whatever some consumer may not have applied. Inboxes make copies harmless.
            again = await self.relay.republish_unconfirmed()
            if again:
                log.info("%s: %d events not yet applied downstream queued again after start", self.spec.name, again)
        self._spawn("relay", self.relay.run())
        if self.spec.consumes:
            self.start_consumer()
        self._spawn("broker-watch", self._watch_broker())
        for name, worker in self.spec.workers.items():
            self._spawn(name, worker(self))
        # What start loaded (modules, policy, schemas: most of the process's objects) lives as long as the process:
        # out of the collector's sight, full collections walk only what requests and batches allocate (they were
        # ~15% of a consuming stage, issue 13).
        gc.collect()
        gc.freeze()
        # A batch or a request allocates thousands of short-lived containers: with the default first threshold (700)
        # the young generation was collected every few hundred of them, promoting what was still in use. 7% less
        # CPU applying a consumed batch in sla_monitor (same run, 8 runs each; issue 13).
        gc.set_threshold(*GC_THRESHOLDS)

    async def _watch_broker(self, every: float = 3.0, stuck_after: float = 30.0) -> None:
        """Recreate topics the broker lost and rejoin; move the delivery watermark. With a volatile broker (Tansu
        in memory, which after a restart acknowledges writes to topics it no longer has), a vanished presence
        topic means a restart: publish again every row some consumer group may not have applied."""
        broker_away = False
        while True:
            await asyncio.sleep(every)
            try:
                missing = await missing_topics(self.settings.kafka_bootstrap_servers, self.topics)
                if missing:
                    await self.ensure_topics()
                    again = 0
                    if self.presence_topic is None or self.presence_topic in missing:
                        again = await self.relay.republish_unconfirmed()
                    log.warning("%s: broker lost topics %s; recreated, %d events queued again",
                                self.spec.name, missing, again)
                    if self.consumer is not None:
                        self.consumer.reconnect()
                else:
                    await self.delivery.advance(self._same_broker if self.presence_topic else None)
                    if self.consumer is not None and self.consumer.stuck_for() > stuck_after:
                        log.warning("%s: consumer has had no partitions for %.0fs; rejoining", self.spec.name,
                                    self.consumer.stuck_for())
                        self.consumer.reconnect()
                await self._observe_backlogs()
                if broker_away:
                    log.warning("%s: broker reachable again", self.spec.name)
                broker_away = False
            except TRANSIENT_ERRORS as exc:
                reraise_if_cancelling(exc)  # stop() cancels this loop, maybe in the middle of an admin call
                if not broker_away:  # once per outage, not every few seconds
                    log.warning("%s: broker or database unreachable (%r); watching", self.spec.name, exc)
                broker_away = True

    async def _same_broker(self) -> bool:
        """Our presence topic is still there: the broker has not restarted since we (re)created it."""
        assert self.presence_topic is not None
        return not await missing_topics(self.settings.kafka_bootstrap_servers, [self.presence_topic])

    async def _observe_backlogs(self) -> None:
        self.metrics.outbox_unapplied.set(await self.delivery.unapplied())
        async with self.new_uow() as uow:
            self.metrics.parked_waiting.set(await count_waiting(uow))

    def start_consumer(self) -> EventConsumer:
        self.consumer = EventConsumer(
            group_id=consumer_group(self.spec.name),
            topics=self.spec.consumes,
            bootstrap=self.settings.kafka_bootstrap_servers,
            handlers=self.spec.handlers,
            new_uow=self.new_uow,
            metrics=self.metrics,
            batch_size=self.settings.gongdan_consumer_batch,
        )
        self._spawn("consumer", self.consumer.run())
        consumer = self.consumer
        self.metrics.consumer_oldest_unapplied_seconds.set_function(consumer.oldest_unapplied_seconds)
        return consumer

    async def stop_consumer(self) -> None:
        if self.consumer is not None:
            self.consumer.stop()
            task = self._tasks.pop("consumer")
            await asyncio.gather(task, return_exceptions=True)

    async def ensure_topics(self) -> None:
        await ensure_topics(self.settings.kafka_bootstrap_servers, self.topics,
                            self.settings.gongdan_topic_partitions, give_up_after=10)

    def new_uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.spec.tables, self.clock, self.relay.wake, self.config, self.spec.name,
                          self.views)

    async def stop(self) -> None:
        """Finish the batch in hand, commit offsets, publish what is committed, close connections."""
        for name in self.spec.workers:
            worker = self._tasks.pop(name, None)
            if worker:
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
        watch = self._tasks.pop("broker-watch", None)
        if watch:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
        await self.stop_consumer()
        self.relay.stop()
        relay = self._tasks.pop("relay", None)
        if relay:
            try:
                await asyncio.wait_for(relay, timeout=10)
            except Exception:  # noqa: BLE001 - shutting down anyway (timeout included); rows stay in the outbox
                log.warning("%s: outbox relay did not drain before shutdown", self.spec.name)
        await self.producer.stop()
        await self.engine.dispose()
        if self.presence_topic:
            await delete_topics(self.settings.kafka_bootstrap_servers, [self.presence_topic])

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"unreachable: {type(exc).__name__}"
        ok = await broker_reachable(self.settings.kafka_bootstrap_servers)
        checks["broker"] = "ok" if ok else "unreachable"
        for name, task in self._tasks.items():
            checks[name] = "running" if not task.done() else "stopped"
        if self.consumer is not None and checks.get("consumer") == "running":
            checks["consumer"] = "running" if self.consumer.health()["state"] == "ok" else "degraded"
        return checks

    def _spawn(self, name: str, coro: Any) -> None:
        task = asyncio.create_task(coro, name=f"{self.spec.name}-{name}")
        task.add_done_callback(lambda t: _log_task_end(self.spec.name, name, t))
        self._tasks[name] = task


def _log_task_end(service: str, name: str, task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s: %s stopped: %r", service, name, task.exception())


def load_api_keys(settings: Settings) -> dict:
    if settings.gongdan_api_keys:
        return parse_api_keys(settings.gongdan_api_keys)
    if settings.gongdan_dev:
        spec, path = ensure_dev_keys(settings.gongdan_data_dir)
        log.warning("GONGDAN_API_KEYS not set: using dev keys from %s", path)
        return parse_api_keys(spec)
    raise ApiKeyError("GONGDAN_API_KEYS is not set (or set GONGDAN_DEV=1 to generate dev keys)")


async def get_runtime(request: Request) -> ServiceRuntime:  # async: no worker-thread hop per request
    return request.app.state.runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


def create_app(spec: ServiceSpec, settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(spec, settings, clock or SystemClock())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    # /docs and /redoc with Swagger UI and ReDoc served from the wheel, not a CDN (operators' intranets, issue 12)
    app = FastAPIOffline(title=f"Gongdan {spec.title}", lifespan=lifespan, version="0.1.0")
    keep_docs_local(app)
    app.state.runtime = runtime
    app.state.api_keys = load_api_keys(settings)
    install_error_handlers(app)
    app.add_middleware(EdgeGuard)  # inside the metrics, so refusals are counted
    document_errors(app)
    app.add_middleware(RequestMetrics, metrics=runtime.metrics)  # outermost: every answer is counted

    @app.get("/healthz", tags=["operations"], summary="Process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz", tags=["operations"], summary="Database and broker reachable",
             responses={503: {"description": "Not ready: the checks say what is missing"}})
    async def readyz(rt: RuntimeDep, response: Response) -> dict[str, Any]:
        checks = await rt.readiness()
        ready = all(v in ("ok", "running") for v in checks.values())
        response.status_code = 200 if ready else 503
        body = {"status": "ready" if ready else "not ready", "service": spec.name, "checks": checks}
        if rt.consumer is not None:
            body["consumer"] = rt.consumer.health()
            if checks.get("consumer") == "degraded":
                body["status"] = "degraded"
        if spec.readiness_details is not None and checks.get("database") == "ok":
            body["details"] = await spec.readiness_details(rt)
        return body

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics(rt: RuntimeDep) -> Response:
        return Response(generate_latest(rt.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for router in spec.routers:
        app.include_router(router)

    return app
