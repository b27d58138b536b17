"""The value types: NVR, timestamps, the error tree."""

from __future__ import annotations

import copy
import datetime as dt
import pickle

import pytest
from pydantic import BaseModel

from clients import (
    NVR,
    KojiFault,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamNotFound,
    UpstreamUnavailable,
)
from clients.timestamps import Timestamp, parse_timestamp

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("zsh-5.9-8.fc45", ("zsh", "5.9", "8.fc45")),
        ("python-requests-2.32.3-1.fc41", ("python-requests", "2.32.3", "1.fc41")),
        ("rust-tokio-1.40.0-1.20240901git.fc42", ("rust-tokio", "1.40.0", "1.20240901git.fc42")),
    ],
)
def test_nvr_splits_on_the_last_two_dashes(text: str, parts: tuple[str, str, str]) -> None:
    nvr = NVR.parse(text)
    assert (nvr.name, nvr.version, nvr.release) == parts
    assert str(nvr) == text
    assert nvr.package == parts[0]
    assert nvr.vr == f"{parts[1]}-{parts[2]}"


@pytest.mark.parametrize("text", ["zsh", "zsh-5.9", "-5.9-1", "zsh--1", ""])
def test_nvr_refuses_what_is_not_one(text: str) -> None:
    with pytest.raises(ValueError, match="name-version-release"):
        NVR.parse(text)


class _Holder(BaseModel):
    nvr: NVR
    at: Timestamp | None = None


def test_nvr_and_timestamp_as_model_fields() -> None:
    holder = _Holder.model_validate({"nvr": "zsh-5.9-8.fc45", "at": "1700000000"})
    assert holder.nvr == NVR("zsh", "5.9", "8.fc45")
    assert holder.model_dump(mode="json") == {"nvr": "zsh-5.9-8.fc45", "at": "2023-11-14T22:13:20Z"}
    assert _Holder.model_validate_json(holder.model_dump_json()) == holder
    assert _Holder.model_validate({"nvr": holder.nvr}).nvr is holder.nvr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-06-09 07:32:16.160696+00:00", dt.datetime(2023, 6, 9, 7, 32, 16, 160696, UTC)),
        ("2015-10-19 11:09:57+00:00", dt.datetime(2015, 10, 19, 11, 9, 57, tzinfo=UTC)),
        ("2015-10-19 11:09:57", dt.datetime(2015, 10, 19, 11, 9, 57, tzinfo=UTC)),
        ("2014-09-23T19:12:17Z", dt.datetime(2014, 9, 23, 19, 12, 17, tzinfo=UTC)),
        ("2019-03-29T16:39:01", dt.datetime(2019, 3, 29, 16, 39, 1, tzinfo=UTC)),
        ("2019-03-29T18:39:01+02:00", dt.datetime(2019, 3, 29, 16, 39, 1, tzinfo=UTC)),
        ("1505394470", dt.datetime(2017, 9, 14, 13, 7, 50, tzinfo=UTC)),
        (1505394470, dt.datetime(2017, 9, 14, 13, 7, 50, tzinfo=UTC)),
        (1505394470.5, dt.datetime(2017, 9, 14, 13, 7, 50, 500000, tzinfo=UTC)),
    ],
)
def test_every_upstream_time_format_is_an_aware_utc_datetime(
    value: object, expected: dt.datetime
) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value", ["yesterday", "", True, [], "1e400"])
def test_what_is_not_a_time_is_a_value_error(value: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_timestamp(value)


def test_the_error_tree() -> None:
    for leaf in (UpstreamUnavailable, UpstreamNotFound, UpstreamBadResponse, KojiFault):
        assert issubclass(leaf, UpstreamError)
    fault = KojiFault(1000, "No such build: 'x-1-1'", method="listTags")
    assert fault.upstream == "koji"
    assert str(fault) == "koji: listTags: fault 1000: No such build: 'x-1-1'"
    error = UpstreamUnavailable("HTTP 503", upstream="bodhi", url="https://b/u", retry_after=3.0)
    assert str(error) == "bodhi: HTTP 503 (https://b/u)"


@pytest.mark.parametrize(
    "error",
    [
        UpstreamError("HTTP 403", upstream="pagure", status=403),
        UpstreamUnavailable("HTTP 503", upstream="bodhi", status=503, retry_after=2.0),
        KojiFault(1019, "bad parameter", method="getBuild"),
    ],
)
def test_errors_survive_pickling_and_copying(error: UpstreamError) -> None:
    for clone in (pickle.loads(pickle.dumps(error)), copy.copy(error)):
        assert type(clone) is type(error)
        assert clone.__dict__ == error.__dict__
        assert str(clone) == str(error)
