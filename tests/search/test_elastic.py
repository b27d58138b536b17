"""The Elasticsearch adapter, against a fake cluster at the transport.

``FakeElasticsearch`` answers the REST calls the adapter makes (indexes, aliases,
``_bulk``, ``_doc``, ``_count``, ``_refresh``, scrolls) the way Elasticsearch documents
them, keeping indexes, aliases and documents in memory and recording every request. It
is not a search engine: a ``_search`` returns the answer the test queued, so these
tests check the request the adapter builds and how it reads the answer, not ranking.
Ranking is the contract suite's job, against a real server.

Only :func:`test_a_real_server_agrees_with_the_fake` needs a server
(``GATEWAY_ELASTICSEARCH_URL``): it checks the assumptions the fake and the analyzer
model below make.
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
import os
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
import pytest
from elastic_transport import (
    ApiResponseMeta,
    BaseAsyncNode,
    ConnectionError,
    HttpHeaders,
    NodeConfig,
)
from elastic_transport._node import NodeApiResponse

from clients.errors import UpstreamBadResponse, UpstreamError, UpstreamUnavailable
from gateway.errors import UPSTREAM_ERROR, UPSTREAM_UNAVAILABLE, upstream_code
from gateway.search.elastic import ElasticsearchIndex, SearchRequestError, SearchUnavailableError
from gateway.search.elastic_query import MAX_QUERY_CHARS, TIERS, search_body
from gateway.search.elastic_schema import (
    WHOLE_PREFIX_MAX,
    index_mappings,
    index_settings,
    name_key,
    source_from_document,
)
from gateway.search.port import Match, PackageDocument, SearchHit

ALIAS = "packages"

REQUESTS = PackageDocument(
    name="python-requests",
    summary="HTTP library, written in Python, for human beings",
    description="Requests is an HTTP library for Python.",
    subpackages=("python3-requests", "python3-requests+socks"),
    releases=("rawhide", "f45"),
    maintainers=("alice", "bob"),
)
GTK = PackageDocument(name="gtk+", summary="The GIMP toolkit", releases=("rawhide",))
VIM = PackageDocument(name="vim", subpackages=("vim-enhanced", "xxd"), releases=("f45",))


# -- the fake cluster --------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Index:
    body: dict[str, Any]
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    refreshed: bool = False


class Answer(Exception):  # noqa: N818 -- a control-flow signal, not an error
    def __init__(self, status: int, body: Any = None) -> None:
        self.status, self.body = status, body


def es_error(status: int, kind: str, reason: str) -> Answer:
    """An error answer in Elasticsearch's shape."""
    cause = {"type": kind, "reason": reason}
    return Answer(status, {"error": {"root_cause": [cause], **cause}, "status": status})


class FakeElasticsearch:
    """An Elasticsearch cluster's index, alias and document APIs, in memory."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.indexes: dict[str, Index] = {}
        self.aliases: dict[str, set[str]] = {}
        #: answers of the coming non-scroll ``_search`` calls, in order
        self.search_answers: list[dict[str, Any]] = []
        #: ``"METHOD /path"`` -> the error status and type to answer it with
        self.errors: dict[str, tuple[int, str]] = {}
        #: document ids whose bulk item is refused, with the status and type
        self.refuse: dict[str, tuple[int, str]] = {}
        self.unreachable = False
        #: called with each request before it is answered (to act as another client)
        self.before: Callable[[Request], None] | None = None

    def node_class(self) -> type[BaseAsyncNode]:
        cluster = self

        class FakeNode(BaseAsyncNode):
            _CLIENT_META_HTTP_CLIENT = ("fake", "0")

            async def perform_request(  # type: ignore[override]
                self,
                method: str,
                target: str,
                body: bytes | None = None,
                headers: HttpHeaders | None = None,
                request_timeout: object = None,
            ) -> NodeApiResponse:
                return cluster.respond(self.config, method, target, body, headers)

            async def close(self) -> None:  # type: ignore[override]
                pass

        return FakeNode

    def lines(self, *, skip: Iterable[str] = ()) -> list[str]:
        return [r.line for r in self.requests if r.method not in skip]

    def respond(
        self,
        node: NodeConfig,
        method: str,
        target: str,
        raw: bytes | None,
        headers: HttpHeaders | None,
    ) -> NodeApiResponse:
        if self.unreachable:
            raise ConnectionError("Connection refused")
        url = urlsplit(target)
        path = unquote(url.path)
        body: Any = None
        if raw:
            text = raw.decode()
            is_bulk = path.endswith("_bulk")
            body = (
                [orjson.loads(x) for x in text.splitlines() if x] if is_bulk else orjson.loads(text)
            )
        request = Request(method, path, dict(parse_qsl(url.query)), body, dict(headers or {}))
        self.requests.append(request)
        if self.before is not None:
            self.before(request)
        try:
            if request.line in self.errors:
                status, kind = self.errors[request.line]
                raise es_error(status, kind, f"{kind} (injected)")
            status, answer = 200, self.route(request)
        except Answer as given:
            status, answer = given.status, given.body
        meta = ApiResponseMeta(
            status=status,
            http_version="1.1",
            headers=HttpHeaders(
                {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
            ),
            duration=0.0,
            node=node,
        )
        data = b"" if method == "HEAD" or answer is None else orjson.dumps(answer)
        return NodeApiResponse(meta, data)

    # -- routing ---------------------------------------------------------------------

    def route(self, r: Request) -> Any:
        parts = [p for p in r.path.split("/") if p]
        match r.method, parts:
            case "HEAD", ["_alias", name]:
                if name not in self.aliases:
                    raise Answer(404)
                return None
            case "GET", ["_alias", name]:
                if name not in self.aliases:
                    raise Answer(404, {"error": f"alias [{name}] missing", "status": 404})
                return {i: {"aliases": {name: {}}} for i in sorted(self.aliases[name])}
            case "GET", [pattern, "_alias"]:
                return {
                    i: {"aliases": {a: {} for a, on in self.aliases.items() if i in on}}
                    for i in self.indexes
                    if any(fnmatch.fnmatchcase(i, p) for p in pattern.split(","))
                }
            case (("PUT" | "POST"), ["_bulk"]):
                return self.bulk(r.body, require_alias=r.params.get("require_alias") == "true")
            case "PUT", [name]:
                return self.create(name, r.body)
            case "PUT", [name, "_settings"]:
                index = self.index(name)
                settings = index.body.setdefault("settings", {}).setdefault("index", {})
                for key, value in r.body["index"].items():
                    if value is None:
                        settings.pop(key, None)
                    else:
                        settings[key] = value
                return {"acknowledged": True}
            case "POST", [name, "_refresh"]:
                self.index(name).refreshed = True
                return {"_shards": {"total": 1, "successful": 1, "failed": 0}}
            case "POST", ["_aliases"]:
                return self.update_aliases(r.body["actions"])
            case "DELETE", ["_search", "scroll"]:
                return {"succeeded": True, "num_freed": 1}
            case "DELETE", [names]:
                doomed = names.split(",")
                for name in doomed:
                    self.index(name)
                for name in doomed:
                    del self.indexes[name]
                    for on in self.aliases.values():
                        on.discard(name)
                self.aliases = {a: on for a, on in self.aliases.items() if on}
                return {"acknowledged": True}
            case "GET", [target, "_doc", doc_id]:
                name = self.resolve(target)
                source = self.indexes[name].docs.get(doc_id)
                if source is None:
                    raise Answer(404, {"_index": name, "_id": doc_id, "found": False})
                return {
                    "_index": name,
                    "_id": doc_id,
                    "_version": 1,
                    "found": True,
                    "_source": source,
                }
            case (("GET" | "POST"), [target, "_count"]):
                return {"count": len(self.indexes[self.resolve(target)].docs)}
            case "POST", [target, "_search"] if "scroll" in r.params:
                name = self.resolve(target)
                hits = [{"_index": name, "_id": i, "_score": None} for i in self.indexes[name].docs]
                return self.page(hits, scroll_id="scroll-1")
            case "POST", ["_search", "scroll"]:
                return self.page([], scroll_id="scroll-1")
            case "POST", [target, "_search"]:
                self.resolve(target)
                return self.search_answers.pop(0)
        raise es_error(400, "illegal_argument_exception", f"no fake for {r.line}")

    def page(self, hits: list[dict[str, Any]], *, scroll_id: str) -> dict[str, Any]:
        return {
            "_scroll_id": scroll_id,
            "took": 1,
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": hits},
        }

    def index(self, name: str) -> Index:
        if name not in self.indexes:
            raise es_error(404, "index_not_found_exception", f"no such index [{name}]")
        return self.indexes[name]

    def resolve(self, target: str) -> str:
        """The index a name means: itself, or the one index an alias points at."""
        if target in self.aliases:
            (name,) = self.aliases[target]
            return name
        self.index(target)
        return target

    def create(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name in self.indexes:
            raise es_error(400, "resource_already_exists_exception", f"index [{name}] exists")
        if name in self.aliases:
            raise es_error(400, "invalid_index_name_exception", f"[{name}] is an alias")
        assert_valid_index_body(body)
        self.indexes[name] = Index(body=copy.deepcopy(body))
        for alias in body.get("aliases") or {}:
            self.aliases.setdefault(alias, set()).add(name)
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def update_aliases(self, actions: list[dict[str, Any]]) -> dict[str, Any]:
        """All actions or none, as Elasticsearch applies them."""
        aliases = {a: set(on) for a, on in self.aliases.items()}
        for action in actions:
            ((verb, spec),) = action.items()
            self.index(spec["index"])
            on = aliases.setdefault(spec["alias"], set())
            if verb == "add":
                on.add(spec["index"])
            elif verb == "remove":
                if spec["index"] not in on and spec.get("must_exist"):
                    raise es_error(404, "aliases_not_found_exception", spec["alias"])
                on.discard(spec["index"])
            else:
                raise es_error(400, "illegal_argument_exception", verb)
        self.aliases = {a: on for a, on in aliases.items() if on}
        return {"acknowledged": True}

    def bulk(self, lines: list[dict[str, Any]], *, require_alias: bool) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        lines = list(lines)
        while lines:
            ((verb, meta),) = lines.pop(0).items()
            source = lines.pop(0) if verb == "index" else None
            items.append({verb: self.bulk_item(verb, meta, source, require_alias)})
        return {"took": 1, "errors": any("error" in i[v] for i in items for v in i), "items": items}

    def bulk_item(
        self, verb: str, meta: dict[str, Any], source: Any, require_alias: bool
    ) -> dict[str, Any]:
        target, doc_id = meta["_index"], meta["_id"]
        if require_alias and target not in self.aliases:
            reason = f"[require_alias] request flag is [true] and [{target}] is not an alias"
            return {"_index": target, "_id": doc_id, "status": 404, "error": _cause(reason)}
        if target not in self.aliases and target not in self.indexes:
            self.indexes[target] = Index(body={})  # what auto-create would do
        name = self.resolve(target)
        if doc_id in self.refuse:
            status, kind = self.refuse[doc_id]
            return {"_index": name, "_id": doc_id, "status": status, "error": _cause(kind, kind)}
        docs = self.indexes[name].docs
        if verb == "delete":
            if docs.pop(doc_id, None) is None:
                return {"_index": name, "_id": doc_id, "result": "not_found", "status": 404}
            return {"_index": name, "_id": doc_id, "result": "deleted", "status": 200}
        assert_fits_mapping(source, self.indexes[name].body["mappings"])
        result = "updated" if doc_id in docs else "created"
        docs[doc_id] = source
        return {"_index": name, "_id": doc_id, "result": result, "status": 201}


def _cause(reason: str, kind: str = "index_not_found_exception") -> dict[str, str]:
    return {"type": kind, "reason": reason}


# -- what Elasticsearch documents about an index body --------------------------------------

BUILTIN_TOKENIZERS = {"standard", "keyword", "whitespace", "letter", "classic", "simple_pattern"}
BUILTIN_FILTERS = {"lowercase", "uppercase", "asciifolding", "trim", "unique"}
# filters a normalizer may use: those that work one character at a time
NORMALIZER_FILTERS = {"lowercase", "uppercase", "asciifolding", "trim", "cjk_width", "elision"}
CHAR_GROUP_CLASSES = {"whitespace", "letter", "digit", "punctuation", "symbol"}
STEMMER_LANGUAGES = {"english", "light_english", "minimal_english", "possessive_english", "porter"}
FIELD_PARAMS = {
    "keyword": {"type", "normalizer", "fields", "doc_values", "index", "ignore_above", "store"},
    "text": {
        "type",
        "analyzer",
        "search_analyzer",
        "index_options",
        "norms",
        "fields",
        "index",
        "store",
    },
    "short": {"type", "index", "doc_values", "store", "coerce"},
    "nested": {"type", "properties", "dynamic", "include_in_parent", "include_in_root"},
}


def assert_valid_index_body(body: dict[str, Any]) -> None:
    """Check a create-index body against the structure Elasticsearch documents.

    Every analyzer, normalizer, tokenizer, filter and char filter named must be defined or
    built in; each component's parameters must be ones its type takes; each field's
    parameters must be ones its type takes; ``search_analyzer`` needs ``analyzer``.
    """
    assert set(body) <= {"settings", "mappings", "aliases"}
    index = body["settings"]["index"]
    assert set(index) <= {"number_of_shards", "number_of_replicas", "refresh_interval"}
    assert index["number_of_shards"] >= 1
    assert index["number_of_replicas"] >= 0
    assert re.fullmatch(r"-1|\d+(ms|s|m)", index.get("refresh_interval", "1s"))
    analysis = body["settings"]["analysis"]
    assert set(analysis) <= {"analyzer", "normalizer", "tokenizer", "filter", "char_filter"}
    for name, spec in analysis["char_filter"].items():
        assert spec["type"] == "pattern_replace", name
        assert set(spec) == {"type", "pattern", "replacement"}
        re.compile(spec["pattern"])
    for name, spec in analysis["tokenizer"].items():
        assert spec["type"] == "char_group", name
        assert set(spec) <= {"type", "tokenize_on_chars", "max_token_length"}
        for chars in spec["tokenize_on_chars"]:
            assert len(chars) == 1 or chars in CHAR_GROUP_CLASSES, chars
    for name, spec in analysis["filter"].items():
        kind = spec["type"]
        if kind == "edge_ngram":
            assert set(spec) <= {"type", "min_gram", "max_gram", "preserve_original"}
            assert 1 <= spec["min_gram"] <= spec["max_gram"], name
        elif kind == "stemmer":
            assert set(spec) == {"type", "language"}
            assert spec["language"] in STEMMER_LANGUAGES, name
        elif kind == "stop":
            assert set(spec) <= {"type", "stopwords", "ignore_case"}
            assert spec["stopwords"] == "_english_" or isinstance(spec["stopwords"], list)
        else:
            raise AssertionError(f"filter {name}: unchecked type {kind}")
    for name, spec in analysis["normalizer"].items():
        assert spec["type"] == "custom", name
        assert set(spec) <= {"type", "filter", "char_filter"}, name
        assert set(spec["filter"]) <= NORMALIZER_FILTERS, name
        # pattern_replace and mapping are the char filters a normalizer may use
        assert set(spec.get("char_filter", ())) <= set(analysis["char_filter"]), name
    for name, spec in analysis["analyzer"].items():
        assert spec["type"] == "custom", name
        assert "tokenizer" in spec, name
        assert set(spec) <= {"type", "tokenizer", "filter", "char_filter"}, name
        assert spec["tokenizer"] in BUILTIN_TOKENIZERS | set(analysis["tokenizer"]), name
        assert set(spec.get("filter", ())) <= BUILTIN_FILTERS | set(analysis["filter"]), name
        assert set(spec.get("char_filter", ())) <= set(analysis["char_filter"]), name
    mappings = body["mappings"]
    assert set(mappings) <= {"dynamic", "properties", "_source", "_meta"}
    assert mappings.get("dynamic", True) in (True, False, "strict", "runtime")
    for path, spec in walk_fields(mappings):
        kind = spec["type"]
        assert set(spec) <= FIELD_PARAMS[kind], (path, set(spec) - FIELD_PARAMS[kind])
        if "search_analyzer" in spec:
            assert "analyzer" in spec, f"{path}: search_analyzer without analyzer"
        for key in ("analyzer", "search_analyzer"):
            if key in spec:
                assert spec[key] in analysis["analyzer"], (path, spec[key])
        if "normalizer" in spec:
            assert spec["normalizer"] in analysis["normalizer"], path
        if kind == "text" and "index_options" in spec:
            assert spec["index_options"] in ("docs", "freqs", "positions", "offsets"), path
        for sub in spec.get("fields", {}).values():
            assert sub["type"] in ("keyword", "text"), path  # multi-fields are leaves


def walk_fields(mapping: dict[str, Any], prefix: str = "") -> Iterable[tuple[str, dict[str, Any]]]:
    """``(path, spec)`` of every field, multi-fields and nested properties included."""
    for name, spec in mapping.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, spec
        for sub, sub_spec in spec.get("fields", {}).items():
            yield f"{path}.{sub}", sub_spec
        yield from walk_fields(spec, f"{path}.")


def assert_fits_mapping(source: dict[str, Any], mapping: dict[str, Any]) -> None:
    """``dynamic: strict``: a document may hold only mapped fields."""
    properties = mapping["properties"]
    for key, value in source.items():
        assert key in properties, f"unmapped field {key}"
        if properties[key]["type"] == "nested":
            for item in value:
                assert_fits_mapping(item, properties[key])


# -- a model of the name analyzers ----------------------------------------------------------


def analyze(analyzer: str, text: str) -> list[str]:
    """What an analyzer of the index makes of ``text``, for the components names use."""
    analysis = index_settings(replicas=0)["analysis"]
    spec = analysis["analyzer"][analyzer]
    tokenizer = spec["tokenizer"]
    if tokenizer == "keyword":
        tokens = [text]
    else:
        chars = analysis["tokenizer"][tokenizer]["tokenize_on_chars"]
        separators = "".join(re.escape(c) for c in chars if len(c) == 1)
        tokens = [t for t in re.split(rf"[\s{separators}]", text) if t]
    for name in spec.get("filter", ()):
        if name == "lowercase":
            tokens = [t.lower() for t in tokens]
            continue
        edge = analysis["filter"][name]
        assert edge["type"] == "edge_ngram"
        low, high = edge["min_gram"], edge["max_gram"]
        tokens = [t[:n] for t in tokens for n in range(low, min(high, len(t)) + 1)]
    return tokens


def normalize(normalizer: str, text: str) -> str:
    """What a normalizer of the index makes of ``text``."""
    analysis = index_settings(replicas=0)["analysis"]
    spec = analysis["normalizer"][normalizer]
    for name in spec.get("char_filter", ()):
        char_filter = analysis["char_filter"][name]
        text = re.sub(char_filter["pattern"], char_filter["replacement"], text)
    assert spec["filter"] == ["lowercase"]
    return text.lower()


def field_spec(path: str) -> dict[str, Any]:
    return dict(walk_fields(index_mappings()))[path]


def matches(path: str, indexed: str, query: str, *, operator: str = "or") -> bool:
    """Whether a ``match`` query for ``query`` on field ``path`` finds ``indexed``."""
    spec = field_spec(path)
    terms = set(analyze(spec["analyzer"], indexed))
    asked = analyze(spec.get("search_analyzer", spec["analyzer"]), query)
    found = [t in terms for t in asked]
    return bool(asked) and (all(found) if operator == "and" else any(found))


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def cluster() -> FakeElasticsearch:
    return FakeElasticsearch()


@pytest.fixture
async def index(cluster: FakeElasticsearch) -> AsyncIterator[ElasticsearchIndex]:
    adapter = ElasticsearchIndex(
        "http://search.test:9200", alias=ALIAS, node_class=cluster.node_class()
    )
    yield adapter
    await adapter.close()


@pytest.fixture
async def started(index: ElasticsearchIndex, cluster: FakeElasticsearch) -> ElasticsearchIndex:
    await index.start()
    cluster.requests.clear()
    return index


async def stream(*documents: PackageDocument) -> AsyncIterator[PackageDocument]:
    for document in documents:
        yield document


def clause(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The clause of a search body named ``name``."""
    for query in body["query"]["bool"]["must"][0]["dis_max"]["queries"]:
        ((_, spec),) = query.items()
        if spec.get("_name") == name:
            return dict(query)
    raise AssertionError(f"no clause {name}")


def answer(*hits: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    """A ``_search`` answer as Elasticsearch 8 shapes it."""
    return {
        "took": 3,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(hits) if total is None else total, "relation": "eq"},
            "max_score": None,
            "hits": [{"_index": f"{ALIAS}-v1", **hit} for hit in hits],
        },
    }


def inner(clause_name: str, *subpackages: str) -> dict[str, Any]:
    """``inner_hits`` of a sub-package clause, with the doc-value field the query asks for."""
    return {
        clause_name: {
            "hits": {
                "total": {"value": len(subpackages), "relation": "eq"},
                "max_score": None,
                "hits": [
                    {
                        "_index": f"{ALIAS}-v1",
                        "_id": "x",
                        "_nested": {"field": "subpackages", "offset": i},
                        "_score": 1.0,
                        "fields": {"subpackages.name": [name]},
                    }
                    for i, name in enumerate(subpackages)
                ],
            }
        }
    }


# -- the index body ------------------------------------------------------------------------


def test_the_index_body_is_valid_as_elasticsearch_documents_it() -> None:
    assert_valid_index_body(
        {"settings": index_settings(replicas=1), "mappings": index_mappings(), "aliases": {}}
    )
    assert_valid_index_body(
        {
            "settings": index_settings(replicas=0, refresh_interval="-1"),
            "mappings": index_mappings(),
        }
    )


def test_the_settings_are_one_shard_with_the_replicas_asked_for() -> None:
    assert index_settings(replicas=2)["index"] == {"number_of_shards": 1, "number_of_replicas": 2}
    loading = index_settings(replicas=0, refresh_interval="-1")["index"]
    assert loading == {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}


def test_the_mapping_indexes_names_every_way_the_query_asks() -> None:
    fields = {path: spec["type"] for path, spec in walk_fields(index_mappings())}
    assert fields == {
        "name": "keyword",
        "name.key": "keyword",
        "name.prefix": "text",
        "name.parts": "text",
        "name.parts_prefix": "text",
        "name.words": "text",
        "name_length": "short",
        "summary": "text",
        "description": "text",
        "subpackages": "nested",
        "subpackages.name": "keyword",
        "subpackages.name.exact": "keyword",
        "subpackages.name.key": "keyword",
        "subpackages.name.prefix": "text",
        "releases": "keyword",
        "maintainers": "keyword",
    }
    assert index_mappings()["dynamic"] == "strict"
    assert field_spec("name")["normalizer"] == field_spec("subpackages.name.exact")["normalizer"]
    # the raw sub-package name is what inner hits return: not lowercased
    assert "normalizer" not in field_spec("subpackages.name")
    words = {field_spec(p)["analyzer"] for p in ("name.words", "summary", "description")}
    assert words == {"words"}, "one analyzer, so cross_fields treats them as one field"


def test_every_field_the_query_names_is_mapped() -> None:
    mapped = {path for path, _ in walk_fields(index_mappings())}
    body = search_body("python-req", limit=20, offset=0, release="f45")
    named: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("term", "match", "fuzzy") and isinstance(value, dict):
                    named.update(value)
                elif key == "fields" and isinstance(value, list):
                    named.update(f.split("^")[0] for f in value)
                elif key in ("docvalue_fields",):
                    named.update(value)
                elif key == "path":
                    named.add(value)
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(body["query"])
    sorts = {next(iter(s)) for s in body["sort"]} - {"_score"}
    assert named | sorts <= mapped, (named | sorts) - mapped
    assert {"name", "subpackages.name.exact", "name.parts", "releases"} <= named


@pytest.mark.parametrize(
    ("path", "indexed", "query", "operator", "found"),
    [
        # whole-name prefix: the query stays one term that must be a gram of the name
        ("name.prefix", "python-requests", "Python-Req", "or", True),
        ("name.prefix", "python-requests", "python-requests", "or", True),
        ("name.prefix", "python-requests", "req", "or", False),
        ("name.prefix", "python-requests", "python-requestsx", "or", False),
        ("name.prefix", "x" * (WHOLE_PREFIX_MAX + 5), "x" * (WHOLE_PREFIX_MAX + 1), "or", False),
        # prefixes of parts: every query word must start some part
        ("name.parts_prefix", "python-requests", "req", "and", True),
        ("name.parts_prefix", "python-requests", "python req", "and", True),
        ("name.parts_prefix", "python-requests", "python x", "and", False),
        ("name.parts_prefix", "rust-reqwest+default", "rust-reqw", "and", True),
        ("name.parts_prefix", "python3.14", "14", "and", True),
        ("name.parts_prefix", "libsigc++20", "sigc", "and", False),
        ("name.parts_prefix", "perl_Test_More", "more", "and", True),
        # parts, for typos
        ("name.parts", "gcc-c++", "gcc c", "and", True),
        ("name.parts", "python-requests", "requests", "and", True),
        ("subpackages.name.prefix", "python3-requests", "python3-req", "or", True),
        ("subpackages.name.prefix", "python3-requests", "requests", "or", False),
    ],
)
def test_index_and_query_analyzers_pair_up(
    path: str, indexed: str, query: str, operator: str, found: bool
) -> None:
    assert matches(path, indexed, query, operator=operator) is found


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Python requests", "python-requests"),
        ("python_requests", "python-requests"),
        ("dbus", "d-bus"),
        ("gtk", "gtk+"),
        ("GCC c++", "gcc-c++"),
        ("python3.14", "python314"),
    ],
)
def test_names_meet_their_spellings_on_the_key(query: str, name: str) -> None:
    normalizer = field_spec("name.key")["normalizer"]
    assert field_spec("subpackages.name.key")["normalizer"] == normalizer
    assert normalize(normalizer, query) == normalize(normalizer, name)
    # the key the query computes for fuzzy clauses is the normalizer's
    assert name_key(query) == normalize(normalizer, query)


def test_exact_names_only_fold_case() -> None:
    assert normalize(field_spec("name")["normalizer"], "NetworkManager") == "networkmanager"
    assert normalize(field_spec("name")["normalizer"], "gtk+") == "gtk+"


def test_a_document_keeps_everything_get_returns() -> None:
    source = source_from_document(REQUESTS)
    assert source == {
        "name": "python-requests",
        "name_length": 15,
        "summary": REQUESTS.summary,
        "description": REQUESTS.description,
        "subpackages": [{"name": "python3-requests"}, {"name": "python3-requests+socks"}],
        "releases": ["rawhide", "f45"],
        "maintainers": ["alice", "bob"],
    }
    assert_fits_mapping(source, index_mappings())


# -- start -----------------------------------------------------------------------------------


async def test_start_creates_the_first_version_behind_the_alias(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await index.start()

    assert cluster.lines() == ["HEAD /_alias/packages", "PUT /packages-v1"]
    created = cluster.requests[1].body
    assert created["aliases"] == {ALIAS: {}}
    assert created["settings"] == index_settings(replicas=1)
    assert created["mappings"] == index_mappings()
    assert cluster.aliases == {ALIAS: {"packages-v1"}}


async def test_start_leaves_an_existing_alias_alone(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.create("packages-v7", {**_body(), "aliases": {ALIAS: {}}})

    await index.start()

    assert cluster.lines() == ["HEAD /_alias/packages"]
    assert set(cluster.indexes) == {"packages-v7"}


async def test_start_after_a_leftover_first_version_takes_the_next(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.create("packages-v1", _body())  # a rebuild that died before its swap
    cluster.create("packages-v3", _body())

    await index.start()

    assert cluster.lines() == [
        "HEAD /_alias/packages",
        "PUT /packages-v1",
        "HEAD /_alias/packages",
        "GET /packages-v*/_alias",
        "PUT /packages-v4",
    ]
    assert cluster.aliases == {ALIAS: {"packages-v4"}}


async def test_two_gateways_starting_at_once_share_one_index(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    def other_gateway_wins(request: Request) -> None:
        if request.line == "PUT /packages-v1" and "packages-v1" not in cluster.indexes:
            cluster.create("packages-v1", {**_body(), "aliases": {ALIAS: {}}})

    cluster.before = other_gateway_wins

    await index.start()

    assert cluster.aliases == {ALIAS: {"packages-v1"}}
    assert set(cluster.indexes) == {"packages-v1"}


def _body() -> dict[str, Any]:
    return {"settings": index_settings(replicas=1), "mappings": index_mappings()}


# -- writes ----------------------------------------------------------------------------------


async def test_upsert_writes_through_the_alias_and_waits_for_a_refresh(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([REQUESTS, GTK])

    (bulk,) = cluster.requests
    assert bulk.path == "/_bulk"
    assert bulk.params == {"refresh": "wait_for", "require_alias": "true"}
    assert bulk.body == [
        {"index": {"_index": ALIAS, "_id": "python-requests"}},
        source_from_document(REQUESTS),
        {"index": {"_index": ALIAS, "_id": "gtk+"}},
        source_from_document(GTK),
    ]
    assert await started.get("python-requests") == REQUESTS
    assert await started.get("gtk+") == GTK
    assert cluster.requests[-1].path == "/packages/_doc/gtk+"
    assert await started.count() == 2


async def test_upsert_replaces_a_package(started: ElasticsearchIndex) -> None:
    await started.upsert([REQUESTS])
    changed = PackageDocument(name=REQUESTS.name, summary="new", releases=("f46",))

    await started.upsert([changed])

    assert await started.get(REQUESTS.name) == changed
    assert await started.count() == 1


async def test_nothing_to_write_sends_nothing(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([])
    await started.remove([])

    assert cluster.requests == []


async def test_remove_deletes_through_the_alias_and_ignores_unknown_names(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([REQUESTS, GTK])
    cluster.requests.clear()

    await started.remove(["gtk+", "never-heard-of-it"])

    (bulk,) = cluster.requests
    assert bulk.params == {"refresh": "wait_for", "require_alias": "true"}
    assert bulk.body == [
        {"delete": {"_index": ALIAS, "_id": "gtk+"}},
        {"delete": {"_index": ALIAS, "_id": "never-heard-of-it"}},
    ]
    assert await started.get("gtk+") is None
    assert await started.count() == 1


async def test_writes_without_the_alias_fail_rather_than_create_an_index(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    with pytest.raises(SearchRequestError, match="not an alias"):
        await index.upsert([REQUESTS])
    with pytest.raises(SearchRequestError, match="not an alias"):
        await index.remove(["python-requests"])

    assert cluster.indexes == {}


async def test_a_refused_document_is_an_error(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.refuse["gtk+"] = (400, "document_parsing_exception")

    with pytest.raises(SearchRequestError, match=r"1 document.*document_parsing_exception") as info:
        await started.upsert([REQUESTS, GTK])

    assert info.value.status == 400


async def test_a_document_refused_for_load_is_unavailability(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.refuse["gtk+"] = (503, "unavailable_shards_exception")

    with pytest.raises(SearchUnavailableError) as info:
        await started.remove(["gtk+"])

    assert info.value.status == 503


# -- rebuild ---------------------------------------------------------------------------------


async def test_rebuild_loads_a_new_version_then_swaps_the_alias_in_one_call(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([REQUESTS, GTK])
    cluster.requests.clear()

    report = await started.rebuild(stream(REQUESTS, VIM))

    assert cluster.lines() == [
        "GET /packages-v*/_alias",
        "PUT /packages-v2",  # beside the live v1, without the alias
        "PUT /_bulk",
        "HEAD /_alias/packages",  # which packages does the live index lose?
        "POST /packages/_search",  # a scroll over its ids
        "POST /_search/scroll",
        "DELETE /_search/scroll",
        "PUT /packages-v2/_settings",
        "POST /packages-v2/_refresh",
        "GET /_alias/packages",
        "POST /_aliases",
        "DELETE /packages-v1",
    ]
    create, bulk, *_, settings, _, _, aliases, _ = cluster.requests[1:]
    assert "aliases" not in create.body
    assert create.body["settings"] == index_settings(replicas=0, refresh_interval="-1")
    assert {line["index"]["_index"] for line in bulk.body[::2]} == {"packages-v2"}
    assert "refresh" not in bulk.params
    assert settings.body == {"index": {"number_of_replicas": 1, "refresh_interval": None}}
    assert aliases.body == {
        "actions": [
            {"remove": {"index": "packages-v1", "alias": ALIAS, "must_exist": True}},
            {"add": {"index": "packages-v2", "alias": ALIAS}},
        ]
    }
    assert cluster.aliases == {ALIAS: {"packages-v2"}}
    assert set(cluster.indexes) == {"packages-v2"}
    assert cluster.indexes["packages-v2"].refreshed
    assert cluster.indexes["packages-v2"].body["settings"]["index"]["number_of_replicas"] == 1
    assert report.documents == 2
    assert report.index == "packages-v2"
    assert report.removed == ("gtk+",)
    assert report.seconds >= 0
    assert await started.get("vim") == VIM


async def test_the_old_index_serves_until_the_swap(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([GTK])
    seen: list[tuple[int, PackageDocument | None]] = []

    async def documents() -> AsyncIterator[PackageDocument]:
        yield REQUESTS
        seen.append((await started.count(), await started.get("gtk+")))
        yield VIM

    await started.rebuild(documents())

    assert seen == [(1, GTK)]
    assert await started.count() == 2


async def test_writes_during_a_rebuild_survive_the_swap(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([GTK])
    renamed = PackageDocument(name="vim", summary="Vi IMproved, as an event said")

    async def documents() -> AsyncIterator[PackageDocument]:
        yield VIM  # the state the rebuild read
        yield REQUESTS
        await started.upsert([renamed])  # events arrive while it loads
        await started.remove(["python-requests"])
        yield PackageDocument(name="late")

    report = await started.rebuild(documents())

    replayed = [r for r in cluster.requests if r.path == "/_bulk"][-2:]
    assert [line for line in replayed[0].body if "index" in line] == [
        {"index": {"_index": "packages-v2", "_id": "vim"}}
    ]
    assert replayed[1].body == [{"delete": {"_index": "packages-v2", "_id": "python-requests"}}]
    assert cluster.aliases == {ALIAS: {"packages-v2"}}
    assert await started.get("vim") == renamed
    assert await started.get("python-requests") is None
    assert await started.get("late") == PackageDocument(name="late")
    assert report.documents == 3


async def test_a_rebuild_without_an_alias_creates_it(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    report = await index.rebuild(stream(VIM))

    assert report.index == "packages-v1"
    assert report.removed == ()
    assert cluster.aliases == {ALIAS: {"packages-v1"}}
    assert cluster.requests[-1].body == {
        "actions": [{"add": {"index": "packages-v1", "alias": ALIAS}}]
    }


async def test_a_failed_rebuild_deletes_its_index_and_leaves_the_live_one(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await started.upsert([GTK])

    async def broken() -> AsyncIterator[PackageDocument]:
        yield REQUESTS
        raise RuntimeError("mdapi went away")

    with pytest.raises(RuntimeError, match="mdapi went away"):
        await started.rebuild(broken())

    assert cluster.requests[-1].line == "DELETE /packages-v2"
    assert set(cluster.indexes) == {"packages-v1"}
    assert cluster.aliases == {ALIAS: {"packages-v1"}}
    assert await started.get("gtk+") == GTK


async def test_a_rebuild_with_a_refused_document_fails_and_swaps_nothing(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.refuse["vim"] = (400, "document_parsing_exception")

    with pytest.raises(SearchRequestError, match="document_parsing_exception"):
        await started.rebuild(stream(REQUESTS, VIM))

    assert set(cluster.indexes) == {"packages-v1"}
    assert cluster.aliases == {ALIAS: {"packages-v1"}}
    assert not any(r.path == "/_aliases" for r in cluster.requests)


async def test_a_swap_that_lost_a_race_changes_nothing(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    def someone_moves_the_alias(request: Request) -> None:
        if request.line == "POST /_aliases":
            cluster.create("packages-v9", _body())
            cluster.aliases[ALIAS] = {"packages-v9"}

    cluster.before = someone_moves_the_alias

    with pytest.raises(SearchRequestError, match="aliases_not_found_exception"):
        await started.rebuild(stream(VIM))

    assert cluster.aliases == {ALIAS: {"packages-v9"}}
    assert "packages-v2" not in cluster.indexes


async def test_versions_keep_counting_past_leftovers(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.create("packages-v5", _body())
    cluster.create("packages-vintage", _body())  # not a version of ours

    report = await started.rebuild(stream(VIM))

    assert report.index == "packages-v6"
    assert set(cluster.indexes) == {"packages-v5", "packages-v6", "packages-vintage"}


async def test_a_rebuild_survives_failing_to_delete_the_old_index(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.errors["DELETE /packages-v1"] = (403, "security_exception")

    report = await started.rebuild(stream(VIM))

    assert report.index == "packages-v2"
    assert cluster.aliases == {ALIAS: {"packages-v2"}}
    assert "packages-v1" in cluster.indexes  # a leftover, logged


# -- search: the request ---------------------------------------------------------------------


async def _searched(
    index: ElasticsearchIndex, cluster: FakeElasticsearch, text: str, **options: Any
) -> dict[str, Any]:
    cluster.search_answers.append(answer())
    await index.search(text, **options)
    request = cluster.requests[-1]
    assert request.line == "POST /packages/_search"
    assert request.params == {}
    body: dict[str, Any] = request.body
    return body


async def test_a_search_asks_every_way_a_name_can_match(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    body = await _searched(started, cluster, "Python-Req")

    assert body["from"] == 0
    assert body["size"] == 20
    assert body["sort"] == [{"_score": "desc"}, {"name_length": "asc"}, {"name": "asc"}]
    assert body["track_total_hits"] is True
    assert body["_source"] is False
    assert body["query"]["bool"]["filter"] == []
    dis_max = body["query"]["bool"]["must"][0]["dis_max"]
    assert dis_max["tie_breaker"] == 0.0
    assert [next(iter(q.values()))["_name"] for q in dis_max["queries"]] == [t[0] for t in TIERS]

    q = "python-req"
    assert clause(body, "name") == {
        "constant_score": {"filter": {"term": {"name": q}}, "boost": 1e6, "_name": "name"}
    }
    assert clause(body, "name_key") == {
        "constant_score": {
            "filter": {"term": {"name.key": "pythonreq"}},
            "boost": 9e5,
            "_name": "name_key",
        }
    }
    assert clause(body, "subpackage_key")["nested"]["query"] == {
        "constant_score": {
            "filter": {"term": {"subpackages.name.key": "pythonreq"}},
            "boost": 4.5e5,
        }
    }
    assert clause(body, "name_prefix") == {
        "constant_score": {
            "filter": {"match": {"name.prefix": q}},
            "boost": 2e5,
            "_name": "name_prefix",
        }
    }
    assert clause(body, "name_part_prefix") == {
        "constant_score": {
            "filter": {"match": {"name.parts_prefix": {"query": q, "operator": "and"}}},
            "boost": 1.5e5,
            "_name": "name_part_prefix",
        }
    }
    assert clause(body, "subpackage") == {
        "nested": {
            "path": "subpackages",
            "query": {
                "constant_score": {
                    "filter": {"term": {"subpackages.name.exact": q}},
                    "boost": 5e5,
                }
            },
            "score_mode": "max",
            "_name": "subpackage",
            "inner_hits": {
                "name": "subpackage",
                "size": 1,
                "_source": False,
                "docvalue_fields": ["subpackages.name"],
                "sort": [{"_score": "desc"}, {"subpackages.name": "asc"}],
            },
        }
    }
    assert clause(body, "subpackage_prefix")["nested"]["query"] == {
        "constant_score": {"filter": {"match": {"subpackages.name.prefix": q}}, "boost": 1.2e5}
    }


async def test_typos_are_asked_with_their_band_added_to_the_fuzzy_score(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    body = await _searched(started, cluster, "pyhton-requests")

    # on keys, so a slip of separator costs nothing
    fuzzy = {"value": "pyhtonrequests", "fuzziness": "AUTO"}
    assert clause(body, "name_fuzzy") == {
        "function_score": {
            "query": {"fuzzy": {"name.key": fuzzy}},
            "functions": [{"weight": 6e4}],
            "boost_mode": "sum",
            "_name": "name_fuzzy",
        }
    }
    assert clause(body, "subpackage_fuzzy")["nested"]["query"] == {
        "function_score": {
            "query": {"fuzzy": {"subpackages.name.key": fuzzy}},
            "functions": [{"weight": 5.5e4}],
            "boost_mode": "sum",
        }
    }
    part = clause(body, "name_part_fuzzy")["function_score"]
    assert part["query"] == {
        "match": {
            "name.parts": {"query": "pyhton-requests", "fuzziness": "AUTO", "operator": "and"}
        }
    }
    assert part["functions"] == [{"weight": 5e4}]


async def test_words_need_all_of_them_to_reach_the_text_band(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    body = await _searched(started, cluster, "  Python   HTTP library ")

    words = {
        "query": "python http library",
        "type": "cross_fields",
        "fields": ["name.words^3", "summary^2", "description"],
    }
    assert clause(body, "text") == {
        "function_score": {
            "query": {"multi_match": {**words, "operator": "and"}},
            "functions": [{"weight": 1e4}],
            "boost_mode": "sum",
            "_name": "text",
        }
    }
    assert clause(body, "text_some") == {
        "multi_match": {**words, "operator": "or", "_name": "text_some"}
    }


def test_the_bands_never_overlap() -> None:
    bases = [base for _, _, base in TIERS]
    assert bases == sorted(bases, reverse=True)
    # a band's own score (a fuzzy score, BM25) stays below the gap to the next band up
    gaps = [upper - lower for upper, lower in itertools.pairwise(bases)]
    assert min(gaps) >= 5_000
    order = [match for _, match, _ in TIERS]
    assert order == sorted(order, key=list(Match).index), "the port's order, strongest first"


async def test_a_release_is_a_filter_and_paging_is_from_and_size(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    body = await _searched(started, cluster, "vim", limit=5, offset=40, release="f45")

    assert body["query"]["bool"]["filter"] == [{"term": {"releases": "f45"}}]
    assert (body["from"], body["size"]) == (40, 5)


async def test_a_long_query_is_cut(started: ElasticsearchIndex, cluster: FakeElasticsearch) -> None:
    body = await _searched(started, cluster, "word " * 100)

    asked = clause(body, "name")["constant_score"]["filter"]["term"]["name"]
    assert len(asked) <= MAX_QUERY_CHARS
    assert asked == asked.strip()


async def test_an_empty_query_finds_nothing_without_asking(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    result = await started.search("   ")

    assert (list(result.hits), result.total) == ([], 0)
    assert cluster.requests == []


async def test_the_client_asks_for_version_8_answers(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    await _searched(started, cluster, "vim")

    assert "compatible-with=8" in cluster.requests[-1].headers["accept"]


# -- search: reading the answer --------------------------------------------------------------


async def test_hits_say_what_matched_and_which_subpackage(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.search_answers.append(
        answer(
            {
                "_id": "python-requests",
                "_score": 1e6,
                "matched_queries": ["name", "name_prefix", "name_fuzzy", "text", "text_some"],
                "sort": [1e6, 15, "python-requests"],
            },
            {
                "_id": "python_requests",
                "_score": 9e5,
                "matched_queries": ["name_key", "name_fuzzy"],
            },
            {
                "_id": "vim",
                "_score": 5e5,
                "matched_queries": ["subpackage", "subpackage_prefix", "subpackage_fuzzy"],
                "inner_hits": {
                    **inner("subpackage", "vim-enhanced"),
                    **inner("subpackage_prefix", "vim-enhanced"),
                    **inner("subpackage_fuzzy", "vim-enhanced"),
                },
            },
            {
                "_id": "python-requests3",
                "_score": 4.5e5,
                "matched_queries": ["subpackage_key"],
                "inner_hits": inner("subpackage_key", "python3_requests"),
            },
            {
                "_id": "python-requests-toolbelt",
                "_score": 2e5,
                "matched_queries": ["name_prefix", "name_part_prefix", "subpackage_prefix"],
                "inner_hits": {**inner("subpackage_prefix", "python3-requests-toolbelt")},
            },
            {
                "_id": "python-httpx",
                "_score": 1.2e5,
                "matched_queries": ["subpackage_prefix"],
                "inner_hits": {
                    **inner("subpackage_prefix", "python3-httpx"),
                    **inner("subpackage"),
                },
            },
            {"_id": "pyhton", "_score": 60_007.5, "matched_queries": ["name_fuzzy"]},
            {"_id": "requests-cache", "_score": 50_003.0, "matched_queries": ["name_part_fuzzy"]},
            {"_id": "urllib3", "_score": 10_021.5, "matched_queries": ["text", "text_some"]},
            {"_id": "curl", "_score": 4.5, "matched_queries": ["text_some"]},
            total=1234,
        )
    )

    result = await started.search("python-requests")

    assert result.total == 1234
    assert list(result.hits) == [
        SearchHit("python-requests", 1e6, Match.NAME),
        SearchHit("python_requests", 9e5, Match.NAME),
        SearchHit("vim", 5e5, Match.SUBPACKAGE, "vim-enhanced"),
        SearchHit("python-requests3", 4.5e5, Match.SUBPACKAGE, "python3_requests"),
        SearchHit("python-requests-toolbelt", 2e5, Match.PREFIX),  # its name decided
        SearchHit("python-httpx", 1.2e5, Match.PREFIX, "python3-httpx"),
        SearchHit("pyhton", 60_007.5, Match.FUZZY),
        SearchHit("requests-cache", 50_003.0, Match.FUZZY),
        SearchHit("urllib3", 10_021.5, Match.TEXT),
        SearchHit("curl", 4.5, Match.TEXT),
    ]


async def test_named_query_scores_and_sort_values_are_read_too(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.search_answers.append(
        answer(
            {
                "_id": "xxd",
                "_score": None,
                "sort": [55_001.0, 3, "xxd"],
                # the shape include_named_queries_score gives
                "matched_queries": {"subpackage_fuzzy": 55_001.0, "text_some": 2.0},
                "inner_hits": inner("subpackage_fuzzy", "xxd-libs"),
            }
        )
    )

    result = await started.search("xdd")

    assert list(result.hits) == [SearchHit("xxd", 55_001.0, Match.FUZZY, "xxd-libs")]


async def test_an_answer_of_another_shape_is_a_bad_response(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.search_answers.append(answer({"_id": "vim", "_score": 1.0}))  # no matched_queries
    with pytest.raises(UpstreamBadResponse, match="matched none"):
        await started.search("vim")

    cluster.search_answers.append({"took": 1})
    with pytest.raises(UpstreamBadResponse):
        await started.search("vim")


# -- failures --------------------------------------------------------------------------------


async def test_an_unreachable_cluster_is_unavailable_after_retries(
    index: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.unreachable = True

    for call in (index.start(), index.search("vim"), index.get("vim"), index.count()):
        with pytest.raises(SearchUnavailableError, match="Connection refused") as info:
            await call
        assert isinstance(info.value, UpstreamUnavailable)
        assert info.value.upstream == "elasticsearch"
        assert upstream_code(info.value) == UPSTREAM_UNAVAILABLE
    with pytest.raises(SearchUnavailableError):
        await index.upsert([VIM])
    with pytest.raises(SearchUnavailableError):
        await index.rebuild(stream(VIM))


async def test_a_5xx_is_unavailable_and_retried(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.errors["POST /packages/_search"] = (503, "cluster_block_exception")

    with pytest.raises(SearchUnavailableError, match="cluster_block_exception") as info:
        await started.search("vim")

    assert info.value.status == 503
    assert cluster.lines() == ["POST /packages/_search"] * 3  # two retries


async def test_a_4xx_is_a_refused_request(
    started: ElasticsearchIndex, cluster: FakeElasticsearch
) -> None:
    cluster.errors["POST /packages/_search"] = (400, "search_phase_execution_exception")

    with pytest.raises(
        SearchRequestError, match="search: search_phase_execution_exception"
    ) as info:
        await started.search("vim")

    assert info.value.status == 400
    assert not isinstance(info.value, UpstreamUnavailable)
    assert upstream_code(info.value) == UPSTREAM_ERROR
    assert cluster.lines() == ["POST /packages/_search"]  # not retried


async def test_a_missing_alias_is_a_refused_request_not_an_empty_index(
    index: ElasticsearchIndex,
) -> None:
    with pytest.raises(SearchRequestError, match="index_not_found_exception"):
        await index.count()
    with pytest.raises(SearchRequestError, match="index_not_found_exception"):
        await index.get("vim")


async def test_a_missing_document_is_none(started: ElasticsearchIndex) -> None:
    assert await started.get("vim") is None


def test_the_errors_are_upstream_errors() -> None:
    for error in (SearchRequestError("x", status=400), SearchUnavailableError("y")):
        assert isinstance(error, UpstreamError)
        assert error.upstream == "elasticsearch"


# -- over a socket ----------------------------------------------------------------------------


async def test_the_adapter_works_over_http_with_the_default_node(
    cluster: FakeElasticsearch,
) -> None:
    """The fake behind a real HTTP server, spoken to by the production aiohttp node."""
    from aiohttp import web

    node = NodeConfig(scheme="http", host="127.0.0.1", port=9200)

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        meta, body = cluster.respond(
            node, request.method, request.raw_path, raw, HttpHeaders(request.headers)
        )
        return web.Response(status=meta.status, body=body, headers=dict(meta.headers))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    adapter = ElasticsearchIndex(f"http://127.0.0.1:{port}", alias=ALIAS)
    try:
        await adapter.start()
        await adapter.upsert([GTK, REQUESTS])
        assert await adapter.get("gtk+") == GTK
        await adapter.remove(["gtk+"])
        assert await adapter.count() == 1
        report = await adapter.rebuild(stream(VIM))
        cluster.search_answers.append(
            answer({"_id": "vim", "_score": 1e6, "matched_queries": ["name"]})
        )
        result = await adapter.search("vim", release="f45")
    finally:
        await adapter.close()
        await runner.cleanup()

    assert list(result.hits) == [SearchHit("vim", 1e6, Match.NAME)]
    assert report.removed == ("python-requests",)
    assert cluster.aliases == {ALIAS: {"packages-v2"}}
    assert "/packages/_doc/gtk+" in {r.path for r in cluster.requests}
    assert cluster.requests[-1].body == search_body("vim", limit=20, offset=0, release="f45")


# -- a real server ---------------------------------------------------------------------------

SERVER = os.environ.get("GATEWAY_ELASTICSEARCH_URL")


async def _a_real_server_agrees_with_the_fake() -> None:
    """The index body is accepted, the analyzer model above is right, answers look as faked."""
    from elasticsearch import AsyncElasticsearch

    assert SERVER is not None
    alias = f"gateway-test-{uuid.uuid4().hex[:8]}"
    adapter = ElasticsearchIndex(SERVER, alias=alias, replicas=0)
    client = AsyncElasticsearch(SERVER)
    try:
        await adapter.start()
        name = f"{alias}-v1"
        for path in ("name.prefix", "name.parts_prefix", "name.parts", "subpackages.name.prefix"):
            spec = field_spec(path)
            for analyzer in {spec["analyzer"], spec.get("search_analyzer", spec["analyzer"])}:
                for text in ("Python-Requests", "gcc-c++", "python3.14", "perl_Test_More x"):
                    got = await client.indices.analyze(index=name, analyzer=analyzer, text=text)
                    assert [t["token"] for t in got["tokens"]] == analyze(analyzer, text)
        for text in ("Python requests", "gtk+", "d-bus"):
            got = await client.indices.analyze(index=name, normalizer="package_key", text=text)
            assert [t["token"] for t in got["tokens"]] == [name_key(text)]
        words = await client.indices.analyze(index=name, analyzer="words", text="python-requests")
        assert [t["token"] for t in words["tokens"]] == ["python", "request"]

        await adapter.upsert([REQUESTS, VIM])
        raw = await client.search(
            index=alias, body=search_body("vim-enh", limit=5, offset=0, release="f45")
        )
        (hit,) = raw["hits"]["hits"]
        assert hit["_id"] == "vim"
        assert set(hit["matched_queries"]) >= {"subpackage_prefix"}
        nested = hit["inner_hits"]["subpackage_prefix"]["hits"]["hits"][0]
        assert nested["fields"] == {"subpackages.name": ["vim-enhanced"]}
        result = await adapter.search("vim-enh", release="f45")
        assert list(result.hits) == [SearchHit("vim", hit["_score"], Match.PREFIX, "vim-enhanced")]
    finally:
        # by name: a cluster may refuse wildcard deletes (action.destructive_requires_name)
        made = await client.indices.get_alias(index=f"{alias}-v*", expand_wildcards="all")
        if made.body:
            await client.indices.delete(index=",".join(made.body))
        await client.close()
        await adapter.close()


# Collected only with a server: no Elasticsearch can run where CI runs, and a skip would
# count as a missing part there.
if SERVER:
    test_a_real_server_agrees_with_the_fake = _a_real_server_agrees_with_the_fake
