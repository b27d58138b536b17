"""The ``fedora-gateway`` command line: a thin shell over the library.

Each subcommand wraps one function; help texts are module constants. Settings are
read once, here, from ``GATEWAY_*`` variables (and the TOML file ``GATEWAY_CONFIG``
names) and passed down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from gateway.search.port import RebuildReport
    from gateway.settings import Settings

_CATALOG_HELP = (
    "The package catalog of the simulated world: 'generated' (the project's own "
    "generator, deterministic by --seed), 'real' (Fedora data from ../shared/data, or "
    "GATEWAY_SHARED_DIR), or a path to a directory holding that data."
)
_RATE_HELP = "Automatic world events per minute (0 turns the stream off)."
_PROFILE_HELP = "Latency profile of the simulated upstreams: none, fast or fedora."


def _world_events(*, profile: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options of a running simulated world: its event rate and latency profile."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        command = click.option(
            "--profile",
            default=profile,
            show_default=True,
            type=click.Choice(["none", "fast", "fedora"]),
            help=_PROFILE_HELP,
        )(command)
        return click.option(
            "--events-per-minute",
            default=30.0,
            show_default=True,
            type=click.FloatRange(0, 60_000),
            help=_RATE_HELP,
        )(command)

    return decorate


@click.group()
@click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def cli(log_level: str) -> None:
    """One GraphQL endpoint over Fedora's packaging services."""
    from gateway.observability.logs import configure_logging

    # text until a command has read its settings, which may ask for JSON (GATEWAY_LOG_FORMAT)
    configure_logging(log_level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per upstream request


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=click.IntRange(1, 65535))
@click.option("--catalog", default="generated", show_default=True, help=_CATALOG_HELP)
@click.option("--seed", default=None, type=int, help="Seed of the generated catalog.")
@click.option(
    "--size",
    default=None,
    type=click.IntRange(10, 200_000),
    help="Number of source packages of the generated catalog.",
)
@_world_events(profile="none")
def simulate(
    host: str,
    port: int,
    catalog: str,
    seed: int | None,
    size: int | None,
    events_per_minute: float,
    profile: str,
) -> None:
    """The simulated Fedora upstreams alone, on one port.

    Serves /kojihub, /mdapi, /bodhi, /bugzilla and /pagure, and the control API
    under /_sim/. Publishes the world's events to GATEWAY_AMQP_URL when it is set.
    """
    from gateway.observability.logs import use_log_format
    from gateway.settings import Settings
    from simulator.server import serve_simulation

    settings = Settings()
    use_log_format(settings.log_format)
    serve_simulation(
        host=host,
        port=port,
        catalog=catalog,
        seed=seed,
        size=size,
        events_per_minute=events_per_minute,
        profile=profile,
        amqp_url=settings.amqp_url,
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65435))
@click.option("--catalog", default="generated", show_default=True, help=_CATALOG_HELP)
@_world_events(profile="fast")
def demo(host: str, port: int, catalog: str, events_per_minute: float, profile: str) -> None:
    """Everything in one process on embedded defaults, with the simulated Fedora.

    GraphiQL and the API at http://HOST:PORT/graphql; the simulated upstreams and
    their control API on PORT + 100.
    """
    from gateway.demo import run_demo

    run_demo(
        host=host, port=port, catalog=catalog, events_per_minute=events_per_minute, profile=profile
    )


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """The gateway alone, configured by GATEWAY_* variables (or GATEWAY_CONFIG).

    With GATEWAY_REDIS_URL it reads the shared field cache that `worker` keeps fresh.
    Without it, the cache lives in this process, which then consumes GATEWAY_AMQP_URL
    itself; with neither, answers are not cached.
    """
    import uvicorn

    from gateway.app import create_app
    from gateway.backends import field_cache
    from gateway.invalidation.feed import MemoryFeed
    from gateway.invalidation.service import embedded_amqp_worker
    from gateway.observability.logs import use_log_format
    from gateway.server import server_options
    from gateway.settings import Settings

    settings = Settings()
    use_log_format(settings.log_format)
    if settings.redis_url or not settings.field_cache:
        app = create_app(settings)
    elif settings.amqp_url:
        feed = MemoryFeed()
        app = create_app(
            settings,
            cache=field_cache(settings),
            lifespan=embedded_amqp_worker(settings, feed),
            feed=feed,
        )
    else:
        logging.getLogger(__name__).warning(
            "no GATEWAY_REDIS_URL and no GATEWAY_AMQP_URL: nothing could keep a cache "
            "fresh, so every answer comes from the upstreams"
        )
        app = create_app(settings.model_copy(update={"field_cache": False}))
    uvicorn.run(app, host=host, port=port, **server_options(settings))


@cli.command()
def worker() -> None:
    """The invalidation worker: consumes GATEWAY_AMQP_URL, keeps GATEWAY_REDIS_URL fresh.

    Binds a durable queue (GATEWAY_WORKER_QUEUE) on amq.topic to every topic the rules
    read, invalidates and refills the field cache, and publishes each change on the
    change feed; a message is acknowledged only after all of that is done. Serves its
    Prometheus metrics on GATEWAY_WORKER_METRICS_HOST:GATEWAY_WORKER_METRICS_PORT.
    """
    import asyncio

    from gateway.invalidation.service import run_worker
    from gateway.observability.bus import serve_metrics
    from gateway.observability.logs import use_log_format
    from gateway.observability.metrics import Metrics
    from gateway.settings import Settings

    settings = Settings()
    use_log_format(settings.log_format)
    metrics = Metrics()
    server = serve_metrics(
        metrics.registry, settings.worker_metrics_host, settings.worker_metrics_port
    )
    try:
        asyncio.run(run_worker(settings, metrics))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


@cli.command()
def reindex() -> None:
    """Rebuild the package search index from the upstreams, then swap it in.

    Builds a new index beside the live one (Elasticsearch: a new versioned index behind
    GATEWAY_SEARCH_ALIAS; embedded: a new version in GATEWAY_SEARCH_DIR) from koji's
    package listings of the active releases and mdapi's descriptions; searches keep
    answering from the old index until the swap.
    """
    import asyncio

    from gateway.observability.logs import use_log_format
    from gateway.settings import Settings

    settings = Settings()
    use_log_format(settings.log_format)
    if not settings.elasticsearch_url and not settings.search_dir:
        raise click.ClickException(
            "set GATEWAY_ELASTICSEARCH_URL or GATEWAY_SEARCH_DIR: the index to rebuild"
        )
    report = asyncio.run(_reindex(settings))
    click.echo(f"indexed {report.documents} packages in {report.seconds:.1f} s ({report.index})")


async def _reindex(settings: Settings) -> RebuildReport:
    from clients import Upstreams
    from gateway.backends import search_index
    from gateway.search.source import documents

    index = search_index(settings)
    await index.start()
    try:
        async with Upstreams.from_settings(settings) as upstreams:
            return await index.rebuild(documents(upstreams))
    finally:
        await index.close()


@cli.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL); schema.graphql is its output."""
    from gateway.schema.schema import build_schema

    click.echo(build_schema().as_str())


if __name__ == "__main__":
    cli()
