"""Query strings as colander and cornice read them, and cornice's error entries.

Lists are repeated or comma- or space-separated, booleans are ``true``/``1`` and
``false``/``0``; a value a schema node cannot take is reported under the
parameter's name (``bodhi-server/bodhi/server/schemas.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from starlette.requests import Request

__all__ = ["ErrorList", "Params", "cornice_error"]

ErrorList = list[dict[str, str]]


def cornice_error(location: str, name: str, description: str) -> dict[str, str]:
    return {"location": location, "name": name, "description": description}


def _split(values: Iterable[str]) -> list[str]:
    """bodhi's ``util.splitter``: values separated by commas or whitespace."""
    return " ".join(values).replace(",", " ").split()


class Params:
    """One request's query string read through bodhi's schema nodes.

    Every accessor returns the value or the node's default and records colander's
    message for a value it cannot take, under the parameter's name (``status.1`` for
    the second element of a list), as cornice reports them.
    """

    def __init__(self, request: Request) -> None:
        self._query = request.query_params
        self.errors: ErrorList = []

    def invalid(self, name: str, description: str) -> None:
        self.errors.append(cornice_error("querystring", name, description))

    def text(self, name: str) -> str | None:
        values = self._query.getlist(name)
        value = values[-1].strip() if values else ""
        return value or None

    def items(self, name: str) -> list[str] | None:
        items = _split(self._query.getlist(name))
        return items or None

    def flag(self, name: str, default: bool | None = None) -> bool | None:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in ("false", "0"):
            return False
        if raw.lower() in ("true", "1"):
            return True
        self.invalid(name, f'"{raw}" is neither in (false, 0) nor in (true, 1)')
        return default

    def integer(self, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        value = self._number(name, raw)
        if value is None:
            return default
        if value < minimum:
            self.invalid(name, f"{value} is less than minimum value {minimum}")
        elif maximum is not None and value > maximum:
            self.invalid(name, f"{value} is greater than maximum value {maximum}")
        else:
            return value
        return default

    def integers(self, name: str) -> list[int] | None:
        items = self.items(name)
        if items is None:
            return None
        numbers = [self._number(f"{name}.{i}", item) for i, item in enumerate(items)]
        return [n for n in numbers if n is not None]

    def _number(self, name: str, raw: str) -> int | None:
        try:
            return int(raw)
        except ValueError:
            self.invalid(name, f'"{raw}" is not a number')
            return None

    def choice(self, name: str, choices: Sequence[str]) -> str | None:
        raw = self.text(name)
        if raw is not None and raw not in choices:
            self.invalid(name, f'"{raw}" is not one of {", ".join(choices)}')
            return None
        return raw

    def choices(self, name: str, choices: Sequence[str]) -> list[str] | None:
        items = self.items(name)
        for i, item in enumerate(items or ()):
            if item not in choices:
                self.invalid(f"{name}.{i}", f'"{item}" is not one of {", ".join(choices)}')
        return items

    def moment(self, name: str) -> float | None:
        raw = self.text(name)
        if raw is None:
            return None
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            self.invalid(name, "Invalid date")
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
