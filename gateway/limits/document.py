"""Documents: the limits they are held to, parsed once and validated once per process.

:class:`Documents` keeps the parse and the verdict of the documents the process saw last
(LRU), so an operation asked again is neither parsed nor validated again — the work a
warm query skips along with execution when its answer is replayed. Its validation runs
the specification's rules, the gateway's :mod:`~gateway.limits.shape` rule, and, with
introspection off, one refusing ``__schema`` and ``__type``; then "Did you mean …"
suggestions, which would tell the schema to whoever cannot introspect it, are left out.

Every error it gives has an ``extensions.code``: ``GRAPHQL_PARSE_FAILED``,
``MAX_TOKENS_EXCEEDED`` or ``MAX_DEPTH_EXCEEDED`` (the parser's own nesting limit) for
what does not parse; the limit's code for a limit; ``INTROSPECTION_DISABLED``; and
``GRAPHQL_VALIDATION_FAILED`` for the rest.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    parse,
    validate,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from gateway.errors import (
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTROSPECTION_DISABLED,
    MAX_DEPTH_EXCEEDED,
    MAX_TOKENS_EXCEEDED,
)
from gateway.limits.shape import shape_rule

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["DocumentLimits", "Documents", "with_code"]

#: Documents whose parse and verdict one process keeps.
CACHED_DOCUMENTS = 1024
#: The longest document kept (longer ones, rare and costly to keep, are parsed each time).
CACHED_DOCUMENT_CHARS = 32 * 1024

Rules = tuple[type[ASTValidationRule], ...]


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """What one operation may be (``GATEWAY_MAX_*``, ``GATEWAY_INTROSPECTION``)."""

    #: Object fields on the longest path from the root.
    max_depth: int = 12
    #: Aliases per operation, counted in every fragment where it is spread.
    max_aliases: int = 15
    #: Directives per operation, the same way.
    max_directives: int = 50
    #: Tokens in the whole document (punctuation, names, values).
    max_tokens: int = 5000
    #: The largest cost of an operation (:mod:`gateway.limits.cost`).
    max_cost: int = 25_000
    #: Whether ``__schema`` and ``__type`` are answered (and suggestions made).
    introspection: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        return cls(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_directives=settings.max_directives,
            max_tokens=settings.max_tokens,
            max_cost=settings.max_cost,
            introspection=settings.introspection,
        )


class _NoIntrospection(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule, its errors coded ``INTROSPECTION_DISABLED``."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(with_code(error, INTROSPECTION_DISABLED))


class Documents:
    """Parses and validates documents against the limits, remembering the last ones.

    Verdicts are kept by document text (an AST hashes and compares node by node), so one
    :class:`Documents` serves one schema.
    """

    def __init__(self, limits: DocumentLimits, *, cached: int = CACHED_DOCUMENTS) -> None:
        self.limits = limits
        self.rules: Rules = (
            shape_rule(
                max_depth=limits.max_depth,
                max_aliases=limits.max_aliases,
                max_directives=limits.max_directives,
            ),
            *(() if limits.introspection else (_NoIntrospection,)),
            MaybeNullValidationRule,
            OneOfInputValidationRule,
        )
        self.cached = cached
        self._parse: Callable[[str], DocumentNode] = lru_cache(cached)(self._parse_uncached)
        self._verdicts: OrderedDict[tuple[str, Rules], tuple[GraphQLError, ...]] = OrderedDict()

    @property
    def hide_suggestions(self) -> bool:
        return not self.limits.introspection

    def parse(self, query: str) -> DocumentNode:
        """The document of ``query``; raises a coded :class:`GraphQLError` if it has none."""
        try:
            if len(query) > CACHED_DOCUMENT_CHARS:
                return self._parse_uncached(query)
            return self._parse(query)
        except GraphQLError as error:
            raise parse_error(error) from None

    def validate(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: Iterable[type[ASTValidationRule]],
    ) -> list[GraphQLError]:
        """The errors of ``document`` under the specification's ``rules`` and the limits."""
        rules = tuple(rules)
        text = document.loc.source.body if document.loc is not None else None
        if text is None or len(text) > CACHED_DOCUMENT_CHARS:
            return list(self._validate_uncached(schema, document, rules))
        key = (text, rules)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._verdicts[key] = self._validate_uncached(schema, document, rules)
            if len(self._verdicts) > self.cached:
                self._verdicts.popitem(last=False)
        else:
            self._verdicts.move_to_end(key)
        return list(verdict)

    def _parse_uncached(self, query: str) -> DocumentNode:
        return parse(query, max_tokens=self.limits.max_tokens)

    def _validate_uncached(
        self, schema: GraphQLSchema, document: DocumentNode, rules: Rules
    ) -> tuple[GraphQLError, ...]:
        errors = validate(
            schema, document, (*rules, *self.rules), hide_suggestions=self.hide_suggestions
        )
        return tuple(with_code(error, GRAPHQL_VALIDATION_FAILED) for error in errors)


def parse_error(error: GraphQLError) -> GraphQLError:
    """``error`` (raised by the parser for this request alone) with its code, in place."""
    if not (error.extensions or {}).get("code"):
        code = GRAPHQL_PARSE_FAILED
        if "Document contains more than" in error.message:
            code = MAX_TOKENS_EXCEEDED
        elif "nested too deeply" in error.message:
            code = MAX_DEPTH_EXCEEDED
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


def with_code(error: GraphQLError, code: str, **extensions: Any) -> GraphQLError:
    """``error`` if it has a code, else a copy of it with ``code``."""
    if (error.extensions or {}).get("code"):
        return error
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code, **extensions},
    )
