"""The GraphQL endpoint: strawberry's ASGI view with our context, encoding and limits.

Besides what the schema holds every operation to (:mod:`gateway.limits.extension`), the
view resolves persisted queries, charges replayed answers to the client's rate bucket,
runs each operation within the execution timeout, takes batches up to ``max_batch``
operations, sends only queries with GET (405 for anything else) and answers every refused
request with a JSON GraphQL error (:mod:`gateway.limits.refusal`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.graphql import OperationType

from clients import Upstreams
from gateway.context import Context
from gateway.errors import BAD_REQUEST, EXECUTION_TIMEOUT, METHOD_NOT_ALLOWED, TOO_MANY_OPERATIONS
from gateway.limits.document import DocumentLimits
from gateway.limits.extension import report
from gateway.limits.rate import Admission, client_of, rate_limited
from gateway.limits.refusal import Refusal, coded, refusal_response
from gateway.limits.stores import LimitStores
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.loaders import Loaders
from gateway.responses import Replay, ResponseCache
from gateway.search.service import PackageSearch

if TYPE_CHECKING:
    from cross_web import AsyncHTTPRequestAdapter
    from strawberry.http import GraphQLRequestProtocol
    from strawberry.http.base import BaseRequestProtocol


class GraphQLView(GraphQL[Context, None]):
    """``/graphql`` over GET, POST and WebSocket, with fresh dataloaders per operation.

    With a :class:`~gateway.responses.ResponseCache`, an operation whose kept answer still
    holds is answered without executing it. ``limits`` gives the persisted queries and
    the rate buckets (:class:`~gateway.limits.stores.LimitStores`); ``max_batch`` is the
    longest batch taken (0: none), ``timeout_s`` how long one operation may run, and
    ``max_cost`` the limit reported with a replayed answer's cost.
    """

    def __init__(
        self,
        schema: Any,
        upstreams: Callable[[], Upstreams],
        reads: Callable[[], FieldReads | None] = lambda: None,
        search: Callable[[], PackageSearch | None] = lambda: None,
        responses: Callable[[], ResponseCache | None] = lambda: None,
        *,
        limits: Callable[[], LimitStores | None] = lambda: None,
        max_batch: int = 10,
        timeout_s: float | None = None,
        max_cost: int = DocumentLimits().max_cost,
        ide_page: Callable[[], str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide_page else None, **options)
        self._upstreams = upstreams
        self._reads = reads
        self._search = search
        self._responses = responses
        self._limits = limits
        self._max_batch = max_batch
        self._timeout_s = timeout_s
        self._max_cost = max_cost
        self._ide_page = ide_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            if scope["method"] not in ("GET", "POST"):
                message = "GraphQL is served with GET and POST"
                raise Refusal(405, METHOD_NOT_ALLOWED, message, headers={"allow": "GET, POST"})
            response = await self.run(Request(scope, receive))
        except HTTPException as error:  # strawberry's refusals and ours, as GraphQL errors
            response = refusal_response(error)
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        upstreams, reads = self._upstreams(), self._reads()

        def loaders(stats: CacheStats) -> Loaders:
            return Loaders.of(upstreams, reads, stats)

        limits = self._limits()
        sub_response = response if isinstance(response, Response) else None
        admission = None
        if limits is not None and limits.buckets is not None and sub_response is not None:
            admission = Admission(limits.buckets, client_of(request), sub_response)
        return Context(
            make_loaders=loaders,
            request=request,
            response=sub_response,
            search=self._search(),
            admission=admission,
        )

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        if not isinstance(request_data, list):
            return await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
        # each operation of a batch its own cache stats (so its own kept answer)
        return list(
            await asyncio.gather(
                *(
                    self.execute_single(
                        request,
                        request_adapter,
                        sub_response,
                        dataclasses.replace(context, cache=CacheStats()),
                        root_value,
                        data,
                    )
                    for data in request_data
                )
            )
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        limits = self._limits()
        if limits is not None:  # a document named by its hash: the document
            resolved = await limits.persisted.resolve(request_data)
            if isinstance(resolved, GraphQLError):
                return ExecutionResult(data=None, errors=[resolved])
            request_data = resolved
        responses = self._responses()
        if responses is None:
            return await self._execute(request_adapter.method, context, request_data)
        key = responses.key(request_data.query, request_data.variables, request_data.operation_name)
        kept = await responses.replay(key, context.cache)
        if kept is not None:
            return await self._replay(kept, context)
        result = await self._execute(request_adapter.method, context, request_data)
        if not result.errors and result.data is not None:
            responses.keep(key, result.data, context.cache, cost=_cost(result))
        return result

    async def _replay(self, kept: Replay, context: Context) -> ExecutionResult:
        """A kept answer, charged to the client's bucket like its execution was."""
        throttle = None
        if context.admission is not None:
            throttle = await context.admission.charge(kept.cost)
        cost = {"cost": report(kept.cost, self._max_cost, throttle)}
        if throttle is not None and not throttle.allowed:
            return ExecutionResult(data=None, errors=[rate_limited(throttle)], extensions=cost)
        return ExecutionResult(
            data=kept.data, errors=None, extensions={**cost, **_replayed(context)}
        )

    async def _execute(
        self, method: str, context: Context, request_data: GraphQLRequestData
    ) -> ExecutionResult:
        """Run the operation: queries with GET; queries and mutations with POST."""
        allowed = {OperationType.QUERY}
        if method == "POST":
            allowed.add(OperationType.MUTATION)
        try:
            async with asyncio.timeout(self._timeout_s) as deadline:
                return await self.schema.execute(
                    request_data.query,
                    variable_values=request_data.variables,
                    context_value=context,
                    operation_name=request_data.operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=request_data.extensions,
                )
        except TimeoutError:
            if not deadline.expired():
                raise
            error = coded(
                EXECUTION_TIMEOUT, f"The operation did not finish within {self._timeout_s:g} s"
            )
            return ExecutionResult(data=None, errors=[error], extensions=_stats(context))
        except InvalidOperationTypeError as error:
            raise _not_allowed(error.operation_type, method) from None
        except CannotGetOperationTypeError as error:
            raise Refusal(400, BAD_REQUEST, error.as_http_error_reason()) from None
        except MissingQueryError:
            raise Refusal(400, BAD_REQUEST, "No GraphQL query found in the request") from None

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        for operation in data if isinstance(data, list) else [data]:
            _check(operation)
        return data

    def _validate_batch_request(
        self, request_data: list[GraphQLRequestData], protocol: GraphQLRequestProtocol
    ) -> None:
        operations: list[object] = list(request_data)  # still the JSON array's items
        if not operations:
            raise Refusal(400, BAD_REQUEST, "An empty batch: send at least one operation")
        if len(operations) > self._max_batch:
            limit = f"at most {self._max_batch}" if self._max_batch else "no"
            message = f"A batch may hold {limit} operations, not {len(operations)}"
            raise Refusal(400, TOO_MANY_OPERATIONS, message)
        if not all(isinstance(operation, dict) for operation in operations):
            raise Refusal(400, BAD_REQUEST, "Each operation of a batch must be a JSON object")

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # a GET naming its document by hash only is an operation, not a browser's visit
        return request.query_params.get("extensions") is None and super().should_render_graphql_ide(
            request
        )

    def parse_json(self, data: str | bytes) -> Any:
        value = super().parse_json(data)
        if value is None:
            return {}  # nothing asked: "no query found", no variables
        if not isinstance(value, dict | list):
            raise Refusal(400, BAD_REQUEST, "Expected a JSON object")
        return value

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses nesting past 1024 levels where json would recurse out of the stack
        return orjson.loads(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self._ide_page is not None
        return HTMLResponse(self._ide_page())

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _replayed(context: Context) -> dict[str, object]:
    return {"cache": {**context.cache.as_dict(), "replayed": True}}


def _stats(context: Context) -> dict[str, object]:
    return {"cache": context.cache.as_dict()}


def _cost(result: ExecutionResult) -> int:
    """The cost the schema reported for an executed operation (1 if none)."""
    cost = (result.extensions or {}).get("cost")
    requested = cost.get("requested") if isinstance(cost, dict) else None
    return requested if isinstance(requested, int) else 1


def _not_allowed(kind: OperationType, method: str) -> Refusal:
    served = " (subscriptions are served over a WebSocket on /graphql)"
    where = served if kind is OperationType.SUBSCRIPTION else ""
    if method == "GET":
        message = f"Only queries may be sent with GET, not {kind.value}s{where}"
        return Refusal(405, METHOD_NOT_ALLOWED, message, headers={"allow": "POST"})
    return Refusal(
        400, BAD_REQUEST, f"{kind.value.capitalize()}s cannot be sent with {method}{where}"
    )


def _check(operation: GraphQLRequestData) -> None:
    """Refuse an operation whose parameters have the wrong JSON types (400)."""
    for name, value, kind in (
        ("query", operation.query, str),
        ("operationName", operation.operation_name, str),
        ("variables", operation.variables, dict),
        ("extensions", operation.extensions, dict),
    ):
        if value is not None and not isinstance(value, kind):
            expected = "a string" if kind is str else "an object"
            raise Refusal(400, BAD_REQUEST, f"The operation's {name} must be {expected} or null")
