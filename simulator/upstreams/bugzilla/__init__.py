"""The simulated Red Hat Bugzilla: the REST API under ``/rest``, as bugzilla.redhat.com.

* ``GET /rest/bug``: Bug.search. List parameters repeat or comma-separate; ``status``
  understands ``__open__``, ``__closed__`` and ``__all__``; ``creation_time`` and
  ``last_change_time`` mean "at or after"; custom-search charts (``f1``/``o1``/``v1``,
  and the older ``field0-0-0``/``type0-0-0``/``value0-0-0``) add conditions;
  ``include_fields``/``exclude_fields``/``extra_fields`` select keys; results are
  ordered by bug id unless ``order`` says otherwise.
* Paging as on bugzilla.redhat.com since 2021: without ``limit`` a search returns at
  most :data:`DEFAULT_SEARCH_LIMIT` (20) bugs; ``limit=0`` or a larger limit means
  :data:`MAX_SEARCH_RESULTS` (1000, Bugzilla's ``max_search_results``); ``offset``
  pages. The answer reports ``limit`` and ``total_matches`` (RHBZ's extension) next
  to ``bugs`` and ``faults``. A search by ``id`` is not cut at 20 (assumed, so
  that ``getbugs()`` of many ids keeps working as it does against RHBZ).
* ``GET /rest/bug/<id>``: one bug; ``/rest/bug/<id>/comment`` its comments.
* ``GET /rest/version``, ``/rest/product/get``, ``/rest/product/<name>``,
  ``/rest/product_{accessible,enterable,selectable}``.
* Errors have Bugzilla's shape ``{"error": true, "code", "message", "documentation"}``
  with its HTTP statuses (101 → 404, unknown resource 32614 → 404, writes without a
  login 410 → 401, the rest 400).

The package: :mod:`~.errors`, :mod:`~.responses`, :mod:`~.params`, :mod:`~.fields`,
:mod:`~.conditions` and :mod:`~.search` (Bug.search), :mod:`~.api` (the resources)
and :mod:`~.app`.
"""

from __future__ import annotations

from simulator.upstreams.bugzilla.api import DEFAULT_SEARCH_LIMIT, MAX_SEARCH_RESULTS, VERSION
from simulator.upstreams.bugzilla.api import PRODUCTS as PRODUCTS
from simulator.upstreams.bugzilla.app import create_app
from simulator.upstreams.bugzilla.errors import BugzillaError
from simulator.upstreams.bugzilla.responses import DOCUMENTATION as DOCUMENTATION

__all__ = ["DEFAULT_SEARCH_LIMIT", "MAX_SEARCH_RESULTS", "VERSION", "BugzillaError", "create_app"]
