"""The limits as a strawberry schema extension, so they hold for every operation the
schema runs: over HTTP (:mod:`gateway.view`) and over the WebSocket (``schema.stream``).

- **parse**: from :class:`~gateway.limits.document.Documents`' cache, within the token
  limit; a document that does not parse gets its code;
- **validate**: the cached verdict (the specification's rules and the shape limits);
  then the variables are coerced, and the operation's cost, computed from the document
  and its variables (:mod:`gateway.limits.cost`), is held to the maximum:
  ``QUERY_TOO_COMPLEX`` refuses it before anything runs;
- **execute**: over HTTP with rate limiting, the client's bucket is charged the cost
  first (:class:`~gateway.limits.rate.Admission`); an operation it cannot pay for does
  not run (``RATE_LIMITED``);
- **results**: ``extensions.cost = {"requested", "limit"}``, with ``"remaining"`` (the
  points left in the client's bucket) when rate limiting charged it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    get_operation_ast,
)
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from gateway.errors import BAD_USER_INPUT, QUERY_TOO_COMPLEX
from gateway.limits.cost import operation_cost
from gateway.limits.document import Documents, parse_error, with_code
from gateway.limits.rate import Admission, Throttle, rate_limited
from gateway.limits.refusal import coded

__all__ = ["LimitsExtension"]

#: Variable coercion errors reported before giving up.
_MAX_VARIABLE_ERRORS = 50


class LimitsExtension(SchemaExtension):
    """One operation's parse, validation, cost and charge (a fresh one per operation)."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents
        #: The operation's cost, once it validated.
        self.cost: int | None = None
        #: What charging the client's bucket came to, when it was charged.
        self.throttle: Throttle | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.documents.limits.max_tokens
        if context.graphql_document is None and isinstance(context.query, str):
            # a document that does not parse is parsed again by strawberry, which reports
            # the error where it reports errors; it is coded below
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.documents.parse(context.query)
        yield
        for error in context.pre_execution_errors or ():
            parse_error(error)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            schema = context.schema._schema
            errors = self.documents.validate(schema, document, context.validation_rules)
            context.pre_execution_errors = errors or self._budget()
        yield

    def _budget(self) -> list[GraphQLError]:
        """The errors of the operation's variables, or of its cost; none when it may run."""
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        operation = get_operation_ast(document, context.operation_name)
        if operation is None:
            return []  # strawberry refuses it by itself
        schema = context.schema._schema
        variables = get_variable_values(
            schema,
            operation.variable_definitions or (),
            context.variables or {},
            max_errors=_MAX_VARIABLE_ERRORS,
            hide_suggestions=self.documents.hide_suggestions,
        )
        if isinstance(variables, list):
            return [with_code(error, BAD_USER_INPUT) for error in variables]
        fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        limit = self.documents.limits.max_cost
        try:
            self.cost = operation_cost(schema, operation, fragments, variables.coerced)
        except RecursionError:
            self.cost = limit + 1
        if self.cost <= limit:
            return []
        return [
            coded(
                QUERY_TOO_COMPLEX,
                f"The operation costs {self.cost}, over the limit of {limit}",
                cost=self.cost,
                limit=limit,
            )
        ]

    async def on_execute(self) -> AsyncIterator[None]:
        admission = getattr(self.execution_context.context, "admission", None)
        if isinstance(admission, Admission) and self.cost is not None:
            self.throttle = await admission.charge(self.cost)
            if not self.throttle.allowed:
                self.execution_context.result = ExecutionResult(
                    data=None, errors=[rate_limited(self.throttle)]
                )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": report(self.cost, self.documents.limits.max_cost, self.throttle)}


def report(cost: int, limit: int, throttle: Throttle | None) -> dict[str, int]:
    """``extensions.cost`` of an operation."""
    cost_report = {"requested": cost, "limit": limit}
    if throttle is not None and throttle.remaining is not None:
        cost_report["remaining"] = throttle.remaining
    return cost_report
