"""Request limits: what one request, one operation and one client may ask of the gateway.

- :mod:`~gateway.limits.body` — HTTP: POST bodies are JSON, within a size;
- :mod:`~gateway.limits.document` — documents: tokens, depth, aliases, directives,
  introspection, suggestions; parsed and validated once per process;
- :mod:`~gateway.limits.shape` — the depth, aliases and directives of an operation;
- :mod:`~gateway.limits.cost` — what an operation costs, before it runs;
- :mod:`~gateway.limits.extension` — the schema extension holding every operation (HTTP
  and WebSocket) to the document limits and the maximum cost;
- :mod:`~gateway.limits.rate` — per-client token buckets charged by cost;
- :mod:`~gateway.limits.persisted` — automatic persisted queries and the safelist;
- :mod:`~gateway.limits.stores` — the Redis or in-process state of the last two;
- :mod:`~gateway.limits.refusal` — the JSON answer to a refused HTTP request.

The HTTP view (:mod:`gateway.view`) adds the rest: batches up to a length, GET for
queries only, an execution timeout, and rate limiting of replayed answers too. Every
refusal carries a stable ``extensions.code`` (listed in :mod:`gateway.errors`).
"""

from __future__ import annotations

from gateway.limits.body import BodyLimit
from gateway.limits.document import DocumentLimits, Documents
from gateway.limits.extension import LimitsExtension
from gateway.limits.stores import LimitStores, open_stores

__all__ = [
    "BodyLimit",
    "DocumentLimits",
    "Documents",
    "LimitStores",
    "LimitsExtension",
    "open_stores",
]
