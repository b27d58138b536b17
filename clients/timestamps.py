"""``Timestamp``: every upstream's way of writing an instant, read as an aware UTC datetime.

The upstreams disagree on how to write time:

* koji: ``"2023-06-09 07:32:16.160696+00:00"`` or ``"2015-10-19 11:09:57+00:00"``
  (``isoformat(" ")``); old hubs leave off the offset;
* bodhi: ``"2019-05-02 14:20:31"`` (UTC, no offset);
* Bugzilla: ``"2014-09-23T19:12:17Z"`` upstream, ``"2019-03-29T16:39:01"`` on RHBZ;
* pagure: epoch seconds as a string, ``"1505394470"``;
* mdapi: epoch seconds as a number.

``parse_timestamp`` reads all of them; a string without an offset is UTC. As a
pydantic field type, ``Timestamp`` does the same during validation.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["Timestamp", "parse_timestamp"]


def parse_timestamp(value: object) -> dt.datetime:
    """An aware UTC datetime from any upstream's time value; ``ValueError`` otherwise."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_epoch(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            moment = dt.datetime.fromisoformat(text)
        else:
            moment = _from_epoch(seconds)
    else:
        raise ValueError(f"not a time: {value!r}")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _from_epoch(seconds: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"not a time: {seconds!r}") from exc


def _parse(value: object) -> object:
    # pydantic calls this before its own datetime validation; None passes through
    # so that ``Timestamp | None`` fields accept null.
    return None if value is None else parse_timestamp(value)


#: A datetime field that accepts every upstream's time format (see the module docstring).
Timestamp = Annotated[dt.datetime, BeforeValidator(_parse)]
