"""src.fedoraproject.org (Pagure dist-git): its client and records (``clients.pagure``)."""

from __future__ import annotations

from clients.pagure.client import PAGURE_URL, PagureClient
from clients.pagure.models import ORPHAN, Project

__all__ = ["ORPHAN", "PAGURE_URL", "PagureClient", "Project"]
