"""Settings, read once from ``GATEWAY_*`` environment variables and an optional TOML file.

Every backend has an embedded default: leave ``GATEWAY_REDIS_URL`` unset and the
field cache lives in process memory; leave ``GATEWAY_AMQP_URL`` unset and the bus is
an in-process queue. Upstream URLs default to the real Fedora services. A TOML
file named by ``GATEWAY_CONFIG`` supplies the same keys (``koji_url = "..."``);
environment variables win over it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, HttpUrl
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

FEDORA_BROKER = "amqps://fedora:@rabbitmq.fedoraproject.org/%2Fpublic_pubsub"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="forbid", frozen=True)

    koji_url: HttpUrl = HttpUrl("https://koji.fedoraproject.org/kojihub")
    mdapi_url: HttpUrl = HttpUrl("https://mdapi.fedoraproject.org")
    bodhi_url: HttpUrl = HttpUrl("https://bodhi.fedoraproject.org")
    bugzilla_url: HttpUrl = HttpUrl("https://bugzilla.redhat.com")
    pagure_url: HttpUrl = HttpUrl("https://src.fedoraproject.org")

    redis_url: str | None = Field(default=None, description="unset: in-process field cache")
    amqp_url: str | None = Field(default=None, description="unset: in-process bus")
    elasticsearch_url: str | None = Field(default=None, description="unset: embedded search")
    search_alias: str = Field(
        default="fedora-packages", description="the Elasticsearch alias of the package index"
    )
    search_dir: Path | None = Field(
        default=None, description="the embedded index's directory (unset: a temporary one)"
    )
    search_build_on_start: bool = Field(
        default=True, description="build an empty search index from the upstreams at start-up"
    )

    cors_origins: list[str] = Field(
        default=["*"], description="origins that browsers may query the API from"
    )
    graphiql: bool = Field(default=True, description="serve GraphiQL at GET /graphql")

    # request limits (gateway/limits/; README, "Limits")
    introspection: bool = Field(
        default=True, description='answer __schema and __type (off: no "Did you mean" either)'
    )
    max_depth: int = Field(default=12, gt=0, description="object fields nested per operation")
    max_aliases: int = Field(default=15, ge=0, description="aliases per operation")
    max_directives: int = Field(default=50, ge=0, description="directives per operation")
    max_tokens: int = Field(default=5000, gt=0, description="tokens per document")
    max_cost: int = Field(
        default=25_000, gt=0, description="the largest cost of an operation (objects it may return)"
    )
    max_body_bytes: int = Field(
        default=256 * 1024, gt=0, description="the largest POST body on /graphql"
    )
    max_batch: int = Field(
        default=10, ge=0, description="operations in one batched POST, a JSON array (0: no arrays)"
    )
    execution_timeout_s: float = Field(
        default=30.0, gt=0, description="how long one operation may run"
    )
    apq: bool = Field(default=True, description="keep documents sent with their hash (APQ)")
    apq_ttl_s: float = Field(
        default=86_400, gt=0, description="how long Redis keeps a persisted query after its use"
    )
    apq_bytes: int = Field(
        default=16 * 2**20, gt=0, description="budget of the in-process persisted queries"
    )
    persisted_documents: Path | None = Field(
        default=None, description="a JSON file of documents by SHA-256: always known by hash"
    )
    persisted_documents_only: bool = Field(
        default=False, description="run only the documents of GATEWAY_PERSISTED_DOCUMENTS"
    )
    rate_limit_points_per_s: float = Field(
        default=0.0, ge=0, description="cost points a client's bucket regains a second (0: off)"
    )
    rate_limit_burst: int = Field(
        default=50_000, gt=0, description="cost points a client's bucket holds"
    )

    field_cache: bool = Field(default=True, description="answer from the field cache")
    memory_cache_bytes: int = Field(
        default=512 * 2**20, gt=0, description="budget of the in-process field cache"
    )
    response_cache_bytes: int = Field(
        default=64 * 2**20,
        ge=0,
        description="budget of the answers replayed while their entries hold (0: off)",
    )
    live_window_s: float = Field(
        default=7 * 86_400, gt=0, description="entries read this recently are refilled on events"
    )
    stale_wait_s: float = Field(
        default=1.0, ge=0, description="how long a reader waits for a refill before serving stale"
    )
    ws_init_timeout_s: float = Field(
        default=10.0, gt=0, description="how long a WebSocket client has to send connection_init"
    )
    ws_max_subscriptions: int = Field(
        default=100, gt=0, description="subscriptions one WebSocket connection may hold"
    )
    ws_outbox: int = Field(
        default=64, gt=0, description="results queued per subscription before the oldest drop"
    )
    ws_max_message_bytes: int = Field(
        default=64 * 1024, gt=0, description="the largest WebSocket message a client may send"
    )
    worker_prefetch: int = Field(
        default=512,
        ge=1,
        description="deliveries the worker handles at once (Fedora's public broker: 25)",
    )
    worker_queue: str = Field(
        default="fedora-gateway", description="the durable queue the worker consumes"
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="log lines for people (text) or one JSON object a line (json: production)",
    )
    worker_metrics_host: str = Field(
        default="127.0.0.1", description="the address the worker serves its /metrics on"
    )
    worker_metrics_port: int = Field(
        default=9464, ge=0, le=65535, description="the worker's /metrics port (0: none)"
    )
    readiness_timeout_s: float = Field(
        default=2.0, gt=0, description="how long one /readyz check may take before it fails"
    )

    # faults (README, "Faults")
    breaker: bool = Field(
        default=True, description="a circuit breaker per upstream (off: calls wait their timeout)"
    )
    breaker_failures: int = Field(
        default=5, ge=1, description="failed attempts in a row that open an upstream's circuit"
    )
    breaker_failure_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="share of failures among the last GATEWAY_BREAKER_WINDOW that opens it",
    )
    breaker_window: int = Field(
        default=20, ge=1, description="recent attempts the failure ratio is taken over"
    )
    breaker_cooldown_s: float = Field(
        default=5.0, gt=0, description="how long an open circuit refuses calls before a probe"
    )
    breaker_max_retry_after_s: float = Field(
        default=120.0,
        ge=0,
        description="the longest Retry-After (429, 503) an open circuit honours",
    )
    redis_timeout_s: float = Field(
        default=1.0,
        gt=0,
        description="how long the gateway waits for Redis (connect, each reply) before it "
        "counts Redis as down",
    )
    redis_probe_interval_s: float = Field(
        default=1.0, gt=0, description="how often a Redis known to be down is probed (PING)"
    )
    redis_fallback_bytes: int = Field(
        default=64 * 2**20,
        gt=0,
        description="budget of the in-process field cache used while Redis is down",
    )
    redis_fallback_ttl_s: float = Field(
        default=5.0,
        gt=0,
        description="how long a value filled while Redis is down is served as fresh",
    )
    worker_retry_backoff_max_s: float = Field(
        default=30.0,
        gt=0,
        description="the longest wait before the worker retries a message it could not handle",
    )

    topic_prefix: str = "org.fedoraproject.prod"
    upstream_timeout_s: float = 10.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("GATEWAY_CONFIG")
        if config:
            path = Path(config)
            if not path.is_file():
                raise FileNotFoundError(f"GATEWAY_CONFIG names {path}, which is not a file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)
