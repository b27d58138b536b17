"""Persisted documents: Apollo's automatic persisted queries, and a safelist.

**Automatic persisted queries** (APQ, Apollo's protocol). A client sends the SHA-256 of
its document instead of the document, in ``extensions.persistedQuery = {"version": 1,
"sha256Hash": "…"}`` — in the JSON body, or over GET as the ``extensions`` parameter, which
makes a query a short, CDN-cacheable URL. A hash the gateway does not know is answered
with the error ``PersistedQueryNotFound`` (``extensions.code`` ``PERSISTED_QUERY_NOT_FOUND``);
the client then sends the document with its hash, the gateway checks that the hash is the
document's (else ``400``, ``PERSISTED_QUERY_HASH_MISMATCH``), keeps it, and runs it. Kept
documents live in Redis with ``GATEWAY_REDIS_URL`` (each for ``GATEWAY_APQ_TTL_S`` after
its last use), else in process memory within ``GATEWAY_APQ_BYTES`` (least recently used
out).

**The safelist** (``GATEWAY_PERSISTED_DOCUMENTS``): a JSON file of the documents a
production frontend sends, either ``{"<sha256>": "<document>", …}`` or Apollo's persisted
query manifest (``{"format": "apollo-persisted-query-manifest", "operations": [{"id",
"body", …}]}``); every key must be the SHA-256 of its document. Its documents are always
known by hash. With ``GATEWAY_PERSISTED_DOCUMENTS_ONLY`` nothing else runs: an unknown
hash is not found, and any other document is refused with ``QUERY_NOT_IN_SAFELIST``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import orjson
from graphql import GraphQLError
from redis.asyncio import Redis
from redis.exceptions import RedisError
from strawberry.http import GraphQLRequestData

from gateway.errors import (
    BAD_REQUEST,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_NOT_FOUND,
    QUERY_NOT_IN_SAFELIST,
)
from gateway.limits.refusal import Refusal, coded

__all__ = [
    "DocumentStore",
    "MemoryDocuments",
    "PersistedQueries",
    "RedisDocuments",
    "digest",
    "load_safelist",
]

log = logging.getLogger(__name__)

#: The version of Apollo's persisted query protocol spoken.
VERSION = 1
#: Bytes counted per kept document besides the document.
_OVERHEAD = 128
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MANIFEST = "apollo-persisted-query-manifest"


def digest(document: str) -> str:
    """The hash a document is persisted under: its SHA-256, in lower-case hex."""
    return hashlib.sha256(document.encode()).hexdigest()


class DocumentStore(Protocol):
    """Documents kept by hash, for automatic persisted queries."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, document: str) -> None: ...


class MemoryDocuments:
    """Documents in process memory within a byte budget, least recently used out."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, key: str) -> str | None:
        document = self._documents.get(key)
        if document is not None:
            self._documents.move_to_end(key)
        return document

    async def put(self, key: str, document: str) -> None:
        size = _size(key, document)
        if key in self._documents or size > self.max_bytes:
            return
        self._documents[key] = document
        self.bytes += size
        while self.bytes > self.max_bytes:
            old_key, old = self._documents.popitem(last=False)
            self.bytes -= _size(old_key, old)


def _size(key: str, document: str) -> int:
    return len(key) + len(document.encode()) + _OVERHEAD


class RedisDocuments:
    """Documents in Redis, shared by every gateway process, each kept ``ttl_s`` after its
    last use (so Redis run with ``volatile-*`` eviction may also drop them)."""

    def __init__(self, client: Redis, *, ttl_s: float, prefix: str = "fedora-gateway:apq:") -> None:
        self.client = client
        self.ttl_ms = max(1, round(ttl_s * 1000))
        self.prefix = prefix

    async def get(self, key: str) -> str | None:
        try:
            value = await self.client.getex(self.prefix + key, px=self.ttl_ms)
        except (RedisError, OSError):
            log.warning("persisted queries in Redis cannot be read; asking for the document")
            return None
        if isinstance(value, bytes):
            return value.decode()
        return value if isinstance(value, str) else None

    async def put(self, key: str, document: str) -> None:
        try:
            await self.client.set(self.prefix + key, document.encode(), px=self.ttl_ms)
        except (RedisError, OSError):
            log.warning("a persisted query cannot be kept in Redis; it is run all the same")


def load_safelist(path: Path) -> dict[str, str]:
    """The documents of a safelist file by hash; raises ``ValueError`` for a bad file."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ValueError(f"cannot read the persisted documents {path}: {error}") from error
    entries: object = data
    if isinstance(data, dict) and data.get("format") == _MANIFEST:
        operations = data.get("operations")
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise ValueError(f"{path}: a manifest's operations must be a list of objects")
        entries = {operation.get("id"): operation.get("body") for operation in operations}
    if not isinstance(entries, dict):
        raise ValueError(f"{path} must map each document's SHA-256 to the document")
    safelist: dict[str, str] = {}
    for key, document in entries.items():
        if not isinstance(key, str) or not isinstance(document, str):
            raise ValueError(f"{path}: {key!r} must name a document (a string)")
        if key.lower() != digest(document):
            raise ValueError(f"{path}: {key} is not the SHA-256 of its document")
        safelist[key.lower()] = document
    return safelist


class PersistedQueries:
    """Turns a request naming a document by hash into the request with the document.

    ``store`` keeps the documents clients register (``None``: automatic persisted queries
    off); ``safelist`` maps hashes to the documents always known; with ``only``, nothing
    but the safelist runs.
    """

    def __init__(
        self,
        store: DocumentStore | None,
        safelist: Mapping[str, str] | None = None,
        *,
        only: bool = False,
    ) -> None:
        self.store = store
        self.safelist = dict(safelist or {})
        self.only = only

    async def resolve(self, data: GraphQLRequestData) -> GraphQLRequestData | GraphQLError:
        """``data`` with its document, or the error to answer instead.

        Raises :class:`~gateway.limits.refusal.Refusal` (400) for a malformed
        ``persistedQuery`` or a hash that is not the document's.
        """
        persisted = (data.extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.only and data.query is not None and digest(data.query) not in self.safelist:
                return _not_in_safelist()
            return data
        key = _key(persisted)
        if data.query is None:
            document = self.safelist.get(key)
            if document is None and self.store is not None and not self.only:
                document = await self.store.get(key)
            if document is None:
                return coded(PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return dataclasses.replace(data, query=document)
        if digest(data.query) != key:
            raise Refusal(400, PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query")
        if key in self.safelist:
            return data
        if self.only:
            return _not_in_safelist()
        if self.store is not None:
            await self.store.put(key, data.query)
        return data


def _key(persisted: object) -> str:
    if not isinstance(persisted, dict):
        raise Refusal(400, BAD_REQUEST, "extensions.persistedQuery must be an object")
    if persisted.get("version") != VERSION:
        raise Refusal(400, BAD_REQUEST, "Unsupported persisted query version")
    key = persisted.get("sha256Hash")
    if not isinstance(key, str) or not _SHA256.fullmatch(key.lower()):
        raise Refusal(400, BAD_REQUEST, "extensions.persistedQuery.sha256Hash must be a SHA-256")
    return key.lower()


def _not_in_safelist() -> GraphQLError:
    return coded(QUERY_NOT_IN_SAFELIST, "Only persisted documents may run on this gateway")
