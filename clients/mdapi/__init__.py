"""mdapi, repository metadata: its client and its records (``from clients import mdapi``)."""

from __future__ import annotations

from clients.mdapi.client import MDAPI_URL, MdapiClient
from clients.mdapi.models import (
    Changelog,
    ChangelogEntry,
    Dependency,
    DependencyKind,
    File,
    Files,
    FileType,
    Package,
)

__all__ = [
    "MDAPI_URL",
    "Changelog",
    "ChangelogEntry",
    "Dependency",
    "DependencyKind",
    "File",
    "FileType",
    "Files",
    "MdapiClient",
    "Package",
]
