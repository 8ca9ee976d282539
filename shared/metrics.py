"""Prometheus metrics, one registry per service so several services can share a process (tests)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ServiceMetrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        labels = {"service": service}
        self.http_requests = Counter(
            "gongdan_http_requests", "HTTP requests served", ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "gongdan_http_request_seconds", "HTTP request duration", ["method", "route"], registry=self.registry
        )
        self.events_consumed = Counter(
            "gongdan_events_consumed", "Events read from the broker, by outcome", ["type", "outcome"],
            registry=self.registry,
        )
        self.events_produced = Counter(
            "gongdan_events_produced", "Messages published from the outbox", ["topic"], registry=self.registry
        )
        self.consumer_lag_messages = Gauge(
            "gongdan_consumer_lag_messages", "Messages behind the partition high watermark (last fetch)",
            ["topic", "partition"], registry=self.registry,
        )
        self.consumer_lag_seconds = Gauge(
            "gongdan_consumer_lag_seconds", "Age of the newest applied event when its batch was applied "
            "(0 when idle)", registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "gongdan_outbox_backlog", "Outbox rows not yet published", registry=self.registry
        )
        self.outbox_oldest_seconds = Gauge(
            "gongdan_outbox_oldest_pending_seconds", "Age of the oldest unpublished outbox row",
            registry=self.registry,
        )
        self.events_parked = Counter(
            "gongdan_events_parked", "Events this process parked (undecodable, or a handler failing on them)",
            registry=self.registry,
        )
        self.parked_waiting = Gauge(
            "gongdan_parked_events_waiting", "Parked events not yet replayed (checked every few seconds)",
            registry=self.registry,
        )
        self.consumer_oldest_unapplied_seconds = Gauge(
            "gongdan_consumer_oldest_unapplied_seconds",
            "Age of the oldest event fetched but not yet applied (0 when none waits)", registry=self.registry,
        )
        self.outbox_unapplied = Gauge(
            "gongdan_outbox_unapplied", "Outbox rows some downstream consumer group has not applied yet "
            "(above the delivery watermark)", registry=self.registry,
        )
        self.write_batch_size = Histogram(
            "gongdan_write_batch_requests", "Write requests that shared one transaction (group commit, issue 13)",
            ["route"], buckets=(1, 2, 4, 8, 16, 32, 64), registry=self.registry,
        )
        self.write_batch_seconds = Histogram(
            "gongdan_write_batch_seconds", "Time to write one group-committed batch, its transaction and any "
            "requests run alone after it", ["route"], registry=self.registry,
        )
        self.info = Gauge("gongdan_service_info", "Static service information", ["service"], registry=self.registry)
        self.info.labels(**labels).set(1)
