"""``Release``: a Fedora release as bodhi knows it (rawhide is the pending one)."""

from __future__ import annotations

import datetime as dt

import strawberry

from clients import bodhi
from gateway.resolvers.channels import ACTIVE_STATES


@strawberry.type(description="A Fedora release: F45, or rawhide (the pending release).")
class Release:
    name: str
    long_name: str
    version: str
    branch: str
    state: str
    dist_tag: str | None
    stable_tag: str | None
    testing_tag: str | None
    candidate_tag: str | None
    released_on: dt.date | None
    eol: dt.date | None

    @strawberry.field(description="Current, pending or frozen: still receiving updates.")
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @strawberry.field(description="Whether this is rawhide, Fedora's development branch.")
    def is_rawhide(self) -> bool:
        return self.branch == "rawhide"

    @classmethod
    def from_bodhi(cls, release: bodhi.Release) -> Release:
        return cls(
            name=release.name,
            long_name=release.long_name,
            version=release.version,
            branch=release.branch,
            state=release.state,
            dist_tag=release.dist_tag,
            stable_tag=release.stable_tag,
            testing_tag=release.testing_tag,
            candidate_tag=release.candidate_tag,
            released_on=release.released_on,
            eol=release.eol,
        )
