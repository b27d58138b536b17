"""The simulated bodhi: its REST API over the world's updates, releases and overrides.

Served under ``/bodhi`` as ``https://bodhi.fedoraproject.org`` serves it: ``GET
/updates/``, ``/updates/{alias}``, ``/releases/``, ``/releases/{name}``, ``/overrides/``
and ``/overrides/{nvr}``. Query parameters are read as bodhi's colander schemas read
them (``bodhi-server/bodhi/server/schemas.py``: lists repeated or comma- or
space-separated, ``true``/``1`` booleans, ``rows_per_page`` within 1..1000) and checked
as its cornice validators check them (``validators.py``: an unknown package, release or
user is a 400, not an empty list). Errors are cornice's ``{"status": "error", "errors":
[{"location", "name", "description"}]}``.

Each resource is negotiated as bodhi's views are: JSON for ``application/json`` and for
clients that accept anything (``*/*``, what ``requests`` under ``bodhi-client`` and
``httpx`` send), JSONP for ``application/javascript``, and an HTML page for a browser's
``text/html``.

The package: :mod:`~.enums`, :mod:`~.params` (query strings), :mod:`~.patterns`
(``LIKE``), :mod:`~.validators`, :mod:`~.index` and :mod:`~.query` (the update
query), :mod:`~.negotiation`, :mod:`~.responses`, :mod:`~.pages` (HTML),
:mod:`~.paging`, one module of routes per resource (:mod:`~.updates`,
:mod:`~.releases`, :mod:`~.overrides`) and :mod:`~.app`.
"""

from __future__ import annotations

from simulator.upstreams.bodhi.app import create_app
from simulator.upstreams.bodhi.enums import CONTENT_TYPES as CONTENT_TYPES
from simulator.upstreams.bodhi.enums import DEFAULT_ROWS_PER_PAGE as DEFAULT_ROWS_PER_PAGE
from simulator.upstreams.bodhi.enums import GATING_STATUSES as GATING_STATUSES
from simulator.upstreams.bodhi.enums import MAX_ROWS_PER_PAGE as MAX_ROWS_PER_PAGE
from simulator.upstreams.bodhi.enums import RELEASE_STATES as RELEASE_STATES
from simulator.upstreams.bodhi.enums import UPDATE_REQUESTS as UPDATE_REQUESTS
from simulator.upstreams.bodhi.enums import UPDATE_SEVERITIES as UPDATE_SEVERITIES
from simulator.upstreams.bodhi.enums import UPDATE_STATUSES as UPDATE_STATUSES
from simulator.upstreams.bodhi.enums import UPDATE_SUGGESTIONS as UPDATE_SUGGESTIONS
from simulator.upstreams.bodhi.enums import UPDATE_TYPES as UPDATE_TYPES
from simulator.upstreams.bodhi.index import UpdateIndex
from simulator.upstreams.bodhi.negotiation import negotiate
from simulator.upstreams.bodhi.params import ErrorList as ErrorList
from simulator.upstreams.bodhi.params import Params
from simulator.upstreams.bodhi.query import Predicate as Predicate
from simulator.upstreams.bodhi.query import UpdateQuery, parse_update_query, run_update_query
from simulator.upstreams.bodhi.responses import JSONResponse as JSONResponse

__all__ = [
    "Params",
    "UpdateIndex",
    "UpdateQuery",
    "create_app",
    "negotiate",
    "parse_update_query",
    "run_update_query",
]
