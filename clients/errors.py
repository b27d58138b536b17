"""The one error tree every client raises.

A client never answers an upstream failure with an empty result: it raises one of
these, and the caller decides what a missing answer means (GraphQL returns partial
data with an error, the field cache keeps its old value). The tree::

    UpstreamError                 any failed exchange with an upstream; raised as
     |                            itself for a refusal the client did not expect
     |                            (an unanticipated 4xx: bad parameters, auth)
     +-- UpstreamUnavailable      no answer: connection refused or reset, timeout,
     |    |                       5xx or 429, after the retry budget was spent
     |    +-- CircuitOpen         not asked at all: the upstream's circuit breaker is
     |                            open (:mod:`clients.breaker`); never retried
     +-- UpstreamNotFound         the upstream says the thing asked for does not
     |                            exist (HTTP 404, Bugzilla's "does not exist")
     +-- UpstreamBadResponse      an answer we cannot read: not JSON, malformed
     |                            XML, or JSON/XML-RPC of the wrong shape
     +-- KojiFault                koji answered with an XML-RPC fault (a single
                                  call's ``<fault>``, or one item of a multicall)

Where an upstream answers "nothing" in-band (koji's ``getBuild`` returns null for
an unknown build), the client returns ``None`` rather than raising.
"""

from __future__ import annotations

__all__ = [
    "CircuitOpen",
    "KojiFault",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamUnavailable",
]


class UpstreamError(Exception):
    """An exchange with an upstream failed.

    Catch this to handle every upstream failure at once. ``upstream`` names the
    service (``"koji"``, ``"bodhi"``, ...), ``url`` the request when there was
    one, ``status`` the HTTP status when there was an answer.
    """

    def __init__(
        self,
        message: str,
        *,
        upstream: str,
        url: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.upstream = upstream
        self.url = url
        self.status = status

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        return f"{self.upstream}: {self.message}{where}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, upstream={self.upstream!r})"

    def __reduce__(self) -> tuple[object, ...]:
        # keyword-only constructors defeat Exception's default pickling and copying
        return (_restore, (type(self), dict(self.__dict__)))


class UpstreamUnavailable(UpstreamError):  # noqa: N818 -- the names of the documented tree
    """The upstream gave no usable answer in time, even after retries.

    Raised for connection errors, timeouts, HTTP 5xx and 429. ``retry_after`` is
    the delay the upstream asked for (``Retry-After``), when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        upstream: str,
        url: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, upstream=upstream, url=url, status=status)
        self.retry_after = retry_after


class CircuitOpen(UpstreamUnavailable):
    """The call was refused without asking the upstream: its circuit breaker is open.

    Raised at once, so a dead upstream fails fast instead of making every caller wait its
    timeout; never retried. ``retry_after`` is how long the circuit stays open, when that
    is known (``None`` while another call probes the upstream).
    """


class UpstreamNotFound(UpstreamError):  # noqa: N818 -- the names of the documented tree
    """The upstream says the entity asked for does not exist (HTTP 404 and kin)."""


class UpstreamBadResponse(UpstreamError):  # noqa: N818 -- the names of the documented tree
    """The upstream answered, but not in a form the client can read."""


class KojiFault(UpstreamError):  # noqa: N818 -- the names of the documented tree
    """koji answered a call with an XML-RPC fault.

    ``fault_code`` is the code of the ``koji.GenericError`` subclass the hub raised
    (1000 for ``GenericError``, 1019 for ``ParameterError``, ...), ``fault_string``
    its message (``"No such build: 'foo-1-1'"``), ``method`` the call that failed.
    In a multicall the fault of one call is *returned* in that call's place, not
    raised, so the other calls' results survive.
    """

    def __init__(
        self,
        fault_code: int,
        fault_string: str,
        *,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        prefix = f"{method}: " if method else ""
        super().__init__(f"{prefix}fault {fault_code}: {fault_string}", upstream="koji", url=url)
        self.fault_code = fault_code
        self.fault_string = fault_string
        self.method = method


def _restore(cls: type[UpstreamError], state: dict[str, object]) -> UpstreamError:
    error = cls.__new__(cls)
    Exception.__init__(error, state["message"])
    error.__dict__.update(state)
    return error
