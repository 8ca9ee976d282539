"""The one place that reads the environment (STYLE rule 8)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL server URL (postgresql://user:pass@host:port/db). Each service uses its own "
        "database on it, named gongdan_<service>. Unset: the embedded server of the dev stack.",
    )
    kafka_bootstrap_servers: str = Field(default="127.0.0.1:19092", description="Kafka-protocol brokers")
    gongdan_policy: Path | None = Field(
        default=None, description="Policy file (YAML) of this deployment: SLA timers, field-time backdating "
        "limits. Unset: policies/default.yaml")
    gongdan_tz: str = Field(default="Asia/Shanghai", description="Operator's time zone for business rules")
    gongdan_api_keys: str | None = Field(default=None, description="Comma-separated name:role:key entries")
    gongdan_dev: bool = Field(default=False, description="Dev mode: generate API keys when none are set")
    gongdan_data_dir: Path = Field(default=Path(".data"), description="Dev stack state (pg data, key file)")
    gongdan_host: str = Field(default="127.0.0.1", description="Address the HTTP APIs bind to")
    gongdan_log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as one JSON object per line (for log shippers)")
    gongdan_consumer_batch: int = Field(default=500, ge=1, description="Max events per consume transaction")
    gongdan_volatile_broker: bool = Field(
        default=False, description="The broker keeps topics in memory (the embedded dev broker): detect its "
        "restarts and publish again every event some consumer has not applied. Leave false for Kafka/Redpanda")
    gongdan_topic_partitions: int = Field(default=6, ge=1, description="Partitions for topics we create")
    gongdan_sla_breach_grace: timedelta = Field(
        default=timedelta(minutes=2), description="sla_monitor holds a breach this long past the deadline so a "
        "stop event still in transit can land first; a stop arriving later is retracted (SlaBreachRetracted)")
    gongdan_view_max_age: float = Field(
        default=1.0, ge=0, description="Seconds a service instance keeps a small, rarely changed table in memory "
        "(intake: districts, active outages) before reading it again; its own changes it sees at once. With "
        "several instances, how long one may not see another's change (shared/persistence/views.py)")
    gongdan_sla_scan_every: float = Field(default=0.2, gt=0, description="Seconds between timer scans")
    gongdan_sla_scan_batch: int = Field(default=500, ge=1, description="Due timers fired per scan transaction")
    gongdan_service_urls: str | None = Field(
        default=None, description="Where the console (issue 12) reaches the other services: comma-separated "
        "name=url entries (dispatch=http://dispatch:8102,...); a service not named: http://127.0.0.1:<its port>")
    gongdan_console_secret: str | None = Field(
        default=None, description="Key that signs the console's session cookies (keep it secret, the same on "
        "every console instance); unset: derived from the API keys")
    gongdan_console_secure_cookie: bool = Field(
        default=True, description="Console cookies only over HTTPS (browsers also accept them on 127.0.0.1); set "
        "false only for a console served over plain HTTP on a closed intranet")
    gongdan_sms_gateway_url: str | None = Field(
        default=None, description="CT-4.6: the SMS gateway compensation posts customer notices to (JSON over "
        "HTTP(S)); unset: the dev notifier, which keeps each message in its table (GET /notifications)")
    gongdan_sms_gateway_user: str | None = Field(default=None, description="SMS gateway account (HTTP basic)")
    gongdan_sms_gateway_password: SecretStr | None = Field(
        default=None, description="SMS gateway password (HTTP basic with the user; a bearer token without one)")
    gongdan_sms_sender: str = Field(default="10000", description="Sender id the SMS gateway shows the customer")
    gongdan_duplicate_window: timedelta = Field(
        default=timedelta(hours=72), description="GX-5.3.1: a fault report repeats an open fault ticket opened at "
        "most this long before it")
