"""Mutations of the simulated world, each followed by the bus messages Fedora publishes.

A mutation lives through the steps the real services take, in order. Each step
changes the world first (through :class:`~simulator.world.World` primitives, so
its indexes stay consistent) and then publishes that step's messages, after an
optional ``lag`` as in Fedora; ``step_delay`` separates the steps. Both default to
zero, so :meth:`Mutator.apply` returns when the whole life is over.

Kinds (:data:`KINDS`):

- ``build``: a rawhide build starts and completes in koji, is tagged into the
  candidate tag, becomes bodhi's automatic update, is signed and moves through
  the testing tags into the dist tag, the update ending stable — as
  :mod:`simulator.catalog.assemble` leaves every settled rawhide build.
- ``build_failed``: a rawhide build starts and fails.
- ``update``: one step of the package's bodhi life on the newest branched release,
  chosen from the state: submit a new build as an update (obsoleting a live update
  it supersedes), push to testing, a karma comment, request stable, push stable.
- ``bug``: file a bug against the package, or move an open one along its workflow.
- ``owner``: hand the dist-git project to a new main admin.
- ``repo``: mdapi refreshed a repository and announces the package's binary RPMs
  changed.

Life-cycle kinds (:data:`LIFECYCLE_KINDS`, in :data:`ALL_KINDS` with the above), which
read the request's options:

- ``package``: a new source package (the name must be new; options ``summary``,
  ``description``, ``subpackages``, ``owner``): dist-git creates the project, koji
  lists it in rawhide's tag, its first build goes through gating, mdapi announces it.
- ``retire``: the package is retired in rawhide (or the ``branches`` given, with a
  ``reason``): the ``dead.package`` commit, koji's block in each branch's tag, mdapi
  announcing it gone.
- ``describe``: the package gets a new ``summary`` and/or ``description`` (options): its
  rawhide build goes through gating, then mdapi announces the repository update, and
  only then does the package's text change.

:meth:`Mutator.mass_rebuild` rebuilds many packages as releng does, fast.

The package holds one module per concept: :mod:`~.result` (results and errors),
:mod:`~.context` (the world, the generator, the clock and the people),
:mod:`~.builds` (koji), :mod:`~.updates` (bodhi), :mod:`~.bugs` (Bugzilla and the
``bug`` kind), :mod:`~.rawhide` (``build``, ``build_failed``), :mod:`~.branched`
(``update``), :mod:`~.ownership` (``owner``), :mod:`~.repos` (``repo``),
:mod:`~.lifecycle` (``package``, ``retire``, ``describe``) with :mod:`~.notices` (the messages only
they publish), :mod:`~.rebuild` (the mass rebuild) and :mod:`~.mutator` (the facade).
"""

from __future__ import annotations

from simulator.mutations.context import SERVICE_ACCOUNTS
from simulator.mutations.mutator import ALL_KINDS, KINDS, LIFECYCLE_KINDS, Mutator
from simulator.mutations.result import (
    InvalidOptionsError,
    Life,
    MassRebuildResult,
    MutationError,
    MutationResult,
    Stage,
    UnknownPackageError,
)
from simulator.mutations.updates import BODHI_BUGZILLA

__all__ = [
    "ALL_KINDS",
    "BODHI_BUGZILLA",
    "KINDS",
    "LIFECYCLE_KINDS",
    "SERVICE_ACCOUNTS",
    "InvalidOptionsError",
    "Life",
    "MassRebuildResult",
    "MutationError",
    "MutationResult",
    "Mutator",
    "Stage",
    "UnknownPackageError",
]
