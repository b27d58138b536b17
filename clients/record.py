"""``Record``: the base of every model a client returns.

Records are frozen pydantic models. They are built once, when a client decodes an
upstream answer, and are never changed afterwards. Fields keep the upstream's
nouns; where the upstream nests or renames a value, the field says where it comes
from with a validation alias, so ``Model.model_validate(raw)`` is the whole
decoding step. Unknown upstream keys are ignored.

A record also validates from its own ``model_dump(mode="json")`` (fields are
accepted by name as well as by alias), so a cache can store records as JSON.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Record"]


class Record(BaseModel):
    """A frozen, validated value decoded from an upstream answer."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_alias=True,
        validate_by_name=True,
        use_enum_values=False,
    )
