"""The simulated koji hub: Fedora's build system over XML-RPC.

``POST /kojihub`` takes a ``<methodCall>`` and answers a ``<methodResponse>``
(HTTP 200 with a ``<fault>`` when the call fails) and a ``Koji-Version`` header,
like ``kojihub/kojixmlrpc.py``. :class:`RootExports` holds the read calls a
client of the package pages makes, named and shaped as in ``kojihub.kojihub``;
:class:`KojiHub` decodes the call, applies koji's keyword-argument convention,
runs ``multiCall`` batches and turns errors into koji's faults.

Everything rendered comes from the :class:`~simulator.world.World`; the shapes of
builds, RPMs, tasks, users and tags are in :mod:`simulator.formats.koji`. Queries stay
cheap on a full-size world: per-package and per-user calls read indexes, and a
global ``listBuilds`` ordered by build id walks the id-ordered build table from
the right end instead of sorting it.

The package: :mod:`~.codec` (koji's XML-RPC dialect, faults and query options),
:mod:`~.index` (builds by task and owner), :mod:`~.lookups`, one module of calls per
concept (:mod:`~.packages`, :mod:`~.builds`, :mod:`~.rpms`, :mod:`~.tagged`, :mod:`~.tags`,
:mod:`~.tasks`, :mod:`~.users`, with :mod:`~.listings` for package lists) assembled
in :mod:`~.exports`, the XML-RPC handler in :mod:`~.hub` and the ASGI app in
:mod:`~.app`.
"""

from __future__ import annotations

from simulator.upstreams.koji.app import create_app
from simulator.upstreams.koji.exports import API_VERSION, KOJI_VERSION, RootExports
from simulator.upstreams.koji.hub import KojiHub
from simulator.upstreams.koji.index import BuildIndex as BuildIndex

__all__ = ["API_VERSION", "KOJI_VERSION", "KojiHub", "RootExports", "create_app"]
