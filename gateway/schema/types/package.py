"""``Package``: a source package, joined across koji, bodhi, Bugzilla, mdapi and dist-git."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import strawberry

from clients import bodhi, koji, mdapi
from gateway.context import Info
from gateway.resolvers.channels import channels
from gateway.resolvers.pages import Window
from gateway.resolvers.queries import BranchQuery, BugsQuery, BuildsQuery, LatestQuery, UpdatesQuery
from gateway.schema.types.bug import BugConnection
from gateway.schema.types.build import Build, BuildConnection, BuildState, TaggedBuild
from gateway.schema.types.release import Release
from gateway.schema.types.repository import (
    ChangelogEntry,
    Dependency,
    DependencyKind,
    FileEntry,
    FileType,
)
from gateway.schema.types.update import UpdateConnection, UpdateStatus
from gateway.schema.types.user import User


@strawberry.type(description="What one active release has of a package: stable and testing.")
class ReleaseVersion:
    release: Release
    stable: str | None = strawberry.field(description="version-release in the stable repo")
    testing: str | None = strawberry.field(
        description="version-release in updates-testing, when newer than stable"
    )
    stable_build: Build | None
    testing_build: Build | None


@strawberry.type(description="A Fedora source package.")
class Package:
    name: str

    async def _source(self, info: Info, branch: str = "rawhide") -> mdapi.Package | None:
        loaders = info.context.loaders
        source = await loaders.source.load(BranchQuery(branch, self.name, self.name))
        if source is None:  # mdapi finds a source by "<name>-<digit>"; ask for the binary
            source = await loaders.binary.load(BranchQuery(branch, self.name, self.name))
        return source

    async def _binaries(self, info: Info, branch: str) -> list[str]:
        source = await self._source(info, branch)
        if source is None:
            return []
        return list(source.co_packages) or [self.name]

    async def _main_binary(self, info: Info, branch: str) -> str | None:
        binaries = await self._binaries(info, branch)
        if not binaries:
            return None
        return self.name if self.name in binaries else binaries[0]

    @strawberry.field(description="One line about the package, from rawhide's metadata.")
    async def summary(self, info: Info) -> str | None:
        source = await self._source(info)
        return source.summary if source else None

    @strawberry.field(description="What the package is, from rawhide's metadata.")
    async def description(self, info: Info) -> str | None:
        source = await self._source(info)
        return source.description if source else None

    @strawberry.field(description="The upstream project's home page.")
    async def url(self, info: Info) -> str | None:
        source = await self._source(info)
        return source.url if source else None

    @strawberry.field(description="The package's license (SPDX), when the metadata has it.")
    async def license(self, info: Info) -> str | None:
        # the License header of the source RPM of the newest rawhide build, from koji
        found: str | None = await info.context.loaders.license.load(self.name)
        return found

    @strawberry.field(description="The binary RPMs built from this source in rawhide.")
    async def subpackages(self, info: Info) -> list[str] | None:
        return await self._binaries(info, "rawhide")

    @strawberry.field(description="Who has commit access in dist-git, the owner first.")
    async def maintainers(self, info: Info) -> list[User] | None:
        project = await info.context.loaders.project.load(self.name)
        if project is None:
            return []
        names = [project.owner, *project.admins, *project.committers, *project.collaborators]
        return [User(name=name) for name in dict.fromkeys(names) if name != "orphan"]

    @strawberry.field(description="Whether the package has no owner in dist-git.")
    async def orphaned(self, info: Info) -> bool | None:
        project = await info.context.loaders.project.load(self.name)
        return None if project is None else project.owner == "orphan"

    @strawberry.field(description="koji builds of the package, newest first.")
    async def builds(
        self,
        info: Info,
        first: int | None = 10,
        after: str | None = None,
        state: BuildState | None = None,
    ) -> BuildConnection | None:
        query = BuildsQuery(
            self.name, Window.of(first, after), state=state.to_koji() if state else None
        )
        return BuildConnection.of(await info.context.loaders.builds.load(query))

    @strawberry.field(description="The newest build per active release, stable and testing.")
    async def latest_builds(self, info: Info) -> list[TaggedBuild] | None:
        return [tagged for tagged, _ in await self._latest(info)]

    @strawberry.field(description="Per active release, the stable and the testing version.")
    async def versions(self, info: Info) -> list[ReleaseVersion] | None:
        by_release: dict[str, ReleaseVersion] = {}
        for tagged, release in await self._latest(info):
            entry = by_release.setdefault(
                release.name,
                ReleaseVersion(
                    release=tagged.release or Release.from_bodhi(release),
                    stable=None,
                    testing=None,
                    stable_build=None,
                    testing_build=None,
                ),
            )
            evr = f"{tagged.build.version}-{tagged.build.release}"
            if tagged.channel == "stable":
                entry.stable, entry.stable_build = evr, tagged.build
            elif tagged.build.nvr != (entry.stable_build.nvr if entry.stable_build else None):
                entry.testing, entry.testing_build = evr, tagged.build
        return list(by_release.values())

    async def _latest(self, info: Info) -> list[tuple[TaggedBuild, bodhi.Release]]:
        asks = channels(await info.context.loaders.releases.load("all"))
        loader = info.context.loaders.latest
        found = await asyncio.gather(
            *(loader.load(LatestQuery(tag, self.name)) for _, tag, _ in asks)
        )
        out: list[tuple[TaggedBuild, bodhi.Release]] = []
        for (release, tag, channel), build in zip(asks, found, strict=True):
            if build is not None:
                tagged = TaggedBuild(
                    tag=tag,
                    build=Build.from_koji(build),
                    release=Release.from_bodhi(release),
                    channel=channel,
                )
                out.append((tagged, release))
        return out

    @strawberry.field(description="bodhi updates of the package, newest submission first.")
    async def updates(
        self,
        info: Info,
        first: int | None = 10,
        after: str | None = None,
        status: UpdateStatus | None = None,
        release: str | None = None,
    ) -> UpdateConnection | None:
        query = UpdatesQuery(
            self.name,
            Window.of(first, after),
            status=status.to_bodhi() if status else None,
            release=release,
        )
        return UpdateConnection.of(await info.context.loaders.updates.load(query))

    @strawberry.field(description="Bugs filed against the package, most recently changed first.")
    async def bugs(
        self, info: Info, first: int | None = 20, after: str | None = None, open: bool | None = True
    ) -> BugConnection | None:
        query = BugsQuery(self.name, Window.of(first, after, default=20), is_open=open)
        return BugConnection.of(await info.context.loaders.bugs.load(query))

    @strawberry.field(description="The RPM changelog in a branch, newest entry first.")
    async def changelog(
        self, info: Info, branch: str | None = "rawhide", first: int | None = 10
    ) -> list[ChangelogEntry] | None:
        branch = branch or "rawhide"
        count = Window.of(first, None).limit
        binary = await self._main_binary(info, branch)
        if binary is None:
            return []
        changelog = await info.context.loaders.changelog.load(
            BranchQuery(branch, binary, self.name)
        )
        entries: Sequence[mdapi.ChangelogEntry] = changelog.entries if changelog else ()
        return [ChangelogEntry.from_mdapi(entry) for entry in entries[:count]]

    @strawberry.field(description="The paths the package's binary RPMs own in a branch.")
    async def files(self, info: Info, branch: str | None = "rawhide") -> list[FileEntry] | None:
        branch = branch or "rawhide"
        binaries = await self._binaries(info, branch)
        loader = info.context.loaders.files
        listings = await asyncio.gather(
            *(loader.load(BranchQuery(branch, b, self.name)) for b in binaries)
        )
        return [
            FileEntry(path=file.path, type=FileType(file.type.value), subpackage=binary)
            for binary, listing in zip(binaries, listings, strict=True)
            if listing is not None
            for file in listing.files
        ]

    @strawberry.field(description="Dependencies of one kind of the package's binary RPMs.")
    async def dependencies(
        self,
        info: Info,
        kind: DependencyKind | None = DependencyKind.REQUIRES,
        branch: str | None = "rawhide",
    ) -> list[Dependency] | None:
        kind = kind or DependencyKind.REQUIRES
        branch = branch or "rawhide"
        binaries = await self._binaries(info, branch)
        loader = info.context.loaders.binary
        packages = await asyncio.gather(
            *(loader.load(BranchQuery(branch, b, self.name)) for b in binaries)
        )
        return [
            Dependency.from_mdapi(row, binary)
            for binary, package in zip(binaries, packages, strict=True)
            if package is not None
            for row in getattr(package, kind.value)
        ]


__all__ = ["Package", "ReleaseVersion", "koji"]
