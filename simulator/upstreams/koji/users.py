"""The user calls: ``getUser``, by id, name or Kerberos principal."""

# The method and argument names are koji's XML-RPC API, camelCase and all.
# ruff: noqa: N802, N803

from __future__ import annotations

from typing import Any

from simulator.formats.koji import user_info
from simulator.upstreams.koji.codec import GenericError, Row
from simulator.upstreams.koji.lookups import Lookups

__all__ = ["UserCalls"]


class UserCalls(Lookups):
    """``getUser``."""

    def getUser(
        self,
        userInfo: Any = None,
        strict: bool = False,
        krb_princs: bool = True,
        groups: bool = False,
    ) -> Row | None:
        user = self._user(userInfo)
        if user is None:
            if strict:
                raise GenericError(f"No such user: {userInfo!r}")
            return None
        return user_info(user, krb_principals=krb_princs, groups=[] if groups else None)
