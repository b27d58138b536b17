"""Package search on Elasticsearch: the production :class:`~gateway.search.port.SearchIndex`.

Searches and writes go through an alias (``packages``, say) that points at one
versioned index (``packages-v3``). ``reindex`` builds the next version beside it, with
no replicas and no refreshes while it loads, then moves the alias in one
``_aliases`` call and deletes the old index: a search sees the old index or the new
one, never a half-built one, and a failed rebuild leaves the old one serving. What
is indexed and how it is asked is in :mod:`gateway.search.elastic_schema` and
:mod:`gateway.search.elastic_query`.

Failures raise the clients' error tree, so the GraphQL layer reports them like any
other upstream's (``upstream`` is ``"elasticsearch"``)::

    UpstreamError
     +-- UpstreamUnavailable
     |    +-- SearchUnavailableError   no answer: connection refused, timeout, TLS
     |                                 failure, 5xx or 429 after the client's retries
     +-- SearchRequestError            Elasticsearch refused a request (4xx): the
     |                                 alias is missing, a document was rejected
     +-- UpstreamBadResponse           an answer of an unexpected shape

Writes made while a rebuild runs go to the live index, and are also kept and replayed
onto the new one after its load and before the swap, so they survive it. That covers
writes through the same :class:`ElasticsearchIndex`; a write from another process during
a rebuild (the worker while ``fedora-gateway reindex`` runs) is overwritten by the
rebuild's state of that package until the package's next event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterator, Sequence
from typing import Any

from elastic_transport import BaseNode, SerializationError, TransportError
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError
from elasticsearch.helpers import BulkIndexError, async_bulk, async_scan, async_streaming_bulk

from clients.errors import UpstreamBadResponse, UpstreamError, UpstreamUnavailable
from gateway.search.elastic_query import normalize_query, read_result, search_body
from gateway.search.elastic_schema import (
    document_from_source,
    index_mappings,
    index_settings,
    source_from_document,
)
from gateway.search.port import PackageDocument, RebuildReport, SearchResult

__all__ = ["ElasticsearchIndex", "SearchRequestError", "SearchUnavailableError"]

log = logging.getLogger(__name__)

UPSTREAM = "elasticsearch"
#: ``("upsert", documents)`` and ``("remove", names)``, in the order they were made.
_Journal = list[tuple[str, Sequence[Any]]]
#: Documents per ``_bulk`` request during a rebuild.
BULK_CHUNK = 500


class SearchUnavailableError(UpstreamUnavailable):
    """Elasticsearch gave no usable answer: down, unreachable, too slow, 5xx or 429."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message, upstream=UPSTREAM, url=url, status=status)


class SearchRequestError(UpstreamError):
    """Elasticsearch refused a request (a 4xx other than 429): retrying will not help."""

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None):
        super().__init__(message, upstream=UPSTREAM, url=url, status=status)


class ElasticsearchIndex:
    """A :class:`~gateway.search.port.SearchIndex` on an Elasticsearch 8 (or 9) cluster.

    Args:
        url: the cluster, with scheme and port (``http://127.0.0.1:9200``); user and
            password may be in it.
        alias: the name searches use; indexes are named ``<alias>-v<N>``.
        replicas: replicas of the live index (none while a rebuild loads).
        request_timeout: seconds a search, a lookup or an event's write may take, per
            attempt; a GraphQL request waits on it, so it is short.
        admin_timeout: seconds for the calls of a rebuild (creating an index, a bulk
            chunk, a refresh, a scroll), which a busy cluster answers slowly.
        node_class: the elastic-transport node that speaks HTTP; tests pass one that
            answers in process.
    """

    def __init__(
        self,
        url: str,
        *,
        alias: str,
        replicas: int = 1,
        request_timeout: float = 10.0,
        admin_timeout: float = 120.0,
        node_class: type[BaseNode] | None = None,
    ) -> None:
        self.alias = alias
        self.replicas = replicas
        options: dict[str, Any] = {"request_timeout": request_timeout, "max_retries": 2}
        if node_class is not None:
            options["node_class"] = node_class
        # no I/O here: the client connects on its first request
        self._client = AsyncElasticsearch(url, **options)
        # the same connections, with the patience a rebuild needs
        self._admin = self._client.options(request_timeout=admin_timeout)
        # writes made while a rebuild loads, to replay onto the new index before the swap
        self._journal: _Journal | None = None
        self._writes = asyncio.Lock()
        self._rebuilding = asyncio.Lock()
        self._version = re.compile(rf"^{re.escape(alias)}-v(\d+)$")

    async def start(self) -> None:
        """Create the first index behind the alias, unless the alias already exists.

        The first index is always ``-v1`` so that two gateways starting at once on an
        empty cluster race on one name: one creates it, the other is told it exists
        and finds the alias. Only when ``-v1`` is a leftover without the alias is the
        next free version taken.
        """
        with self._failures("start"):
            if await self._alias_exists():
                return
            try:
                await self._create(f"{self.alias}-v1", with_alias=True)
            except ApiError as error:
                if _error_type(error) != "resource_already_exists_exception":
                    raise
                if await self._alias_exists():
                    return
                await self._create(await self._next_index(), with_alias=True)

    async def close(self) -> None:
        await self._client.close()

    async def search(
        self, text: str, *, limit: int = 20, offset: int = 0, release: str | None = None
    ) -> SearchResult:
        query = normalize_query(text)
        if not query:
            return SearchResult(hits=[], total=0)
        body = search_body(query, limit=limit, offset=offset, release=release)
        with self._failures("search"):
            answer = await self._client.search(index=self.alias, body=body)
        with self._bad_response():
            return read_result(answer.body)

    async def upsert(self, documents: Sequence[PackageDocument]) -> None:
        """Index ``documents`` through the alias and wait until a search can see them."""
        if not documents:
            return
        actions = [
            {"_index": self.alias, "_id": doc.name, "_source": source_from_document(doc)}
            for doc in documents
        ]
        async with self._writes:
            with self._failures("upsert"):
                # require_alias: if the alias vanished, fail rather than auto-create a
                # concrete index of that name with a guessed mapping
                await async_bulk(
                    self._client, actions, refresh="wait_for", require_alias=True, max_retries=2
                )
            if self._journal is not None:
                self._journal.append(("upsert", list(documents)))

    async def remove(self, names: Sequence[str]) -> None:
        """Delete ``names`` through the alias; a name not in the index is not an error."""
        if not names:
            return
        async with self._writes:
            await self._delete(self._client, self.alias, names, refresh="wait_for")
            if self._journal is not None:
                self._journal.append(("remove", list(names)))

    async def _delete(
        self, client: AsyncElasticsearch, target: str, names: Sequence[str], **options: Any
    ) -> None:
        actions = [{"_op_type": "delete", "_index": target, "_id": name} for name in names]
        refused: list[dict[str, Any]] = []
        with self._failures("remove"):
            async for ok, item in async_streaming_bulk(
                client, actions, raise_on_error=False, require_alias=target == self.alias, **options
            ):
                result = item.get("delete", {})
                # an unknown id answers 404 with result "not_found" and no error
                if not ok and "error" in result:
                    refused.append(result)
        if refused:
            raise _bulk_error("remove", refused)

    async def get(self, name: str) -> PackageDocument | None:
        if not name:
            return None  # the client refuses an empty id before asking
        with self._failures("get"):
            try:
                answer = await self._client.get(index=self.alias, id=name)
            except NotFoundError as error:
                if isinstance(error.body, dict) and error.body.get("found") is False:
                    return None
                raise
        with self._bad_response():
            return document_from_source(answer.body["_source"])

    async def count(self) -> int:
        with self._failures("count"):
            answer = await self._client.count(index=self.alias)
        with self._bad_response():
            return int(answer.body["count"])

    async def rebuild(self, documents: AsyncIterable[PackageDocument]) -> RebuildReport:
        """Load ``documents`` into a new versioned index, then swap the alias onto it.

        ``removed`` names the packages the old index had and the new one has not.
        """
        async with self._rebuilding:
            return await self._rebuild(documents)

    async def _rebuild(self, documents: AsyncIterable[PackageDocument]) -> RebuildReport:
        started = time.perf_counter()
        loaded: set[str] = set()
        with self._failures("rebuild"):
            index = await self._next_index()
            await self._create(index, with_alias=False, loading=True)
            journal: _Journal = []
            self._journal = journal
            try:
                await async_bulk(
                    self._admin,
                    _index_actions(index, documents, loaded),
                    chunk_size=BULK_CHUNK,
                    max_retries=3,
                )
                removed = await self._missing_from(loaded)
                async with self._writes:  # writes wait from the replay to the swap
                    await self._replay(index, journal)
                    await self._admin.indices.put_settings(
                        index=index,
                        # null restores the default refresh interval
                        settings={
                            "index": {"number_of_replicas": self.replicas, "refresh_interval": None}
                        },
                    )
                    await self._admin.indices.refresh(index=index)
                    old = await self._swap(index)
            except BaseException:
                await self._discard(index)
                raise
            finally:
                self._journal = None
        if old:
            await self._delete_quietly(old, "the replaced search index")
        seconds = time.perf_counter() - started
        log.info("search index %s is live: %d packages in %.1fs", index, len(loaded), seconds)
        return RebuildReport(
            documents=len(loaded), seconds=seconds, index=index, removed=tuple(sorted(removed))
        )

    async def _replay(self, index: str, journal: _Journal) -> None:
        """Apply to the new ``index``, in order, the writes made while it loaded."""
        for kind, items in journal:
            if kind == "upsert":
                actions = [
                    {"_index": index, "_id": doc.name, "_source": source_from_document(doc)}
                    for doc in items
                ]
                await async_bulk(self._admin, actions, max_retries=3)
            else:
                await self._delete(self._admin, index, items)

    async def _swap(self, index: str) -> list[str]:
        """Point the alias at ``index`` alone in one atomic call; return the indexes it left.

        ``must_exist`` makes the whole call fail, changing nothing, if another process
        moved the alias since it was read.
        """
        old = await self._live_indexes()
        removals = [
            {"remove": {"index": name, "alias": self.alias, "must_exist": True}} for name in old
        ]
        await self._admin.indices.update_aliases(
            actions=[*removals, {"add": {"index": index, "alias": self.alias}}]
        )
        return old

    # -- index bookkeeping ---------------------------------------------------------

    async def _alias_exists(self) -> bool:
        return bool(await self._client.indices.exists_alias(name=self.alias))

    async def _live_indexes(self) -> list[str]:
        """The indexes the alias points at (one, but for an operator's hand)."""
        try:
            answer = await self._client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(answer.body)

    async def _next_index(self) -> str:
        """``<alias>-v<N>`` with N one past every existing version, live or leftover."""
        answer = await self._admin.indices.get_alias(
            index=f"{self.alias}-v*", expand_wildcards="all"
        )
        versions = [int(m.group(1)) for name in answer.body if (m := self._version.match(name))]
        return f"{self.alias}-v{max(versions, default=0) + 1}"

    async def _create(self, index: str, *, with_alias: bool, loading: bool = False) -> None:
        settings = (
            index_settings(replicas=0, refresh_interval="-1")
            if loading
            else index_settings(replicas=self.replicas)
        )
        await self._admin.indices.create(
            index=index,
            settings=settings,
            mappings=index_mappings(),
            aliases={self.alias: {}} if with_alias else None,
        )

    async def _missing_from(self, names: set[str]) -> set[str]:
        """Packages of the live index that are not in ``names``."""
        if not await self._alias_exists():
            return set()
        missing: set[str] = set()
        async for hit in async_scan(
            self._admin, index=self.alias, query={"query": {"match_all": {}}, "_source": False}
        ):
            if hit["_id"] not in names:
                missing.add(hit["_id"])
        return missing

    async def _discard(self, index: str) -> None:
        """Delete a half-built index; the failure that stopped the build is what matters."""
        await self._delete_quietly([index], "the unfinished search index")

    async def _delete_quietly(self, indexes: list[str], what: str) -> None:
        """Delete ``indexes``, logging a failure: a leftover costs disk, not correctness.

        A leftover's version number is skipped by :meth:`_next_index`; delete it by hand.
        """
        try:
            await self._admin.indices.delete(index=",".join(indexes))
        except (ApiError, TransportError) as error:
            log.warning("could not delete %s %s: %s", what, ", ".join(indexes), error)

    # -- errors --------------------------------------------------------------------

    @contextlib.contextmanager
    def _failures(self, doing: str) -> Iterator[None]:
        """Turn the client's exceptions into the error tree (see the module docstring)."""
        try:
            yield
        except SerializationError as error:
            raise UpstreamBadResponse(f"{doing}: {error.message}", upstream=UPSTREAM) from error
        except BulkIndexError as error:
            refused = [next(iter(item.values())) for item in error.errors]
            raise _bulk_error(doing, refused) from error
        except ApiError as error:
            status = error.meta.status
            message = f"{doing}: {error.message}"
            if status == 429 or status >= 500:
                raise SearchUnavailableError(message, status=status) from error
            raise SearchRequestError(message, status=status) from error
        except TransportError as error:
            raise SearchUnavailableError(f"{doing}: {error.message}") from error

    @contextlib.contextmanager
    def _bad_response(self) -> Iterator[None]:
        try:
            yield
        except (KeyError, TypeError, ValueError) as error:
            raise UpstreamBadResponse(f"unexpected answer: {error!r}", upstream=UPSTREAM) from error


async def _index_actions(
    index: str, documents: AsyncIterable[PackageDocument], loaded: set[str]
) -> AsyncIterator[dict[str, Any]]:
    async for doc in documents:
        loaded.add(doc.name)
        yield {"_index": index, "_id": doc.name, "_source": source_from_document(doc)}


def _error_type(error: ApiError) -> str | None:
    body = error.body
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        kind = body["error"].get("type")
        return str(kind) if kind is not None else None
    return None


def _bulk_error(doing: str, refused: Sequence[dict[str, Any]]) -> UpstreamError:
    """One error for the bulk items Elasticsearch refused: unavailable if any was 429 or 5xx.

    ``refused`` are the items' results (``{"_id": ..., "status": ..., "error": ...}``).
    """
    statuses = [int(result.get("status", 500)) for result in refused]
    error = refused[0].get("error", {}) if refused else {}
    reason = error.get("reason", error) if isinstance(error, dict) else error
    message = f"{doing}: {len(refused)} document(s) refused, the first because {reason}"
    if any(status == 429 or status >= 500 for status in statuses):
        return SearchUnavailableError(message, status=max(statuses))
    return SearchRequestError(message, status=statuses[0] if statuses else None)
