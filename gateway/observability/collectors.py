"""Metrics read from a gateway's live parts when Prometheus scrapes, not counted twice.

The hub, the kept answers, the field reads, the change feed and the search keep their own
counters; :class:`GatewayCollector` reports them as they are at the scrape:

- ``fedora_gateway_ws_connections``, ``fedora_gateway_subscriptions``,
  ``fedora_gateway_live_operations`` (gauges), ``fedora_gateway_subscription_results_total``
  and ``fedora_gateway_subscription_dropped_total`` (results a slow client lost);
- ``fedora_gateway_response_cache_replays_total`` (answers replayed without execution),
  ``fedora_gateway_response_cache_refusals_total`` (kept answers an event ended),
  ``fedora_gateway_response_cache_entries`` and ``_bytes``;
- ``fedora_gateway_field_cache_fills_in_flight``;
- ``fedora_gateway_field_cache_fallback`` (1 while Redis is down and the field cache answers
  from process memory), ``fedora_gateway_field_cache_fallback_entries`` and
  ``fedora_gateway_field_cache_outages_total`` (times Redis was found down);
- ``fedora_gateway_change_feed_connected`` (1 or 0), ``fedora_gateway_change_feed_gaps_total``;
- ``fedora_gateway_search_index_state{state}``: 1 for the current state (``ready``,
  ``building``, ``failed``, ``empty``), 0 for the others.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.invalidation.fallback import FallbackFieldCache
from gateway.invalidation.feed import ChangeFeed, RedisFeed
from gateway.observability.parts import GatewayParts

__all__ = ["SEARCH_STATES", "GatewayCollector", "feed_connected"]

SEARCH_STATES = ("ready", "building", "failed", "empty")


class GatewayCollector(Collector):
    """The counters of ``parts``, read at scrape time; nothing while the lifespan is down."""

    def __init__(self, parts: GatewayParts) -> None:
        self.parts = parts

    def collect(self) -> Iterable[Metric]:
        parts = self.parts
        hub = parts.hub
        if hub is not None:
            yield _gauge("ws_connections", "Open WebSocket connections.", hub.connections)
            yield _gauge("subscriptions", "Live subscriptions.", hub.subscribers)
            yield _gauge(
                "live_operations",
                "Distinct live operations (each executed once for its subscribers).",
                len(hub.streams),
            )
            yield _counter(
                "subscription_results", "Results produced by live operations.", hub.results
            )
            yield _counter(
                "subscription_dropped",
                "Results dropped from the outbox of a client that read too slowly.",
                hub.dropped,
            )
        responses = parts.responses
        if responses is not None:
            yield _counter(
                "response_cache_replays",
                "Answers replayed without execution.",
                responses.replays,
            )
            yield _counter(
                "response_cache_refusals",
                "Kept answers found changed (an event touched an entry), so executed again.",
                responses.refusals,
            )
            yield _gauge("response_cache_entries", "Answers kept.", len(responses))
            yield _gauge("response_cache_bytes", "Bytes of the answers kept.", responses.bytes)
        reads = parts.reads
        if reads is not None:
            yield _gauge(
                "field_cache_fills_in_flight",
                "Field-cache keys being filled by this process now.",
                reads.in_flight,
            )
        cache = parts.cache
        if isinstance(cache, FallbackFieldCache):
            yield _gauge(
                "field_cache_fallback",
                "1 while Redis is down and the field cache answers from process memory.",
                1.0 if cache.degraded else 0.0,
            )
            yield _gauge(
                "field_cache_fallback_entries",
                "Entries of the in-process fallback used while Redis is down.",
                cache.fallback_entries,
            )
            yield _counter(
                "field_cache_outages", "Times Redis was found down.", cache.health.outages
            )
        feed = parts.feed
        if feed is not None:
            yield _gauge(
                "change_feed_connected",
                "1 while the change feed the subscriptions follow is connected.",
                1.0 if feed_connected(feed) else 0.0,
            )
            if isinstance(feed, RedisFeed):
                yield _counter(
                    "change_feed_gaps",
                    "Resubscriptions to the change feed after it was lost.",
                    feed.gaps,
                )
        search = parts.search
        if search is not None:
            states = GaugeMetricFamily(
                "fedora_gateway_search_index_state",
                "1 for the search index's state: ready, or answering by koji's name prefixes "
                "while building, after a failed build or with no build asked (empty).",
                labels=["state"],
            )
            current = search.state
            for state in SEARCH_STATES:
                states.add_metric([state], 1.0 if state == current else 0.0)
            yield states


def feed_connected(feed: ChangeFeed) -> bool:
    """Whether ``feed`` delivers changes now (a Redis feed: holds its subscription)."""
    if isinstance(feed, RedisFeed):
        return feed.connected.is_set()
    return True  # in process: nothing to lose


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"fedora_gateway_{name}", documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"fedora_gateway_{name}", documentation, value=value)
