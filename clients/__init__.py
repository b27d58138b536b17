"""Async clients for Fedora's packaging services, with typed records and one error tree.

One client per upstream, each over an injected ``httpx.AsyncClient``:
:class:`KojiClient` (XML-RPC with multicall batching), :class:`MdapiClient`,
:class:`BodhiClient`, :class:`BugzillaClient` and :class:`PagureClient`.
:class:`Upstreams` opens all five with their connection pools (and, when asked, a
:class:`CircuitBreaker` each, :mod:`clients.breaker`). Records are
imported by service module (``from clients import koji`` then ``koji.Build``);
failures raise :class:`UpstreamError` and its subclasses (see
:mod:`clients.errors`). This package knows nothing of GraphQL or of the gateway.
"""

from __future__ import annotations

from clients import bodhi, bugzilla, koji, mdapi, pagure
from clients.bodhi.client import BodhiClient
from clients.breaker import BreakerPolicy, CircuitBreaker
from clients.bugzilla.client import BugzillaClient
from clients.errors import (
    CircuitOpen,
    KojiFault,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)
from clients.koji.client import KojiClient
from clients.mdapi.client import MdapiClient
from clients.nvr import NVR
from clients.pagure.client import PagureClient
from clients.pool import Upstreams, UpstreamSettings
from clients.retry import RetryPolicy

__all__ = [
    "NVR",
    "BodhiClient",
    "BreakerPolicy",
    "BugzillaClient",
    "CircuitBreaker",
    "CircuitOpen",
    "KojiClient",
    "KojiFault",
    "MdapiClient",
    "PagureClient",
    "RetryPolicy",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamSettings",
    "UpstreamUnavailable",
    "Upstreams",
    "bodhi",
    "bugzilla",
    "koji",
    "mdapi",
    "pagure",
]
