"""``NVR``: the name-version-release of an RPM build, parsed in this one place.

Fedora writes a build as ``name-version-release`` (``grep-3.11-1.fc39``). Names
may contain dashes, versions and releases may not, so the string splits on its
last two dashes (``rsplit("-", 2)``), as bodhi's ``BuildV1.package`` does::

    >>> nvr = NVR.parse("python-requests-2.32.3-1.fc41")
    >>> nvr.name, nvr.version, nvr.release
    ('python-requests', '2.32.3', '1.fc41')
    >>> str(nvr)
    'python-requests-2.32.3-1.fc41'

As a field of a pydantic model an ``NVR`` validates from its string (or from
another ``NVR``) and serializes back to the string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic_core import core_schema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler

__all__ = ["NVR"]


@dataclass(frozen=True, slots=True, order=True)
class NVR:
    """A build's name, version and release."""

    name: str
    version: str
    release: str

    @classmethod
    def parse(cls, text: str) -> NVR:
        """Split ``name-version-release``; ``ValueError`` when a part is missing."""
        parts = text.strip().rsplit("-", 2)
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a name-version-release: {text!r}")
        name, version, release = parts
        return cls(name, version, release)

    @property
    def package(self) -> str:
        """The source package the build belongs to (its name)."""
        return self.name

    @property
    def vr(self) -> str:
        """``version-release``."""
        return f"{self.version}-{self.release}"

    def __str__(self) -> str:
        return f"{self.name}-{self.version}-{self.release}"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        from_text = core_schema.no_info_after_validator_function(
            cls.parse, core_schema.str_schema()
        )
        return core_schema.json_or_python_schema(
            json_schema=from_text,
            python_schema=core_schema.union_schema(
                [core_schema.is_instance_schema(cls), from_text]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )
