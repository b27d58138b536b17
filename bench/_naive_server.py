"""The baseline of ``bench/suite.py`` (P2, P3, P4): the gateway's schema with naive resolvers.

Started by the suite as ``python bench/_naive_server.py --port P`` with the
``GATEWAY_*_URL`` variables pointing at the simulator. It serves what
``gateway.app.create_app`` builds, with three things switched off, so that every
resolver's call is one upstream HTTP request, as in a GraphQL server written without
dataloaders or a cache:

* the field cache (``GATEWAY_FIELD_CACHE=false``; the whole-response cache, which is
  built on it, goes with it);
* batching and per-operation memoization: every ``DataLoader`` the operation's
  :class:`~gateway.resolvers.loaders.Loaders` reach (the typed ones, and the ones they
  load through, such as koji's multicall loader ``KojiLoaders.calls``) is rebuilt from
  its own ``load_fn`` with ``max_batch_size=1`` and ``cache=False``, and koji's calls
  are sent as they come, without the gateway's few-millisecond gathering window. A koji
  "multicall" then carries one call, a bodhi or Bugzilla query one package: one request
  per call;
* the prefetch of ``package``/``packages`` (``gateway.resolvers.prefetch``: every
  ``prefetch*`` function ``gateway.schema.query`` calls), which loads the selected fields
  a level early so that they join the existence check's batches; without memoization
  each field would then be read twice.

The loaders are rebuilt where every context gets them, ``Loaders.of`` (patched in this
process only), so the baseline does not depend on how the view builds its context.
It prints one JSON line once it listens, naming the prefetch functions it switched off.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import inspect
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn
from strawberry.dataloader import DataLoader

from clients import UpstreamError, Upstreams, koji
from gateway.app import create_app
from gateway.resolvers.cached import CacheStats, FieldReads
from gateway.resolvers.koji import KojiLoaders
from gateway.resolvers.loaders import Loaders
from gateway.server import server_options
from gateway.settings import Settings

HOST = "127.0.0.1"


def naive(loader: DataLoader[Any, Any]) -> DataLoader[Any, Any]:
    """The same loads, one key per batch and nothing remembered."""
    return DataLoader(loader.load_fn, max_batch_size=1, cache=False)


def naive_loaders(loaders: Loaders) -> Loaders:
    """``loaders`` with every DataLoader they reach rebuilt by :func:`naive`."""
    rebuilt: dict[int, DataLoader[Any, Any]] = {}
    # The objects whose bound methods load (KojiLoaders, BodhiLoaders, ...): the loaders
    # they keep as attributes and load through are replaced in place.
    owners = {
        id(owner): owner
        for item in dataclasses.fields(loaders)
        if (owner := getattr(getattr(loaders, item.name).load_fn, "__self__", None)) is not None
    }
    for owner in owners.values():
        for name, value in list(vars(owner).items()):
            if isinstance(value, DataLoader):
                rebuilt[id(value)] = replacement = naive(value)
                setattr(owner, name, replacement)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(loaders):
        loader = getattr(loaders, item.name)
        fields[item.name] = rebuilt.get(id(loader)) or naive(loader)
    return dataclasses.replace(loaders, **fields)


_original_of = Loaders.of.__func__  # type: ignore[attr-defined]


def _naive_of(
    cls: type[Loaders],
    upstreams: Upstreams,
    reads: FieldReads | None = None,
    stats: CacheStats | None = None,
) -> Loaders:
    if reads is not None:
        raise RuntimeError("the naive baseline runs without a field cache")
    loaders: Loaders = _original_of(cls, upstreams, None, stats)
    return naive_loaders(loaders)


def _no_prefetch(*args: object, **kwargs: object) -> None:
    return None


async def _no_prefetch_async(*args: object, **kwargs: object) -> None:
    return None


async def _direct_multicall(self: KojiLoaders, calls: list[koji.calls.Call[Any]]) -> Sequence[Any]:
    """Each batch of calls (one call, here) in a request of its own: no gathering window."""
    try:
        return await self.client.batch(calls)
    except UpstreamError as error:
        return [error] * len(calls)


def install() -> list[str]:
    """Patch this process's gateway into the naive baseline; the prefetchers switched off."""
    Loaders.of = classmethod(_naive_of)  # type: ignore[method-assign,assignment]
    KojiLoaders._multicall = _direct_multicall  # type: ignore[method-assign]
    import gateway.schema.query as query

    off = []
    for name in dir(query):
        found = getattr(query, name)
        if name.startswith("prefetch") and callable(found):
            is_async = inspect.iscoroutinefunction(found)
            setattr(query, name, _no_prefetch_async if is_async else _no_prefetch)
            off.append(name)
    return off


def settings() -> Settings:
    update: dict[str, Any] = {"field_cache": False, "search_build_on_start": False}
    if "response_cache_bytes" in Settings.model_fields:
        update["response_cache_bytes"] = 0
    return Settings().model_copy(update=update)


async def serve(port: int) -> None:
    off = install()
    config = uvicorn.Config(
        create_app(settings()), host=HOST, port=port, lifespan="on", **server_options(settings())
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.05)
    print(json.dumps({"ready": True, "pid": os.getpid(), "prefetch_off": off}), flush=True)
    await task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
