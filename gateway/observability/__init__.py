"""What a running gateway or worker tells its operators: metrics, readiness, request logs.

- :mod:`~gateway.observability.metrics`: the Prometheus metrics of one process, in a
  registry of its own (``GET /metrics``);
- :mod:`~gateway.observability.bus`: the worker's metrics (messages, lag, refills) and
  its ``/metrics`` listener;
- :mod:`~gateway.observability.collectors`: gauges and counters read from the live parts
  at scrape time (subscriptions, kept answers, search, change feed);
- :mod:`~gateway.observability.readiness`: ``GET /readyz``;
- :mod:`~gateway.observability.requests`: request ids and the one log line per request;
- :mod:`~gateway.observability.logs`: the log format (text or JSON) and the request-id filter.

Nothing here does I/O at import; the registries are made per app (or per worker).
"""
