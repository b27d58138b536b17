"""Schemathesis fuzzes every root field of the live gateway's schema: never a 5xx.

The schema is read by introspection from the default gateway; for each root field
schemathesis (through hypothesis-graphql) generates valid operations — arguments of every
shape, nested selections, aliases, fragments — and invalid ones (wrong types, missing
arguments, unknown enum values). Each is POSTed as the tool sends it, and each answer must
be a GraphQL-over-HTTP answer: below 500, a JSON object of ``data`` / ``errors`` /
``extensions`` whose every error has a message and one of the gateway's codes, and never an
internal error — the resolvers' own faults are masked as ``INTERNAL_SERVER_ERROR``, so one
is a bug whatever its status. Nor an ``UPSTREAM_*`` error: the simulated upstreams are
healthy here, so one would be the gateway passing on an argument an upstream refuses (a
control character koji's XML cannot carry, a malformed NVR, a negative bug id), which is
the client's error (``BAD_USER_INPUT``) and must not count against the upstream. Errors
the input deserves (``BAD_USER_INPUT``, validation) are counted and printed.

Hypothesis runs derandomized, without its example database, so CI sends the same
operations on every run.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response

from tests.conftest import LiveServer

#: Operations generated for each root field: valid ones, then invalid ones.
PER_FIELD = {GenerationMode.POSITIVE: 100, GenerationMode.NEGATIVE: 25}
#: What the run must reach in all.
AT_LEAST = 500

#: The codes of ``gateway/errors.py`` an operation may deserve (not an upstream's nor ours).
CODES = {
    "BAD_USER_INPUT",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "MAX_TOKENS_EXCEEDED",
    "MAX_DEPTH_EXCEEDED",
    "MAX_ALIASES_EXCEEDED",
    "MAX_DIRECTIVES_EXCEEDED",
    "QUERY_TOO_COMPLEX",
    "BAD_REQUEST",
    "REQUEST_TOO_LARGE",
}


def problems(response: Response) -> list[str]:
    """What makes ``response`` other than a GraphQL-over-HTTP answer (nothing: it is one)."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    media_type = response.headers.get("content-type", [""])[0].split(";")[0]
    if media_type not in ("application/json", "application/graphql-response+json"):
        return [f"content-type {media_type!r}"]
    try:
        body = json.loads(response.content)
    except ValueError:
        return ["a body that is not JSON"]
    if not isinstance(body, dict) or not body.keys() <= {"data", "errors", "extensions"}:
        return [f"not a GraphQL response: {str(body)[:200]}"]
    if "data" not in body and not body.get("errors"):
        return ["neither data nor errors"]
    if response.status_code != 200 and body.get("data") is not None:
        return [f"data with HTTP {response.status_code}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            found.append(f"an error without a message: {error!r}")
        elif code not in CODES:
            found.append(f"an error coded {code!r}: {error['message']}")
    return found


class Tally:
    """What was sent and what came back."""

    def __init__(self) -> None:
        self.sent: Counter[tuple[str, str]] = Counter()
        self.statuses: Counter[int] = Counter()
        self.codes: Counter[str] = Counter()


def fuzz(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    *,
    url: str,
    session: requests.Session,
    tally: Tally,
) -> None:
    """Send ``examples`` operations of ``mode`` generated for one root field; check each answer."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(base_url=url, session=session, timeout=30)
        tally.sent[operation.label, mode.value] += 1
        tally.statuses[response.status_code] += 1
        found = problems(response)
        assert not found, f"{found}\n{case.body}\n{response.content[:2000]!r}"
        for error in json.loads(response.content).get("errors") or []:
            tally.codes[error["extensions"]["code"]] += 1

    run()


def test_generated_operations_get_graphql_answers_and_never_a_5xx(
    default_gateway: LiveServer,
) -> None:
    url = f"{default_gateway.url}/graphql"
    schema = schemathesis.graphql.from_url(url, timeout=30)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 8, [operation.label for operation in operations]
    tally = Tally()
    started = time.monotonic()
    with requests.Session() as session:
        for operation in operations:
            for mode, examples in PER_FIELD.items():
                fuzz(operation, mode, examples, url=url, session=session, tally=tally)
    elapsed = time.monotonic() - started
    total = sum(tally.sent.values())
    print(f"schemathesis: {total} operations in {elapsed:.1f} s over {len(operations)} fields")
    print(f"  HTTP statuses {dict(tally.statuses)}; codes {dict(tally.codes.most_common())}")
    print(f"  by field and mode {dict(tally.sent)}")
    assert total >= AT_LEAST
    assert all(tally.sent[operation.label, "positive"] for operation in operations)
