"""The tagged-build calls: ``getLatestBuilds`` and ``listTagged`` (``readTaggedBuilds``)."""

# The method names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from simulator.catalog.model import Build, BuildState, Tag
from simulator.formats.koji import tagged_row
from simulator.upstreams.koji.builds import check_build_type
from simulator.upstreams.koji.codec import GenericError, Row, as_int
from simulator.upstreams.koji.lookups import Lookups

__all__ = ["TaggedCalls"]


class TaggedCalls(Lookups):
    """``getLatestBuilds`` and ``listTagged``: builds in a tag, with inheritance."""

    def getLatestBuilds(
        self,
        tag: Any,
        event: Any = None,
        package: Any = None,
        type: Any = None,
        draft: Any = None,
    ) -> list[Row]:
        if isinstance(tag, int):
            found = self._tags_by_id().get(tag)
        else:
            found = self.world.tags.get(tag) if isinstance(tag, str) else None
            if found is None:
                raise GenericError(f"No such entry in table tag: {tag}")
        if found is None:
            return []
        return self._read_tagged(
            found, event=event, inherit=True, latest=True, package=package, type_=type, draft=draft
        )

    def listTagged(
        self,
        tag: Any,
        event: Any = None,
        inherit: bool = False,
        prefix: Any = None,
        latest: Any = False,
        package: Any = None,
        owner: Any = None,
        type: Any = None,
        strict: bool = True,
        extra: bool = False,
        draft: Any = None,
    ) -> list[Row]:
        found = self._tag(tag)
        if found is None:
            if strict:
                raise GenericError(f"No such tagInfo: {tag!r}")
            return []
        rows = self._read_tagged(
            found,
            event=event,
            inherit=inherit,
            latest=latest,
            package=package,
            owner=owner,
            type_=type,
            extra=extra,
            draft=draft,
        )
        if prefix:
            lowered = str(prefix).lower()
            rows = [row for row in rows if row["package_name"].lower().startswith(lowered)]
        return rows

    # -- tagged builds (readTaggedBuilds) --------------------------------------------

    def _read_tagged(
        self,
        tag: Tag,
        *,
        event: Any,
        inherit: bool,
        latest: Any,
        package: Any,
        owner: Any = None,
        type_: Any = None,
        extra: bool = False,
        draft: Any = None,
    ) -> list[Row]:
        if not check_build_type(type_) or draft:
            return []
        package_id: int | None = None
        if package:
            found = self.world.packages.get(package) if isinstance(package, str) else None
            if found is None:
                return []
            package_id = found.id
        limit = latest if isinstance(latest, int | float) else bool(latest)
        before = None if event is None else as_int(event)
        chain = self.world.tag_chain(tag.name) if inherit else [tag.name]
        seen: dict[int, int] = defaultdict(int)
        rows: list[Row] = []
        blocked = self.world.package_list(tag.name)  # a blocked package's builds are dropped
        for name in chain:
            listed = self.world.tags[name]
            for build, create_event in self._tagged(name, package_id):
                if build.state is not BuildState.COMPLETE or (owner and build.owner != owner):
                    continue
                if blocked.get(build.package_id):
                    continue
                if before is not None and create_event > before:
                    continue
                if limit:
                    taken = seen[build.package_id]
                    if (limit is True and taken) or taken >= limit:
                        continue
                    seen[build.package_id] = taken + 1
                rows.append(tagged_row(self.world, build, listed, create_event, extra=extra))
        return rows

    def _tagged(self, tag: str, package_id: int | None) -> Iterator[tuple[Build, int]]:
        """Builds tagged directly into ``tag``, most recently tagged first, with the event."""
        for build in self.world.tagged(tag, package_id):
            events = [e.event for e in build.tags if e.active and e.tag == tag]
            if events:
                yield build, max(events)
