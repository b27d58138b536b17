"""The ``owner`` mutation: dist-git hands a project to a new main admin.

The main admin gives the project to one of its admins or committers (or to any
packager when it has none), staying on as an admin; an orphan is adopted by a
packager. Now and then the new owner also adds a committer. Pagure announces each
change (``pagure.project.edit``, ``pagure.project.user.added``).
"""

from __future__ import annotations

from simulator import messages
from simulator.catalog.model import Package
from simulator.messages import Message
from simulator.mutations.context import SERVICE_ACCOUNTS, MutationContext
from simulator.mutations.result import MutationError, MutationResult, Stage

__all__ = ["Ownership"]


class Ownership:
    """Ownership of dist-git projects: transfers and new committers."""

    def __init__(self, context: MutationContext) -> None:
        self.context = context
        self.world = context.world

    def owner(self, package: Package, result: MutationResult) -> list[Stage]:
        """The ``owner`` mutation."""
        return [lambda: self._transfer(package, result)]

    def _transfer(self, package: Package, result: MutationResult) -> list[Message]:
        """The main admin gives the project away (or a packager adopts an orphan)."""
        old = package.owner
        new = self._new_owner(package)
        self.world.user(new)
        package.admins = [a for a in package.admins if a != new]
        package.committers = [c for c in package.committers if c != new]
        package.owner = new
        agent = old if old != "orphan" else new
        batch = [messages.project_edit(self.world, package, agent=agent, fields=["user"])]
        if old != "orphan" and old not in package.admins:
            package.admins.insert(0, old)
            batch.append(
                messages.project_user_added(
                    self.world, package, agent=agent, user=old, access="admin"
                )
            )
        result.changed.update(owner=new, previous_owner=old, admins=list(package.admins))
        batch += self._maybe_add_committer(package, agent, result)
        return batch

    def _new_owner(self, package: Package) -> str:
        candidates = [
            p
            for p in (*package.admins, *package.committers)
            if p != package.owner and p not in SERVICE_ACCOUNTS
        ]
        if candidates:
            return self.context.rng.choice(candidates)
        outsiders = [p for p in self.context.packagers() if p != package.owner]
        if not outsiders:
            raise MutationError("no packager can take the package")
        return self.context.rng.choice(outsiders)

    def _maybe_add_committer(
        self, package: Package, agent: str, result: MutationResult
    ) -> list[Message]:
        if package.committers or self.context.rng.random() >= 0.3:
            return []
        people = set(self.context.maintainers(package))
        choices = [p for p in self.context.packagers() if p not in people]
        if not choices:
            return []
        user = self.context.rng.choice(choices)
        package.committers.append(user)
        result.changed["added"] = [user]
        return [
            messages.project_user_added(
                self.world, package, agent=agent, user=user, access="commit"
            )
        ]
